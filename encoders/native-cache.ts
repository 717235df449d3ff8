import { createHash } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EmbeddingDimensionError, InputFileError } from '../src/core/errors/index.js';
import { writeFileAtomic } from '../src/core/fs.js';
import { silentProgress, type Progress } from '../src/core/progress.js';
import { MODALITIES, type Modality } from '../src/core/types.js';
import type { NativePair, NativePairs } from './native-pairs.js';
import type { Encoder, InputOf } from './types.js';

const INDEX_FILE = 'native-cache.json';
const DATA_FILE = 'native-cache.f32';
const CACHE_VERSION = 1;

interface CacheIndex {
  version: number;
  /** `<modelId>\0<content key>` → where the vector sits in the data file (in floats). */
  entries: Record<string, { offset: number; dim: number }>;
}

/**
 * Native embeddings computed once and kept on disk, keyed by model id + content hash, so training
 * and evaluating heads again never re-runs the encoders on unchanged inputs.
 *
 * Two files in one folder: `native-cache.f32` (raw little-endian float32 vectors, append-only) and
 * `native-cache.json` (the index), replaced atomically after the data is synced. A crash between the
 * two leaves unindexed bytes at the end of the data file, never an index entry without its data.
 *
 * @example
 * const cache = await NativeCache.open('out/');
 * const v = cache.get('mmalign/tiny-bert', textKey('hello')) ?? (await embedAndPut());
 */
export class NativeCache {
  readonly dir: string;
  #index: CacheIndex;
  #data: Float32Array;
  #pending: { key: string; vector: Float32Array }[] = [];

  private constructor(dir: string, index: CacheIndex, data: Float32Array) {
    this.dir = dir;
    this.#index = index;
    this.#data = data;
  }

