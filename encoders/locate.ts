import { stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelLoadError } from '../src/errors.js';
import type { Modality } from '../src/types.js';

/** A model found on disk: the id it is known by (recorded in heads) and its folder. */
export interface LocatedModel {
  id: string;
  dir: string;
}

const DEFAULT_MODELS: Readonly<Record<Modality, string>> = Object.freeze({
  text: 'mmalign/tiny-bert',
  image: 'mmalign/tiny-resnet',
  audio: 'mmalign/tiny-wav2vec2',
});

const PACKAGE_MODELS = fileURLToPath(new URL('../../fixtures/models', import.meta.url));

/** Temporary lookup until the model registry lands: a folder path, or an id under modelsDir. */
export async function locateModel(modality: Modality, { model = DEFAULT_MODELS[modality], modelsDir = PACKAGE_MODELS }: { model?: string; modelsDir?: string } = {}): Promise<LocatedModel> {
  const isDir = async (p: string) => (await stat(p).catch(() => null))?.isDirectory() ?? false;
  if ((isAbsolute(model) || model.startsWith('.')) && (await isDir(model))) return { id: model, dir: resolve(model) };
  const dir = join(modelsDir, model);
  if (await isDir(dir)) return { id: model, dir };
  throw new ModelLoadError(model, dir, `not found under ${modelsDir}`);
}
