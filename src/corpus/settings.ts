/** Corpus settings with every default filled in from src/core/defaults.ts, for library callers. */
import path from 'node:path';
import { ALIGN_DEFAULTS, CORPUS_DEFAULTS } from '../core/defaults.js';
import { DEFAULT_PROMPT } from '../pipeline/dataset.js';
import { isModelPath } from '../../encoders/model-places.js';
import type { Modality } from '../core/types.js';
import type { CorpusSettings, VideoAlignSettings } from './types.js';

/**
 * Model folders as absolute paths (workers run elsewhere); hub ids as given.
 *
 * @example
 * absoluteModelPaths({ text: './my-bert', image: 'Xenova/resnet-50' }); // { text: '/work/my-bert', image: 'Xenova/resnet-50' }
 */
export function absoluteModelPaths(model: Partial<Record<Modality, string>>): Partial<Record<Modality, string>> {
  return Object.fromEntries(Object.entries(model).map(([m, id]) => [m, isModelPath(id) ? path.resolve(id) : id]));
}

/** What a caller may leave out of {@link CorpusSettings}. */
export type CorpusSettingsInput = Partial<Omit<CorpusSettings, 'align'>> & { align?: Partial<VideoAlignSettings> };

/**
 * Complete settings from a partial set: `align` defaults are `mmalign align`'s, paths made absolute.
 *
 * @example
 * const settings = corpusSettings({ align: { format: 'glm41v', embed: false }, shardSize: 500 });
 */
export function corpusSettings(input: CorpusSettingsInput = {}): CorpusSettings {
  const align: VideoAlignSettings = {
    mode: ALIGN_DEFAULTS.mode,
    fps: ALIGN_DEFAULTS.fps,
    perCue: ALIGN_DEFAULTS.perCue,
    sceneThreshold: ALIGN_DEFAULTS.sceneThreshold,
    threshold: ALIGN_DEFAULTS.threshold,
    offset: ALIGN_DEFAULTS.offset,
    sync: ALIGN_DEFAULTS.sync,
    embed: ALIGN_DEFAULTS.embed,
    device: ALIGN_DEFAULTS.device,
    model: {},
    dtype: {},
    allowRemote: false,
    modelsDir: null,
    heads: null,
    format: ALIGN_DEFAULTS.format,
    prompt: DEFAULT_PROMPT,
    split: ALIGN_DEFAULTS.split,
    seed: ALIGN_DEFAULTS.seed,
    jpegQuality: ALIGN_DEFAULTS.jpegQuality,
    ...input.align,
  };
  const abs = (p: string | null | undefined): string | null => (p ? path.resolve(p) : null);
  return {
    align: { ...align, model: absoluteModelPaths(align.model ?? {}), modelsDir: abs(align.modelsDir), heads: abs(align.heads) },
    splitBy: input.splitBy ?? CORPUS_DEFAULTS.splitBy,
    shardSize: input.shardSize ?? CORPUS_DEFAULTS.shardSize,
    withAudio: input.withAudio ?? false,
    kb: abs(input.kb),
    subLang: input.subLang ?? null,
  };
}
