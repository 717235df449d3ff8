import { EmbeddingDimensionError, TrainingDataError } from '../src/core/errors/index.js';
import { MODALITIES, type Modality } from '../src/core/types.js';
import type { Matrix } from './linalg.js';

/** Vectors of one modality: a row-major matrix, or one Float32Array per item (all the same length). */
export type NativeVectors = Matrix | readonly Float32Array[];

/**
 * One training or evaluation pair: row `ai` of modality `a` belongs with row `bi` of modality `b`.
 * A row is an item: the same text (frame, clip) in many pairs is one row, so its other pairs are never
 * taken for its negatives and retrieval counts every one of them as relevant.
 */
export interface NativePair {
  a: Modality;
  ai: number;
  b: Modality;
  bi: number;
  /** Held out together: a validation split never puts one group on both sides (e.g. a video, a speaker). */
  group?: string;
  /** Free labels (e.g. `{ voice: 'en-gb' }`) that `evaluateHeads(..., { by })` breaks results down by. */
  labels?: Readonly<Record<string, string>>;
}

/**
 * Native (pre-head) embeddings and the pairs that link them. Each modality's vectors are stored once
 * and pairs refer to rows by index, so a cue paired with five frames costs one text vector, not five.
 *
 * @example
 * const data: NativePairs = {
 *   embeddings: { text: textVectors, image: imageVectors },        // 768-d and 2048-d rows
 *   pairs: [{ a: 'text', ai: 0, b: 'image', bi: 0 }, { a: 'text', ai: 0, b: 'image', bi: 1 }],
 *   modelIds: { text: 'Xenova/bert-base-uncased', image: 'Xenova/resnet-50' },
 * };
 */
export interface NativePairs {
  embeddings: Partial<Record<Modality, NativeVectors>>;
  pairs: readonly NativePair[];
  /** The model each modality's vectors came from; recorded in trained heads so encoders can check it. */
  modelIds?: Partial<Record<Modality, string>>;
}

/** Which two modalities a pair links, text first (text is the anchor), then image, then audio. */
export type PairKind = 'text-image' | 'text-audio' | 'image-audio';

export const PAIR_KINDS: readonly PairKind[] = Object.freeze(['text-image', 'text-audio', 'image-audio'] as const);

/** The pairs of one kind, as parallel index arrays into the two modalities' matrices. */
export interface PairGroup {
  kind: PairKind;
  a: Modality;
  b: Modality;
  ai: Int32Array;
  bi: Int32Array;
  /** Each pair's index in {@link PreparedPairs.pairs} (for its group and labels). */
  pi: Int32Array;
}

/** Validated, matrix-form {@link NativePairs}. */
export interface PreparedPairs {
  mats: Partial<Record<Modality, Matrix>>;
  groups: PairGroup[];
  modelIds: Partial<Record<Modality, string>>;
  /** The pairs as given (groups and labels are read from here). */
  pairs: readonly NativePair[];
}

/** Row-major copy (or view) of a modality's vectors; rejects ragged widths with {@link EmbeddingDimensionError}. */
export function toMatrix(modality: Modality, v: NativeVectors, source: string | null = null): Matrix {
  if (!Array.isArray(v)) {
    const m = v as Matrix;
    if (m.data.length !== m.rows * m.cols) {
      throw new EmbeddingDimensionError(modality, null, m.rows * m.cols, m.data.length, source);
    }
    return m;
  }
  const rows = v as readonly Float32Array[];
  const cols = rows.length > 0 ? rows[0].length : 0;
  const data = new Float32Array(rows.length * cols);
  rows.forEach((r, i) => {
    if (r.length !== cols) throw new EmbeddingDimensionError(modality, i, cols, r.length, source);
    data.set(r, i * cols);
  });
  return { rows: rows.length, cols, data };
}

function kindOf(a: Modality, b: Modality): PairKind {
  const key = `${a}-${b}`;
  const kind = PAIR_KINDS.find((k) => k === key);
  if (!kind) throw new TrainingDataError(`pairs of ${a} with ${b} are not supported (use text-image, text-audio or image-audio)`);
  return kind;
}

/**
 * Checks every pair against the vectors it names and groups pairs by kind, text first.
 * Non-finite values are rejected here because one NaN would silently poison every weight.
 *
 * @example
 * const { mats, groups } = prepareNativePairs(data, 'pairs.jsonl');
 */
export function prepareNativePairs(data: NativePairs, source: string | null = null): PreparedPairs {
  const mats: Partial<Record<Modality, Matrix>> = {};
  for (const m of MODALITIES) {
    const v = data.embeddings[m];
    if (v === undefined) continue;
    const mat = toMatrix(m, v, source);
    for (let i = 0; i < mat.data.length; i++) {
      if (!Number.isFinite(mat.data[i])) {
        throw new TrainingDataError(`${m} embedding #${Math.floor(i / mat.cols)} contains ${mat.data[i]}`, source);
      }
    }
    mats[m] = mat;
  }
  const buckets = new Map<PairKind, { ai: number[]; bi: number[]; pi: number[] }>();
  data.pairs.forEach((p, n) => {
    if (p.a === p.b) throw new TrainingDataError(`pair #${n} links ${p.a} with itself`, source);
    if (p.group !== undefined && typeof p.group !== 'string') throw new TrainingDataError(`pair #${n} has a group that is not a string`, source);
    if (p.labels !== undefined) {
      for (const [k, v] of Object.entries(p.labels)) if (typeof v !== 'string') throw new TrainingDataError(`pair #${n} has label ${JSON.stringify(k)} that is not a string`, source);
    }
    // Canonical order (text, image, audio) so text↔image and image↔text pairs train the same way.
    const swap = MODALITIES.indexOf(p.a) > MODALITIES.indexOf(p.b);
    const [a, ai, b, bi] = swap ? [p.b, p.bi, p.a, p.ai] : [p.a, p.ai, p.b, p.bi];
    for (const [m, i] of [[a, ai], [b, bi]] as const) {
      const mat = mats[m];
      if (!mat) throw new TrainingDataError(`pair #${n} names ${m} vector ${i}, but no ${m} embeddings were given`, source);
      if (!Number.isInteger(i) || i < 0 || i >= mat.rows) {
        throw new TrainingDataError(`pair #${n} names ${m} vector ${i}, but there are ${mat.rows} ${m} vectors`, source);
      }
    }
    const kind = kindOf(a, b);
    let bucket = buckets.get(kind);
    if (!bucket) buckets.set(kind, (bucket = { ai: [], bi: [], pi: [] }));
    bucket.ai.push(ai);
    bucket.bi.push(bi);
    bucket.pi.push(n);
  });
  const groups: PairGroup[] = [];
  for (const kind of PAIR_KINDS) {
    const bucket = buckets.get(kind);
    if (!bucket) continue;
    const [a, b] = kind.split('-') as [Modality, Modality];
    groups.push({ kind, a, b, ai: Int32Array.from(bucket.ai), bi: Int32Array.from(bucket.bi), pi: Int32Array.from(bucket.pi) });
  }
  return { mats, groups, modelIds: { ...(data.modelIds ?? {}) }, pairs: data.pairs };
}
