/**
 * Finding a modality's model folder (a folder path, the models folder, the cache, the embedded models,
 * then with `allowRemote` the hub) and checking it before anything loads it.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { ModelLoadError, ModelNotFoundError } from '../src/core/errors/index.js';
import { MODEL_REVISION } from '../src/core/defaults.js';
import { env } from '../src/core/env.js';
import type { Modality } from '../src/core/types.js';
import { DEFAULT_REMOTE_HOST, defaultCacheDir, isModelPath, validateModelId } from './model-places.js';
import { checkOnnxFile } from './onnx-check.js';
import type { ModelFamily } from './onnx/build.js';
import { pullModel } from './pull.js';
import { EMBEDDED_MODELS_DIR, FAMILY_MODEL_TYPE, getModalitySpec, type ModelConfigJson } from './registry.js';
import type { Dtype } from './types.js';

/** Where a resolved model was found. */
export type ModelSource = 'folder' | 'models-dir' | 'cache' | 'embedded' | 'downloaded';

/** A model folder that is present, checked, and ready to load. */
export interface ResolvedModel {
  modality: Modality;
  family: ModelFamily;
  /** The id it is known by (recorded in heads and indexes): the hub id, or the folder path given. */
  id: string;
  /** Absolute path of the model folder (config.json, onnx/model.onnx, ...). */
  dir: string;
  source: ModelSource;
  config: ModelConfigJson;
  /** Width of the model's own output (BERT/Wav2Vec2 hidden size, ResNet's last stage channels). */
  nativeDims: number;
  onnxFile: string;
  /** True for models mmalign generated (seeded, not semantic). */
  generated: boolean;
  /** transformers.js loading: set `env.localModelPath = localModelPath` and call `from_pretrained(modelId)`. */
  transformers: { localModelPath: string; modelId: string };
}

