/** `mmalign models list`: which models each modality can use here, found without loading any. */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { env } from '../src/core/env.js';
import type { Modality } from '../src/core/types.js';
import { defaultCacheDir } from './model-places.js';
import type { ModelSource } from './models.js';
import type { ModelFamily } from './onnx/build.js';
import { EMBEDDED_MODELS_DIR, FAMILY_MODEL_TYPE, getModalitySpec, type ModelConfigJson } from './registry.js';

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
