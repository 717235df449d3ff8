/**
 * Where models live and what they are called: the hub, the pull cache, the folder `models pull` writes
 * to, and the two ways of naming a model (a hub id or a folder path).
 */
import { isAbsolute, join } from 'node:path';
import { InvalidOptionError } from '../src/core/errors/index.js';
import { env, readEnv, type EnvVars } from '../src/core/env.js';

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