export interface ResolveModelOptions {
  /** A hub id (`Xenova/bert-base-uncased`, `mmalign/tiny-bert`) or a model folder path. Default: the embedded tiny model. */
  model?: string;
  /** A folder of `<org>/<name>/` model folders. Default: `$MMALIGN_MODELS`. */
  modelsDir?: string;
  /** Where pulled models live; searched after `modelsDir`. Default: `~/.cache/mmalign/models`. */
  cacheDir?: string;
  /** Download a model found nowhere locally into `cacheDir`. Default false: nothing touches the network unasked. */
  allowRemote?: boolean;
  /** Hub or mirror base URL. Default: `$HF_ENDPOINT` or https://huggingface.co. */
  remoteHost?: string;
  revision?: string;
  fetch?: typeof fetch;
  /** The ONNX variant the caller will load; a download fetches it too (e.g. q8: onnx/model_quantized.onnx). */
  dtype?: Dtype;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Finds a modality's model and checks it before anything loads it: config.json parses and
 * declares the right `model_type`, `onnx/model.onnx` is a complete ONNX file, and the
 * preprocessor files exist. Search order for a hub id: `modelsDir` (`$MMALIGN_MODELS`), the
 * pull cache, the embedded tiny models, then (only with `allowRemote`) the hub or mirror, into
 * the cache. With no `model`, the embedded tiny model is used: it always exists and needs no
 * network, but it is generated and not semantic — name a real model for real use.
 *
 * @example
 * const m = await resolveModel('text'); // mmalign/tiny-bert, from the package
 * const real = await resolveModel('image', { model: 'Xenova/resnet-50', modelsDir: '/data/models' });
 * console.log(real.dir, real.nativeDims); // /data/models/Xenova/resnet-50 2048
 */
export async function resolveModel(
  modality: Modality,
  {
    model,
    modelsDir = env.modelsDir,
    cacheDir = defaultCacheDir(),
    allowRemote = false,
    remoteHost = env.remoteHost ?? DEFAULT_REMOTE_HOST,
    revision = MODEL_REVISION,
    fetch: fetchImpl = globalThis.fetch,
    dtype,
  }: ResolveModelOptions = {},
): Promise<ResolvedModel> {
  const spec = getModalitySpec(modality);
  const id = model ?? spec.embeddedModel;
  if (isModelPath(id)) {
    const dir = resolve(id.startsWith('~/') ? join(homedir(), id.slice(2)) : id);
    if (!isDir(dir)) throw new ModelNotFoundError(id, [dir], 'The path given is not a folder.');
    return checkModelFolder(modality, id, dir, 'folder');
  }
  validateModelId(id);
  const places: { dir: string; source: ModelSource }[] = [];
  if (modelsDir) places.push({ dir: join(resolve(modelsDir), ...id.split('/')), source: 'models-dir' });
  places.push({ dir: join(cacheDir, ...id.split('/')), source: 'cache' });
  places.push({ dir: join(EMBEDDED_MODELS_DIR, ...id.split('/')), source: 'embedded' });
  for (const p of places) {
    if (existsSync(join(p.dir, 'config.json'))) return checkModelFolder(modality, id, p.dir, p.source);
  }
  const searched = places.map((p) => p.dir);
  if (!allowRemote) {
    throw new ModelNotFoundError(
      id,
      searched,
      `Or add --allow-remote (library: allowRemote: true) to download it from ${remoteHost} ($HF_ENDPOINT) into ${cacheDir}; remote downloads are off by default`,
    );
  }
  const pulled = await pullModel(id, { modelsDir: cacheDir, remoteHost, revision, fetch: fetchImpl, dtypes: dtype && dtype !== 'fp32' ? [dtype] : [] });
  return checkModelFolder(modality, id, pulled.dir, 'downloaded');
}

async function readConfig(id: string, dir: string): Promise<ModelConfigJson> {
  const file = join(dir, 'config.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new ModelNotFoundError(id, [file], `${dir} has no readable config.json, so it is not a transformers.js model folder.`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
    return parsed as ModelConfigJson;
  } catch (err) {
    throw new ModelLoadError(id, file, `not valid JSON (${(err as Error).message})`, err);
  }
}

async function checkModelFolder(modality: Modality, id: string, dir: string, source: ModelSource): Promise<ResolvedModel> {
  const spec = getModalitySpec(modality);
  const config = await readConfig(id, dir);
  const want = FAMILY_MODEL_TYPE[spec.family];
  if (config.model_type !== want) {
    throw new ModelLoadError(id, join(dir, 'config.json'), `model_type is ${JSON.stringify(config.model_type)}, but ${modality} needs a "${want}" model`);
  }
  let nativeDims: number;
  try {
    nativeDims = spec.nativeDims(config);
  } catch (err) {
    throw new ModelLoadError(id, join(dir, 'config.json'), (err as Error).message, err);
  }
  const needed = spec.preprocessor === 'tokenizer' ? ['tokenizer.json', 'tokenizer_config.json'] : ['preprocessor_config.json'];
  for (const f of needed) {
    if (!existsSync(join(dir, f))) throw new ModelLoadError(id, join(dir, f), `missing; the ${spec.preprocessor} preprocessing cannot be built without it`);
  }
  const onnxFile = join(dir, 'onnx', 'model.onnx');
  if (!existsSync(onnxFile)) throw new ModelLoadError(id, onnxFile, 'missing (mmalign loads the fp32 ONNX export in transformers.js layout)');
  const problem = checkOnnxFile(onnxFile);
  if (problem) throw new ModelLoadError(id, onnxFile, problem);
  const marker = config.mmalign as { generated?: unknown } | undefined;
  return {
    modality,
    family: spec.family,
    id,
    dir,
    source,
    config,
    nativeDims,
    onnxFile,
    generated: marker?.generated === true,
    transformers: { localModelPath: dirname(dir) + '/', modelId: basename(dir) },
  };
}
