/**
 * Vectors of an earlier run in DIR (embeddings.f32 + embeddings.json), reused per row when the
 * content key, the model file (id, dtype, fingerprint) and the heads version all match.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { sameModel } from '../../encoders/record.js';
import type { ModelRecord, Modality } from '../core/types.js';

export interface EmbeddingCache {
  /** Per modality, what the earlier run's vectors came from (records written before fingerprints lack some fields). */
  models: Partial<Record<Modality, Partial<ModelRecord>>>;
  /** `modality\0key` → vector. */
  byKey: Map<string, Float32Array>;
}

/**
 * The vectors of an earlier run in `out`, or null when there are none or they do not read back cleanly.
 *
 * @example
 * const cache = await loadEmbeddingCache('out');
 * const v = cache?.byKey.get(`image\u0000${sha1}`);
 */
export async function loadEmbeddingCache(out: string): Promise<EmbeddingCache | null> {
  try {
    const index = JSON.parse(await readFile(path.join(out, 'embeddings.json'), 'utf8')) as {
      dim: number;
      models: EmbeddingCache['models'];
      rows: { modality: Modality; row: number; key?: string }[];
    };
    const raw = await readFile(path.join(out, 'embeddings.f32'));
    if (raw.length !== index.rows.length * index.dim * 4) return null;
    const all = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
    const byKey = new Map<string, Float32Array>();
    for (const r of index.rows) {
      if (r.key) byKey.set(`${r.modality}\u0000${r.key}`, all.slice(r.row * index.dim, (r.row + 1) * index.dim));
    }
    return { models: index.models ?? {}, byKey };
  } catch {
    return null;
  }
}

/**
 * The cached vectors usable with this encoder: only those made by the same model file (id, dtype,
 * fingerprint) and heads.
 *
 * @example
 * const usable = cachedFor(cache, 'text', encoderRecord(enc));
 */
export function cachedFor(cache: EmbeddingCache | null, modality: Modality, model: ModelRecord): Map<string, Float32Array> | null {
  return cache && sameModel(cache.models[modality], model) ? cache.byKey : null;
}
