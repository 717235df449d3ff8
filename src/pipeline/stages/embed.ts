/**
 * Stage 6, embed: the paired cue texts, frames and cue audio in the shared space, each vector
 * reused from an earlier run in DIR when its content, model and heads are unchanged; then each
 * pair scored by cosine similarity.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ProjectionHeads } from '../../../encoders/heads.js';
import { similarity } from '../../../encoders/similarity.js';
import type { Device } from '../../../encoders/types.js';
import { AUDIO_SAMPLE_RATE } from '../../core/ffmpeg/index.js';
import type { Cue, Modality } from '../../core/types.js';
import type { AlignedPair } from '../dataset.js';
import { cachedFor, headsVersion, type EmbeddingCache } from '../embedding-cache.js';
import type { VideoFingerprint } from '../frames/manifest.js';
import type { EncoderFactory, FrameRecord, KeyedVector, ModelsUsed, StageContext } from '../types.js';
import type { AudioClips } from './audio.js';
import type { StreamedImages } from './embed-images.js';

/** Which models embed, and where they run. */
export interface EmbedModels {
  create: EncoderFactory;
  modelsDir: string | undefined;
  device: Device;
  heads: string | ProjectionHeads | undefined;
}

export interface EmbedInput {
  /** The vectors of the previous run in DIR (see embedding-cache.ts), or null. */
  cache: EmbeddingCache | null;
  /** Frames the frames stage already embedded while sampling, or null (frames reused, or not embedding). */
  images: StreamedImages | null;
  pairs: readonly AlignedPair[];
  pairFrames: readonly FrameRecord[];
  cues: readonly Cue[];
  duration: number;
  clips: AudioClips | null;
  videoId: VideoFingerprint;
  /** Staging folder of newly sampled frames, or null when they were reused from DIR/frames. */
  staged: string | null;
  models: EmbedModels;
}

export interface EmbedOutput {
  /** Text rows, then image rows, then audio rows. */
  vectors: KeyedVector[];
  models: ModelsUsed;
  /** Vectors taken from the earlier run. */
  reused: number;
  /** The pairs with their frame–text and audio–text similarities. */
  pairs: AlignedPair[];
}

/** Inputs handed to an encoder per call. */
const CHUNK = 32;

const sha1 = (x: string) => createHash('sha1').update(x).digest('hex');
const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/**
 * Embeds what the pairs need. A single input that fails to embed is a warning, not a failed run.
 *
 * @example
 * const { vectors, pairs } = await embedStage({ out, pairs, pairFrames, cues, duration, clips, videoId, staged, models }, ctx);
 */