  /** Opens the cache in `dir` (empty if its files do not exist yet). */
  static async open(dir: string): Promise<NativeCache> {
    const indexFile = join(dir, INDEX_FILE);
    let index: CacheIndex = { version: CACHE_VERSION, entries: {} };
    let data = new Float32Array(0);
    let raw: string | null = null;
    try {
      raw = await readFile(indexFile, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new InputFileError(indexFile, 'cannot read the native-embedding cache index', err);
    }
    if (raw !== null) {
      try {
        index = JSON.parse(raw) as CacheIndex;
      } catch (err) {
        throw new InputFileError(indexFile, 'native-embedding cache index is not JSON; delete it and its .f32 file to rebuild', err);
      }
      if (index.version !== CACHE_VERSION || typeof index.entries !== 'object') {
        throw new InputFileError(indexFile, `unsupported cache version ${index.version}; delete it and its .f32 file to rebuild`);
      }
      const bytes = await readFile(join(dir, DATA_FILE)).catch((err) => {
        throw new InputFileError(join(dir, DATA_FILE), 'native-embedding cache data is missing; delete the index to rebuild', err);
      });
      data = new Float32Array(bytes.byteLength >> 2);
      new Uint8Array(data.buffer).set(bytes.subarray(0, data.byteLength));
      for (const [k, e] of Object.entries(index.entries)) {
        if (e.offset + e.dim > data.length) {
          throw new InputFileError(join(dir, DATA_FILE), `cache entry ${JSON.stringify(k)} points past the end of the data; delete both cache files to rebuild`);
        }
      }
    }
    return new NativeCache(dir, index, data);
  }

  /** Number of cached vectors (written or pending). */
  get size(): number {
    return Object.keys(this.#index.entries).length + this.#pending.length;
  }

  get(modelId: string, key: string): Float32Array | undefined {
    const k = `${modelId}\0${key}`;
    const e = this.#index.entries[k];
    if (e) return this.#data.slice(e.offset, e.offset + e.dim);
    return this.#pending.find((p) => p.key === k)?.vector;
  }

  /** Queues a vector; {@link flush} writes the queue. */
  put(modelId: string, key: string, vector: Float32Array): void {
    this.#pending.push({ key: `${modelId}\0${key}`, vector: vector.slice() });
  }

  /** Appends queued vectors to the data file (fsynced), then replaces the index atomically. */
  async flush(): Promise<void> {
    if (this.#pending.length === 0) return;
    const total = this.#pending.reduce((s, p) => s + p.vector.length, 0);
    const chunk = new Float32Array(total);
    await mkdir(this.dir, { recursive: true });
    const fh = await open(join(this.dir, DATA_FILE), 'a+');
    try {
      // The file may hold unindexed bytes from a crashed run: offsets start at its real end.
      const size = (await fh.stat()).size;
      if (size % 4 !== 0) throw new InputFileError(join(this.dir, DATA_FILE), 'cache data is not a whole number of floats; delete both cache files to rebuild');
      const start = size >> 2;
      let at = 0;
      for (const p of this.#pending) {
        chunk.set(p.vector, at);
        this.#index.entries[p.key] = { offset: start + at, dim: p.vector.length };
        at += p.vector.length;
      }
      await fh.write(new Uint8Array(chunk.buffer));
      await fh.sync();
      const grown = new Float32Array(start + total);
      grown.set(this.#data.subarray(0, Math.min(this.#data.length, start)));
      grown.set(chunk, start);
      this.#data = grown;
    } finally {
      await fh.close();
    }
    this.#pending = [];
    await writeFileAtomic(join(this.dir, INDEX_FILE), JSON.stringify(this.#index));
  }
}

/** Cache key of a text: its sha256. */
export function textKey(text: string): string {
  return createHash('sha256').update('text\0').update(text).digest('hex');
}

/** Cache key of bytes (an image file, PCM samples): their sha256. */
export function bytesKey(kind: string, bytes: Uint8Array): string {
  return createHash('sha256').update(`${kind}\0`).update(bytes).digest('hex');
}

/** An input to embed, with the content key its native vector is cached under. */
export interface RawItem<M extends Modality = Modality> {
  key: string;
  input: InputOf[M];
}

/** Pairs over inputs still to be embedded: what pairs.jsonl or a knowledge base yields. */
export interface RawPairs {
  items: { [M in Modality]?: RawItem<M>[] };
  pairs: NativePair[];
}

/**
 * Native embeddings for every item of `raw`, from the cache where present and from the encoders
 * (`embedNative`, in batches) otherwise; new vectors are written back to the cache.
 *
 * @example
 * const data = await embedRawPairs(raw, { encoder: (m) => encoders[m], cache: await NativeCache.open(dir) });
 * const { heads } = trainHeads(data);
 */
export async function embedRawPairs(
  raw: RawPairs,
  {
    encoder,
    cache,
    batchSize = 16,
    progress = silentProgress,
  }: { encoder: (m: Modality) => Promise<Encoder>; cache: NativeCache | null; batchSize?: number; progress?: Progress },
): Promise<NativePairs> {
  const embeddings: NativePairs['embeddings'] = {};
  const modelIds: Partial<Record<Modality, string>> = {};
  for (const m of MODALITIES) {
    const items = raw.items[m] as RawItem[] | undefined;
    if (!items || items.length === 0) continue;
    const enc = await encoder(m);
    modelIds[m] = enc.modelId;
    // Keyed on the model file too: a model replaced under the same id gives other native vectors.
    const cacheModel = enc.fingerprint ? `${enc.modelId}#${enc.fingerprint}` : enc.modelId;
    const dim = enc.nativeDims();
    const vectors: Float32Array[] = new Array(items.length);
    const missing: number[] = [];
    items.forEach((it, i) => {
      const hit = cache?.get(cacheModel, it.key);
      if (hit && hit.length === dim) vectors[i] = hit;
      else missing.push(i);
    });
    const bar = progress.stage(`embed ${m}`, missing.length);
    for (let b = 0; b < missing.length; b += batchSize) {
      const idx = missing.slice(b, b + batchSize);
      const out = await enc.embedNative(idx.map((i) => items[i].input) as never[]);
      out.forEach((v, j) => {
        if (v.length !== dim) throw new EmbeddingDimensionError(m, idx[j], dim, v.length, enc.modelId);
        vectors[idx[j]] = v;
        cache?.put(cacheModel, items[idx[j]].key, v);
      });
      bar.tick(idx.length);
      // Flush as we go so an interrupted run keeps what it computed.
      if (cache && (b / batchSize) % 16 === 15) await cache.flush();
    }
    bar.done();
    await cache?.flush();
    embeddings[m] = vectors;
  }
  return { embeddings, pairs: raw.pairs, modelIds };
}
