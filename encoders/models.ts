import { closeSync, existsSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { mkdir, open as openFile, readdir, readFile, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { ModelDownloadError, ModelLoadError, ModelNotFoundError, InvalidOptionError } from '../src/core/errors/index.js';
import { MODEL_REVISION } from '../src/core/defaults.js';
import { env, readEnv, type EnvVars } from '../src/core/env.js';
import { makeStagingDir, replaceWithStaged, withAtomicFile } from '../src/core/fs.js';
import type { Modality } from '../src/core/types.js';
import { onnxFileOf, resolveDtype } from './dtype.js';
import type { Dtype } from './types.js';
import type { ModelFamily } from './onnx/build.js';
import { EMBEDDED_MODELS_DIR, FAMILY_MODEL_TYPE, getModalitySpec, type ModelConfigJson } from './registry.js';

/** The Hugging Face hub; override with `remoteHost`, `--mirror` or `$HF_ENDPOINT`. */
export const DEFAULT_REMOTE_HOST = 'https://huggingface.co';

/**
 * Where `mmalign models pull` puts models when no models folder is given.
 *
 * @example
 * defaultCacheDir(); // '/home/me/.cache/mmalign/models'
 */
export function defaultCacheDir(vars?: EnvVars): string {
  return join((vars ? readEnv(vars) : env).cacheHome, 'mmalign', 'models');
}

/**
 * Where `mmalign models pull` writes when no folder is given: `$MMALIGN_MODELS`, else the cache.
 *
 * @example
 * defaultPullDir(); // '/home/me/.cache/mmalign/models'
 */
export function defaultPullDir(): string {
  return env.modelsDir ?? defaultCacheDir();
}

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

/**
 * Whether a model name is a folder path (absolute, `./`, `../`, `~/`) rather than a hub id.
 *
 * @example
 * isModelPath('./models/my-bert'); // true
 * isModelPath('Xenova/resnet-50'); // false
 */
export function isModelPath(model: string): boolean {
  return isAbsolute(model) || model.startsWith('./') || model.startsWith('../') || model === '.' || model.startsWith('~/');
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

/**
 * Hub ids are `name` or `org/name` of safe characters: never a way to escape the models folder.
 *
 * @example
 * validateModelId('Xenova/resnet-50'); // ok
 * validateModelId('../etc'); // throws InvalidOptionError
 */
export function validateModelId(id: string): void {
  const parts = id.split('/');
  const ok = parts.length >= 1 && parts.length <= 2 && parts.every((p) => /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(p) && !p.includes('..'));
  if (!ok) throw new InvalidOptionError('model', id, 'a hub id like "Xenova/bert-base-uncased" or a folder path (absolute, or starting with ./)');
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

/**
 * Walks the protobuf framing of an ONNX file without decoding weights (a few hundred small reads
 * even for a 400 MB model) and says what is wrong, or null when the framing is sound. Catches
 * truncated downloads and non-ONNX files before onnxruntime gets a chance to fail obscurely.
 *
 * @example
 * checkOnnxFile('model.onnx'); // null, or e.g. 'truncated: the graph claims 438012345 bytes but only 1048576 remain'
 */
export function checkOnnxFile(path: string): string | null {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return 'empty file (0 bytes)';
    const buf = Buffer.alloc(16);
    const readVarint = (pos: number, end: number): { value: number; next: number } | null => {
      const n = readSync(fd, buf, 0, Math.min(10, end - pos), pos);
      let value = 0;
      let mul = 1;
      for (let i = 0; i < n; i++) {
        value += (buf[i] & 0x7f) * mul;
        mul *= 128;
        if ((buf[i] & 0x80) === 0) return { value, next: pos + i + 1 };
      }
      return null;
    };
    // Walks the fields in [start, end); returns where the graph field's payload lies, or an error string.
    const walk = (start: number, end: number, what: string): string | { fields: Map<number, [number, number][]> } => {
      const fields = new Map<number, [number, number][]>();
      let pos = start;
      while (pos < end) {
        const tag = readVarint(pos, end);
        if (!tag) return `truncated or corrupt ${what}: unreadable field tag at byte ${pos}`;
        const field = Math.floor(tag.value / 8);
        const wire = tag.value % 8;
        if (field === 0) return `not an ONNX model: invalid field number 0 at byte ${pos} of ${what}`;
        pos = tag.next;
        let payloadStart = pos;
        switch (wire) {
          case 0: {
            const v = readVarint(pos, end);
            if (!v) return `truncated or corrupt ${what}: unreadable varint at byte ${pos}`;
            pos = v.next;
            break;
          }
          case 1:
            pos += 8;
            break;
          case 5:
            pos += 4;
            break;
          case 2: {
            const len = readVarint(pos, end);
            if (!len) return `truncated or corrupt ${what}: unreadable length at byte ${pos}`;
            payloadStart = len.next;
            pos = len.next + len.value;
            if (pos > end) {
              return `truncated: field ${field} of ${what} claims ${len.value} bytes but only ${end - len.next} remain (file is ${size} bytes)`;
            }
            break;
          }
          default:
            return `not an ONNX model: unsupported protobuf wire type ${wire} at byte ${tag.next - 1} of ${what}`;
        }
        if (pos > end) return `truncated ${what}: field ${field} runs past the end`;
        const list = fields.get(field) ?? [];
        list.push([payloadStart, pos]);
        fields.set(field, list);
      }
      return { fields };
    };
    const top = walk(0, size, 'the model');
    if (typeof top === 'string') return top;
    const graph = top.fields.get(7);
    if (!graph || graph.length !== 1) return 'not an ONNX model: no graph (ModelProto field 7)';
    const inner = walk(graph[0][0], graph[0][1], 'the graph');
    if (typeof inner === 'string') return inner;
    if (!inner.fields.get(1)?.length) return 'corrupt: the graph has no nodes';
    return null;
  } finally {
    closeSync(fd);
  }
}

/** Files a transformers.js model folder may hold; `required` ones must download. */
const PULL_FILES: Readonly<Record<ModelFamily | 'common', readonly { file: string; required: boolean }[]>> = Object.freeze({
  common: [
    { file: 'config.json', required: true },
    { file: 'onnx/model.onnx', required: true },
  ],
  bert: [
    { file: 'tokenizer.json', required: true },
    { file: 'tokenizer_config.json', required: true },
    { file: 'special_tokens_map.json', required: false },
    { file: 'vocab.txt', required: false },
  ],
  resnet: [{ file: 'preprocessor_config.json', required: true }],
  wav2vec2: [
    { file: 'preprocessor_config.json', required: true },
    { file: 'tokenizer_config.json', required: false },
    { file: 'vocab.json', required: false },
    { file: 'special_tokens_map.json', required: false },
  ],
});

export interface PullModelOptions {
  /** Models folder to pull into (`<modelsDir>/<org>/<name>`). Default: `$MMALIGN_MODELS`, else the cache. */
  modelsDir?: string;
  /** Hub or mirror base URL; files come from `<remoteHost>/<id>/resolve/<revision>/<file>`, the hub's layout. */
  remoteHost?: string;
  revision?: string;
  fetch?: typeof fetch;
  /** Extra ONNX variants to fetch besides fp32 `onnx/model.onnx`, e.g. `['q8']` for `onnx/model_quantized.onnx`. */
  dtypes?: readonly Dtype[];
  /** Bytes received so far for the file being downloaded. */
  onProgress?: (file: string, received: number, total: number | null) => void;
}

export interface PulledModel {
  id: string;
  dir: string;
  files: { file: string; bytes: number }[];
}

/**
 * Downloads a model's config, preprocessor files and `onnx/model.onnx` from the hub or a
 * mirror in the hub's URL layout (the same `{model}/resolve/{revision}/` layout as
 * transformers.js's `env.remoteHost` + `env.remotePathTemplate`). Each file is written to a
 * temp name and renamed; config.json goes in last, so a folder with a config.json is complete.
 *
 * @example
 * await pullModel('Xenova/bert-base-uncased', { modelsDir: '/data/models', remoteHost: 'https://hf-mirror.com' });
 */
export async function pullModel(
  id: string,
  {
    modelsDir = defaultPullDir(),
    remoteHost = env.remoteHost ?? DEFAULT_REMOTE_HOST,
    revision = MODEL_REVISION,
    fetch: fetchImpl = globalThis.fetch,
    dtypes = [],
    onProgress,
  }: PullModelOptions = {},
): Promise<PulledModel> {
  validateModelId(id);
  for (const d of dtypes) {
    resolveDtype(d);
  }
  let host: URL;
  try {
    host = new URL(remoteHost.endsWith('/') ? remoteHost : remoteHost + '/');
  } catch {
    throw new InvalidOptionError('mirror', remoteHost, 'an http(s) URL such as https://huggingface.co');
  }
  if (host.protocol !== 'http:' && host.protocol !== 'https:') throw new InvalidOptionError('mirror', remoteHost, 'an http(s) URL');
  const dir = join(resolve(modelsDir), ...id.split('/'));
  const urlOf = (file: string) => new URL(`${id}/resolve/${encodeURIComponent(revision)}/${file}`, host).toString();
  const staging = await makeStagingDir(dir);
  try {
    const got: { file: string; bytes: number }[] = [];
    const configUrl = urlOf('config.json');
    const configBytes = await download(id, configUrl, join(staging, 'config.json'), true, fetchImpl, (r, t) => onProgress?.('config.json', r, t));
    if (configBytes === null) throw new ModelNotFoundError(id, [configUrl], 'Check the id (it is case-sensitive) and the mirror.');
    got.push({ file: 'config.json', bytes: configBytes });
    let config: ModelConfigJson;
    try {
      config = JSON.parse(await readFile(join(staging, 'config.json'), 'utf8')) as ModelConfigJson;
    } catch (err) {
      throw new ModelDownloadError(id, configUrl, 200, 'config.json is not valid JSON', err);
    }
    const family = (Object.keys(FAMILY_MODEL_TYPE) as ModelFamily[]).find((f) => FAMILY_MODEL_TYPE[f] === config.model_type);
    if (!family) {
      throw new ModelDownloadError(id, configUrl, 200, `model_type ${JSON.stringify(config.model_type)} is not one mmalign encodes (bert, resnet, wav2vec2)`);
    }
    const variants = [...new Set(dtypes)].filter((d) => d !== 'fp32').map((d) => ({ file: onnxFileOf(d), required: true }));
    for (const { file, required } of [...PULL_FILES.common.slice(1), ...variants, ...PULL_FILES[family]]) {
      const url = urlOf(file);
      const bytes = await download(id, url, join(staging, ...file.split('/')), required, fetchImpl, (r, t) => onProgress?.(file, r, t));
      if (bytes === null) {
        if (required) throw new ModelDownloadError(id, url, 404, `${file} is missing on the server; mmalign needs it`);
        continue;
      }
      got.push({ file, bytes });
    }
    const onnx = join(staging, 'onnx', 'model.onnx');
    const problem = checkOnnxFile(onnx);
    if (problem) throw new ModelDownloadError(id, urlOf('onnx/model.onnx'), 200, `the downloaded model.onnx is unusable: ${problem}`);
    // Move into place file by file (the folder may already hold other files), config.json last.
    const ordered = [...got.filter((g) => g.file !== 'config.json'), ...got.filter((g) => g.file === 'config.json')];
    await mkdir(join(dir, 'onnx'), { recursive: true });
    for (const g of ordered) await replaceWithStaged(join(staging, ...g.file.split('/')), join(dir, ...g.file.split('/')));
    return { id, dir, files: got.sort((a, b) => a.file.localeCompare(b.file)) };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Streams one URL to `dest` (atomically, via a temp file); null for a 404 on an optional file. */
async function download(
  id: string,
  url: string,
  dest: string,
  required: boolean,
  fetchImpl: typeof fetch,
  onProgress: (received: number, total: number | null) => void,
): Promise<number | null> {
  let res: Response;
  try {
    res = await fetchImpl(url, { redirect: 'follow' });
  } catch (err) {
    throw new ModelDownloadError(id, url, null, `network error (${(err as Error).message})`, err);
  }
  // The hub answers an unknown repo with 401 (not 404) to anonymous clients, naming it in x-error-code.
  const missingRepo = res.headers.get('x-error-code') === 'RepoNotFound';
  if (res.status === 404 || missingRepo || (!required && (res.status === 401 || res.status === 403))) {
    await res.body?.cancel();
    return null;
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw new ModelDownloadError(id, url, res.status, `HTTP ${res.status} ${res.statusText}`);
  }
  const lengthHeader = res.headers.get('content-length');
  const total = lengthHeader === null ? null : Number(lengthHeader);
  await mkdir(dirname(dest), { recursive: true });
  const body = res.body;
  return withAtomicFile(dest, async (part) => {
    const fh = await openFile(part, 'w');
    let received = 0;
    try {
      const reader = body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        await fh.write(value);
        received += value.length;
        onProgress(received, total);
      }
    } catch (err) {
      throw new ModelDownloadError(id, url, res.status, `connection broke after ${received} bytes (${(err as Error).message})`, err);
    } finally {
      await fh.close();
    }
    if (total !== null && Number.isFinite(total) && received !== total) {
      throw new ModelDownloadError(id, url, res.status, `received ${received} of ${total} bytes`);
    }
    return received;
  });
}

/** One row of `mmalign models list`. */
export interface ModelListing {
  modality: Modality;
  family: ModelFamily;
  defaultModel: string;
  embeddedModel: string;
  /** Models found in the searched folders that fit this modality. */
  local: { id: string; dir: string; source: ModelSource; generated: boolean }[];
}

/**
 * What each modality uses and which models are present locally (in `modelsDir`, the cache,
 * and the embedded set), without loading any of them.
 *
 * @example
 * for (const row of await listModels()) console.log(row.modality, row.defaultModel, row.local.map((m) => m.id));
 */
export async function listModels({ modelsDir = env.modelsDir, cacheDir = defaultCacheDir() }: { modelsDir?: string; cacheDir?: string } = {}): Promise<ModelListing[]> {
  const roots: { dir: string; source: ModelSource }[] = [];
  if (modelsDir) roots.push({ dir: resolve(modelsDir), source: 'models-dir' });
  roots.push({ dir: cacheDir, source: 'cache' }, { dir: EMBEDDED_MODELS_DIR, source: 'embedded' });
  const found: { id: string; dir: string; source: ModelSource; generated: boolean; modelType: unknown }[] = [];
  for (const root of roots) {
    for (const id of await modelIdsUnder(root.dir)) {
      const dir = join(root.dir, ...id.split('/'));
      try {
        const cfg = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as ModelConfigJson;
        const marker = cfg.mmalign as { generated?: unknown } | undefined;
        found.push({ id, dir, source: root.source, generated: marker?.generated === true, modelType: cfg.model_type });
      } catch {
        // An unreadable config is reported when that model is resolved; a listing skips it.
      }
    }
  }
  const modalities: Modality[] = ['text', 'image', 'audio'];
  return modalities.map((modality) => {
    const spec = getModalitySpec(modality);
    return {
      modality,
      family: spec.family,
      defaultModel: spec.defaultModel,
      embeddedModel: spec.embeddedModel,
      local: found.filter((f) => f.modelType === FAMILY_MODEL_TYPE[spec.family]).map(({ id, dir, source, generated }) => ({ id, dir, source, generated })),
    };
  });
}

/** `org/name` (and bare `name`) folders under a models root that hold a config.json. */
async function modelIdsUnder(root: string): Promise<string[]> {
  const ids: string[] = [];
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    if (existsSync(join(root, e.name, 'config.json'))) {
      ids.push(e.name);
      continue;
    }
    const inner = await readdir(join(root, e.name), { withFileTypes: true }).catch(() => []);
    for (const f of inner.sort((a, b) => a.name.localeCompare(b.name))) {
      if (f.isDirectory() && !f.name.includes('.partial-') && existsSync(join(root, e.name, f.name, 'config.json'))) ids.push(`${e.name}/${f.name}`);
    }
  }
  return ids;
}
