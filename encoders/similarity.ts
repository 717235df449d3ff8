import { InvalidOptionError } from '../src/core/errors/index.js';

/**
 * Cosine similarity of two vectors of the same width, in [-1, 1]. A zero vector scores 0 with
 * anything (rather than NaN), so an empty input cannot poison a ranking.
 *
 * @example
 * const [a, b] = await encoder.embed(['a cat', 'a kitten']);
 * similarity(a, b); // e.g. 0.83
 */
export function similarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new InvalidOptionError('similarity vectors', `${a.length} vs ${b.length}`, 'two vectors of the same length');
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  const denom = Math.sqrt(na) * Math.sqrt(nb);
  return denom === 0 ? 0 : dot / denom;
}

/** Rows of A and columns of B processed per block: 64 rows × 256 floats stay in L1/L2 together. */
const BLOCK = 64;

/**
 * Cosine similarities of every row of `A` against every row of `B`, as a row-major
 * `Float32Array(A.length * B.length)` (entry `i * B.length + j` is `similarity(A[i], B[j])`).
 * Rows are normalised once and the dot products run in cache-sized blocks over packed
 * Float32Arrays, so a 10k × 10k matrix needs no per-pair allocation.
 *
 * @example
 * const m = similarityMatrix(textVectors, imageVectors);
 * const best = m.subarray(0, imageVectors.length); // scores of text 0 against every image
 */
export function similarityMatrix(A: readonly ArrayLike<number>[], B: readonly ArrayLike<number>[]): Float32Array {
  const out = new Float32Array(A.length * B.length);
  if (A.length === 0 || B.length === 0) return out;
  const dim = A[0].length;
  const pa = packNormalised(A, dim, 'A');
  const pb = packNormalised(B, dim, 'B');
  const n = B.length;
  for (let i0 = 0; i0 < A.length; i0 += BLOCK) {
    const i1 = Math.min(i0 + BLOCK, A.length);
    for (let j0 = 0; j0 < n; j0 += BLOCK) {
      const j1 = Math.min(j0 + BLOCK, n);
      for (let i = i0; i < i1; i++) {
        const ai = i * dim;
        for (let j = j0; j < j1; j++) {
          const bj = j * dim;
          let s = 0;
          for (let k = 0; k < dim; k++) s += pa[ai + k] * pb[bj + k];
          out[i * n + j] = s;
        }
      }
    }
  }
  return out;
}

function packNormalised(rows: readonly ArrayLike<number>[], dim: number, name: string): Float32Array {
  const packed = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => {
    if (r.length !== dim) throw new InvalidOptionError(`similarityMatrix ${name}[${i}]`, `length ${r.length}`, `length ${dim} like the other rows`);
    let s = 0;
    for (let k = 0; k < dim; k++) s += r[k] * r[k];
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    const o = i * dim;
    for (let k = 0; k < dim; k++) packed[o + k] = r[k] * inv;
  });
  return packed;
}
