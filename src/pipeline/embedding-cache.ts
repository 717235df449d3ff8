/**
 * Vectors of an earlier run in DIR (embeddings.f32 + embeddings.json), reused per row when the
 * content key, the model and the heads version all match.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Encoder } from '../../encoders/types.js';
import type { Modality } from '../core/types.js';

export interface EmbeddingCache {
  models: Partial<Record<Modality, { model: string; heads: string | null }>>;
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
 * The cached vectors usable with this encoder: only those made by the same model and heads.
 *
 * @example
 * const usable = cachedFor(cache, 'text', { model: enc.modelId, heads: headsVersion(enc) });
 */
export function cachedFor(cache: EmbeddingCache | null, modality: Modality, model: { model: string; heads: string | null }): Map<string, Float32Array> | null {
  const m = cache?.models[modality];
  return m?.model === model.model && m.heads === model.heads ? cache!.byKey : null;
}

/**
 * The projection-heads version an encoder carries, or null.
 *
 * @example
 * headsVersion(await createEncoder('text')); // 'seeded-…'
 */
export function headsVersion(enc: Encoder): string | null {
  // Encoders built on BaseEncoder carry their projection heads; others simply record no version.
  const heads = (enc as unknown as { heads?: { metadata?: { version?: unknown } } }).heads;
  return typeof heads?.metadata?.version === 'string' ? heads.metadata.version : null;
}
