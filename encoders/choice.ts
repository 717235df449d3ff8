/**
 * Which model file a modality's encoder loads: the model named for that modality (or its embedded tiny
 * model), the dtype's ONNX variant in it, and that file's fingerprint. One choice object serves all three
 * modalities, so the CLI's `--text-model/--image-model/--audio-model/--dtype` travel as one value.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidOptionError, ModelLoadError } from '../src/core/errors/index.js';
import { ENCODER_DEFAULTS } from '../src/core/defaults.js';
import { MODALITIES, type Modality } from '../src/core/types.js';
import { DTYPES, onnxFileOf, resolveDtype } from './dtype.js';
import { fingerprintFile } from './fingerprint.js';
import { defaultCacheDir } from './model-places.js';
import { resolveModel, type ResolvedModel, type ResolveModelOptions } from './models.js';
import { checkOnnxFile } from './onnx-check.js';
import { pullModel } from './pull.js';
import type { Dtype } from './types.js';

/** One value for every modality, or a value per modality (modalities left out take the default). */
export type PerModality<T> = T | Readonly<Partial<Record<Modality, T>>>;

/**
 * The value a {@link PerModality} setting has for one modality.
 *
 * @example
 * forModality({ text: 'q8' }, 'text'); // 'q8'
 * forModality({ text: 'q8' }, 'audio'); // undefined
 * forModality('fp16', 'image'); // 'fp16'
 */
export function forModality<T extends string>(value: PerModality<T> | undefined, modality: Modality, option = 'option'): T | undefined {
  if (value === undefined || typeof value === 'string') return value as T | undefined;
  if (value === null || typeof value !== 'object') throw new InvalidOptionError(option, value, `a string or an object keyed by ${MODALITIES.join(', ')}`);
  for (const k of Object.keys(value)) if (!(MODALITIES as readonly string[]).includes(k)) throw new InvalidOptionError(option, k, `a key among ${MODALITIES.join(', ')}`);
  return (value as Partial<Record<Modality, T>>)[modality];
}

/** Where a modality's model comes from: what `createEncoder`, `alignVideo` and the knowledge base take. */
export interface ModelChoice extends Omit<ResolveModelOptions, 'model' | 'dtype'> {
  /** Hub id or folder, for all modalities or per modality. Default: each modality's embedded tiny model. */
  model?: PerModality<string>;
  /** ONNX variant to load (`q8`: onnx/model_quantized.onnx), for all modalities or per modality. Default fp32. */
  dtype?: PerModality<Dtype>;
}

/** A model folder found and checked, with the ONNX file of the dtype asked for. */
export interface LocatedModelFile {
  located: ResolvedModel;
  dtype: Dtype;
  /** Absolute path of the ONNX file that will be loaded. */
  file: string;
}

/**
 * Finds a modality's model (see `resolveModel`: models folder, cache, embedded, then the hub with
 * `allowRemote`) and the ONNX file of its dtype, checked before anything loads it.
 *
 * @example
 * const { file } = await locateModelFile('text', { model: { text: 'Xenova/bert-base-uncased' }, dtype: 'q8' });
 * // .../Xenova/bert-base-uncased/onnx/model_quantized.onnx
 */
export async function locateModelFile(modality: Modality, { model, dtype, ...resolve }: ModelChoice = {}): Promise<LocatedModelFile> {
  const id = forModality(model, modality, 'model');
  const d = resolveDtype(forModality(dtype, modality, 'dtype') ?? ENCODER_DEFAULTS.dtype);
  let located = await resolveModel(modality, { ...resolve, model: id, dtype: d });
  const fileIn = (dir: string) => join(dir, ...onnxFileOf(d).split('/'));
  // A model pulled earlier without this variant: with downloads allowed, fetch the variant into the cache.
  if (resolve.allowRemote && located.source === 'cache' && !(await isFile(fileIn(located.dir)))) {
    const { cacheDir = defaultCacheDir(), remoteHost, revision, fetch } = resolve;
    await pullModel(located.id, { modelsDir: cacheDir, remoteHost, revision, fetch, dtypes: [d] });
    located = await resolveModel(modality, { ...resolve, model: id, dtype: d });
  }
  const file = fileIn(located.dir);
  await assertOnnxFile(file, located.dir, d, located.id);
  return { located, dtype: d, file };
}

/** What identifies a modality's vectors before any model is loaded. */
export interface ModelIdentity {
  model: string;
  dtype: Dtype;
  /** sha256 (hex) of the ONNX file. */
  fingerprint: string;
  /** True for models mmalign generated (seeded, not semantic). */
  generated: boolean;
}

/**
 * The id, dtype and file fingerprint a modality would be encoded with, without loading the model:
 * what decides whether stored vectors (a corpus job, an aligned video in a knowledge base) are stale.
 *
 * @example
 * const { fingerprint } = await identifyModel('image', { model: { image: 'Xenova/resnet-50' } });
 */
export async function identifyModel(modality: Modality, choice: ModelChoice = {}): Promise<ModelIdentity> {
  const { located, dtype, file } = await locateModelFile(modality, choice);
  return { model: located.id, dtype, fingerprint: await fingerprintFile(file), generated: located.generated };
}

async function isFile(file: string): Promise<boolean> {
  return stat(file).then((st) => st.isFile(), () => false);
}

async function assertOnnxFile(file: string, dir: string, dtype: Dtype, model: string): Promise<void> {
  if (!(await isFile(file))) {
    const have = await readdir(join(dir, 'onnx')).catch(() => [] as string[]);
    const dtypes = DTYPES.filter((d) => have.includes(onnxFileOf(d).slice('onnx/'.length)));
    const make =
      dtype === 'q8'
        ? `make it with \`mmalign models quantize ${dir}\`, or download it with \`mmalign models pull ${model} --dtype q8\``
        : `download it with \`mmalign models pull ${model} --dtype ${dtype}\``;
    throw new ModelLoadError(model, file, `missing (dtype ${dtype}); dtypes present in ${join(dir, 'onnx')}: ${dtypes.join(', ') || 'none'}. To use ${dtype}, ${make}`);
  }
  // resolveModel checked model.onnx; another variant gets the same check before onnxruntime sees it.
  const problem = dtype === 'fp32' ? null : checkOnnxFile(file);
  if (problem) throw new ModelLoadError(model, file, problem);
}