export async function embedStage(input: EmbedInput, ctx: StageContext): Promise<EmbedOutput> {
  const { cache, images, pairs, pairFrames, cues, duration, clips, videoId, staged, models: use } = input;
  const cueByIndex = new Map(cues.map((c) => [c.index, c]));
  const cueIds = [...new Set(pairs.map((p) => p.cue_index))];
  const frameList = [...new Map(pairFrames.map((f) => [f.file, f])).values()];
  // Cues too short for the audio model (< 25 ms) or past the end of the track are skipped; time order keeps windows sequential.
  const audioCues = clips
    ? cueIds
        .filter((id) => {
          const c = cueByIndex.get(id)!;
          return Math.min(c.end, duration) - Math.max(c.start, 0) >= 0.025;
        })
        .sort((a, b) => cueByIndex.get(a)!.start - cueByIndex.get(b)!.start)
    : [];
  const bar = ctx.progress.stage('embed', cueIds.length + frameList.length + audioCues.length);
  const logger = { warn: (m: string) => ctx.warnings.push({ message: m }), info: ctx.log };
  const vectors: KeyedVector[] = [];
  const models: ModelsUsed = {};
  let reused = 0;

  /** Rows for `items` in their order: from `known` (and the cache), the rest embedded CHUNK at a time. */
  const run = async <T>(
    modality: Modality,
    items: readonly T[],
    ids: readonly string[],
    keys: readonly string[],
    toInput: (item: T) => Promise<unknown> | unknown,
    known?: (i: number) => { vector: Float32Array | null; error?: string; cached: boolean } | undefined,
  ) => {
    if (items.length === 0) return;
    const rows: (Float32Array | null)[] = new Array(items.length).fill(null);
    const todo: number[] = [];
    items.forEach((_, i) => {
      const k = known?.(i);
      if (!k) todo.push(i);
      else if (k.vector) {
        rows[i] = k.vector;
        if (k.cached) reused++;
      } else ctx.warnings.push({ message: `${modality} ${ids[i]}: not embedded: ${k.error}` });
    });
    bar.tick(items.length - todo.length);
    if (todo.length > 0) {
      const enc = await use.create(modality, { modelsDir: use.modelsDir, device: use.device, heads: use.heads, logger });
      try {
        const model = { model: enc.modelId, heads: headsVersion(enc), device: enc.device };
        models[modality] = model;
        // Vectors of an earlier run are reused only for the same content, model and heads.
        const cached = cachedFor(cache, modality, model);
        const compute = todo.filter((i) => {
          const hit = cached?.get(`${modality}\u0000${keys[i]}`);
          if (hit) {
            rows[i] = hit;
            reused++;
          }
          return !hit;
        });
        bar.tick(todo.length - compute.length);
        for (let c = 0; c < compute.length; c += CHUNK) {
          ctx.signal?.throwIfAborted();
          const slice = compute.slice(c, c + CHUNK);
          const inputs = await Promise.all(slice.map((i) => toInput(items[i])));
          const outcomes = await enc.embedSettled(inputs as never[]);
          outcomes.forEach((o, j) => {
            const i = slice[j];
            if (o.ok) rows[i] = o.vector;
            else ctx.warnings.push({ message: `${modality} ${ids[i]}: not embedded: ${o.error.message}` });
          });
          bar.tick(slice.length);
        }
      } finally {
        await enc.dispose();
      }
    }
    rows.forEach((vector, i) => {
      if (vector) vectors.push({ id: ids[i], modality, key: keys[i], vector });
    });
  };

  const cueText = (id: number) => cueByIndex.get(id)!.text.trim();
  await run('text', cueIds, cueIds.map((id) => `text:${id}`), cueIds.map((id) => sha1(cueText(id))), cueText);
  // Frames embedded while they were sampled come from the stream; frames reused from DIR are read back, CHUNK at a time.
  if (images?.model && frameList.some((f) => images.bySha1.has(f.sha1))) models.image = images.model;
  await run(
    'image',
    frameList,
    frameList.map((f) => `frame:${path.basename(f.file, '.jpg')}`),
    frameList.map((f) => f.sha1),
    (f) => readFile(staged ? path.join(staged, path.basename(f.file)) : f.file),
    (i) => images?.bySha1.get(frameList[i].sha1),
  );
  await run(
    'audio',
    audioCues,
    audioCues.map((id) => `audio:${id}`),
    audioCues.map((id) => `${videoId.headSha256}:${videoId.size}:${cueByIndex.get(id)!.start}:${cueByIndex.get(id)!.end}`),
    async (id) => {
      const c = cueByIndex.get(id)!;
      return { samples: await clips!.clip(c.start, c.end), sampleRate: AUDIO_SAMPLE_RATE, channels: 1 };
    },
  );
  bar.done();

  const byId = new Map(vectors.map((v) => [v.id, v.vector]));
  const scored = pairs.map((p) => {
    const t = byId.get(`text:${p.cue_index}`);
    const f = byId.get(`frame:${path.basename(p.frame, '.jpg')}`);
    const a = byId.get(`audio:${p.cue_index}`);
    const s: AlignedPair = { ...p };
    if (t && f) s.frame_text_similarity = round6(similarity(f, t));
    if (t && a) s.audio_text_similarity = round6(similarity(a, t));
    return s;
  });
  return { vectors, models, reused, pairs: scored };
}
