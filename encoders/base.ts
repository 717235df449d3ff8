import type * as ort from 'onnxruntime-node';
import { EmbedBatchError, EncodeInputError, UsageError } from '../src/core/errors/index.js';
import { EMBED_DIM, type Modality } from '../src/core/types.js';
import type { ProjectionHeads } from './heads.js';
import type { Device, Dtype, EmbedOutcome, Encoder, InputOf } from './types.js';

/**
 * One model run's worth of an input: a text window, an image, an audio window. An input becomes one
 * or more units; its native embedding is the weighted mean of its units' embeddings.
 */
export interface Unit<P> {
  payload: P;
  /** Weight in the input's average (tokens or samples covered). */
  weight: number;
  /** Sort key: units of similar size are batched together to cut padding. */
  size: number;
}

/** Per input: the embedding of each of its units, in order, or the error that stopped it. */
export type UnitOutcome = { ok: true; vectors: Float32Array[] } | { ok: false; error: Error };

export interface BaseEncoderParams<M extends Modality> {
  modality: M;
  modelId: string;
  device: Exclude<Device, 'auto'>;
  dtype: Dtype;
  /** sha256 (hex) of the ONNX file the session was loaded from. */
  fingerprint: string;
  session: ort.InferenceSession;
  nativeDims: number;
  heads: ProjectionHeads;
  batchSize: number;
  /**
   * `all`: prepare every input before running (cheap preparation like tokenising; lets units be
   * sorted by size across the whole call). `chunk`: prepare `batchSize` inputs at a time, the next
   * chunk while the model runs the current one (decoding images/audio overlaps inference).
   */
  prepareMode: 'all' | 'chunk';
  /** Only batch units of exactly equal size (models without an attention mask, where padding changes results). */
  exactSizeBatches: boolean;
  /** How many inputs of a chunk are prepared at once (decoders are processes or thread pools). */
  prepareConcurrency: number;
  /** Decode the next chunk while the model runs the current one (else strictly in turn). */
  overlap: boolean;
}

/**
 * The batching, pipelining, averaging and projection shared by every modality; subclasses only say
 * how an input becomes units and how a batch of units runs through the model.
 */
export abstract class BaseEncoder<M extends Modality, P> implements Encoder<M> {
  readonly modality: M;
  readonly modelId: string;
  readonly device: Exclude<Device, 'auto'>;
  readonly dtype: Dtype;
  readonly fingerprint: string;
  readonly heads: ProjectionHeads;
  protected readonly session: ort.InferenceSession;
  protected readonly batchSize: number;
  readonly #nativeDims: number;
  readonly #prepareMode: 'all' | 'chunk';
  readonly #exact: boolean;
  readonly #concurrency: number;
  readonly #overlap: boolean;
  #disposed = false;

  constructor(p: BaseEncoderParams<M>) {
    this.modality = p.modality;
    this.modelId = p.modelId;
    this.device = p.device;
    this.dtype = p.dtype;
    this.fingerprint = p.fingerprint;
    this.session = p.session;
    this.#nativeDims = p.nativeDims;
    this.heads = p.heads;
    this.batchSize = p.batchSize;
    this.#prepareMode = p.prepareMode;
    this.#exact = p.exactSizeBatches;
    this.#concurrency = p.prepareConcurrency;
    this.#overlap = p.overlap;
  }

  /** Turns one input into units; throws {@link EncodeInputError} naming the input when it cannot. */
  protected abstract prepare(input: InputOf[M], index: number): Promise<Unit<P>[]>;
  /** Runs a batch of units through the model; returns one native vector per unit. */
  protected abstract run(units: readonly P[]): Promise<Float32Array[]>;
  /** How an input is named in error messages. */
  protected abstract describe(input: InputOf[M]): string;

  ndims(): number {
    return EMBED_DIM;
  }

  nativeDims(): number {
    return this.#nativeDims;
  }

  async embed(batch: readonly InputOf[M][]): Promise<Float32Array[]> {
    return unwrap(await this.embedSettled(batch));
  }

  async embedSettled(batch: readonly InputOf[M][]): Promise<EmbedOutcome[]> {
    const units = await this.embedUnits(batch);
    return units.map((u) => (u.ok ? { ok: true, vector: this.heads.project(this.modality, mean(u.vectors, u.weights)) } : u));
  }

  async embedNative(batch: readonly InputOf[M][]): Promise<Float32Array[]> {
    const units = await this.embedUnits(batch);
    return unwrap(units.map((u): EmbedOutcome => (u.ok ? { ok: true, vector: mean(u.vectors, u.weights) } : u)));
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await this.session.release();
  }

