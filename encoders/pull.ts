/** `mmalign models pull`: a model's files from the hub or a mirror, into a models folder, atomically. */
import { mkdir, open as openFile, readFile, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { InvalidOptionError, ModelDownloadError, ModelNotFoundError } from '../src/core/errors/index.js';
import { MODEL_REVISION } from '../src/core/defaults.js';
import { env } from '../src/core/env.js';
import { makeStagingDir, replaceWithStaged, withAtomicFile } from '../src/core/fs.js';
import { onnxFileOf, resolveDtype } from './dtype.js';
import { DEFAULT_REMOTE_HOST, defaultPullDir, validateModelId } from './model-places.js';
import { checkOnnxFile } from './onnx-check.js';
import type { ModelFamily } from './onnx/build.js';
import { FAMILY_MODEL_TYPE, type ModelConfigJson } from './registry.js';
import type { Dtype } from './types.js';

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