  /**
   * Embeds every unit of every input: the per-unit vectors (native) with their weights, in input
   * order. A failed input is reported and the rest carry on; a failed model run fails only the
   * inputs whose units were in it.
   */
  protected async embedUnits(
    batch: readonly InputOf[M][],
  ): Promise<Array<{ ok: true; vectors: Float32Array[]; weights: number[] } | { ok: false; error: Error }>> {
    if (this.#disposed) throw new UsageError(`This ${this.modality} encoder was disposed; create a new one with createEncoder().`);
    const n = batch.length;
    const vectors: (Float32Array | undefined)[][] = Array.from({ length: n }, () => []);
    const weights: number[][] = Array.from({ length: n }, () => []);
    const errors: (Error | undefined)[] = new Array(n);
    const chunk = this.#prepareMode === 'all' ? Math.max(n, 1) : this.batchSize;

    const prepareChunk = (start: number) =>
      mapLimit(batch.slice(start, start + chunk), this.#concurrency, async (input, k) => {
        const index = start + k;
        try {
          return await this.prepare(input, index);
        } catch (err) {
          errors[index] = asInputError(err, this.describe(input), this.modality, index);
          return [];
        }
      });

    let pending: Promise<Unit<P>[][]> | null = n > 0 ? prepareChunk(0) : null;
    for (let start = 0; pending; start += chunk) {
      const prepared = await pending;
      const next = start + chunk < n ? start + chunk : null;
      // Start decoding the next chunk now, so it overlaps this chunk's model runs (or after them).
      pending = next !== null && this.#overlap ? prepareChunk(next) : null;
      const flat: { item: number; slot: number; unit: Unit<P> }[] = [];
      prepared.forEach((units, k) => {
        const item = start + k;
        units.forEach((unit, slot) => {
          flat.push({ item, slot, unit });
          weights[item].push(unit.weight);
        });
      });
      flat.sort((a, b) => a.unit.size - b.unit.size); // stable: equal sizes keep input order
      for (const group of this.#batches(flat)) {
        try {
          const out = await this.run(group.map((g) => g.unit.payload));
          group.forEach((g, i) => (vectors[g.item][g.slot] = out[i]));
        } catch (err) {
          const e = err instanceof Error ? err : new Error(String(err));
          for (const g of group) errors[g.item] ??= new EncodeInputError(this.describe(batch[g.item]), this.modality, `model run failed: ${e.message}`, { index: g.item, cause: e });
        }
      }
      if (next !== null && !this.#overlap) pending = prepareChunk(next);
    }
    return batch.map((_, i) => {
      const error = errors[i];
      if (error) return { ok: false as const, error };
      return { ok: true as const, vectors: vectors[i] as Float32Array[], weights: weights[i] };
    });
  }

  *#batches<T extends { unit: Unit<P> }>(sorted: T[]): Generator<T[]> {
    let cur: T[] = [];
    for (const u of sorted) {
      if (cur.length === this.batchSize || (this.#exact && cur.length > 0 && cur[0].unit.size !== u.unit.size)) {
        yield cur;
        cur = [];
      }
      cur.push(u);
    }
    if (cur.length > 0) yield cur;
  }
}

/** Weighted mean of equal-length vectors. */
export function mean(vectors: readonly Float32Array[], weights: readonly number[]): Float32Array {
  if (vectors.length === 1) return vectors[0];
  const out = new Float32Array(vectors[0].length);
  let total = 0;
  vectors.forEach((v, i) => {
    const w = weights[i];
    total += w;
    for (let k = 0; k < v.length; k++) out[k] += w * v[k];
  });
  for (let k = 0; k < out.length; k++) out[k] /= total;
  return out;
}

function unwrap(outcomes: readonly EmbedOutcome[]): Float32Array[] {
  const failures = outcomes.flatMap((o, index) => (o.ok ? [] : [{ index, error: o.error }]));
  if (failures.length > 0) throw new EmbedBatchError(failures, outcomes.map((o) => (o.ok ? o.vector : undefined)));
  return outcomes.map((o) => (o as { vector: Float32Array }).vector);
}

function asInputError(err: unknown, input: string, modality: Modality, index: number): Error {
  if (err instanceof EncodeInputError) {
    return err.index === undefined ? new EncodeInputError(err.input, err.modality, err.reason, { index, cause: err.cause }) : err;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return new EncodeInputError(input, modality, e.message, { index, cause: e });
}

/** Promise.all with at most `limit` callbacks in flight; results keep input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Names a media input in messages: the path, or what kind of in-memory value it was. */
export function describeMedia(input: unknown): string {
  if (typeof input === 'string') return input;
  if (input instanceof Uint8Array) return `<${input.byteLength}-byte buffer>`;
  if (typeof input === 'object' && input !== null) {
    const o = input as { width?: unknown; height?: unknown; samples?: { length?: unknown }; sampleRate?: unknown };
    if (o.width !== undefined) return `<raw ${String(o.width)}×${String(o.height)} image>`;
    if (o.samples !== undefined) return `<${String(o.samples?.length)} PCM samples at ${String(o.sampleRate)} Hz>`;
  }
  return `<${typeof input}>`;
}
