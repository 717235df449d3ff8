/**
 * Dense Float32Array kernels for the projection-head trainer. Row-major throughout.
 *
 * V8 does not vectorise, so what matters is memory order and register reuse: every inner loop walks
 * contiguous memory (i-k-j order instead of i-j-k), and each kernel unrolls by four so one load of a
 * long row is shared by four multiply-adds. Arithmetic runs in doubles and is stored as float32, so
 * results are deterministic for the same inputs on the same engine.
 */

/** A dense row-major matrix. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float32Array;
}

// Columns per block in `matmulATB`: a 4-row panel of B plus one C row stays in L1 at this width.
const COL_BLOCK = 512;

function check(name: string, arr: Float32Array, need: number): void {
  if (arr.length < need) throw new RangeError(`${name} has ${arr.length} elements, needs ${need}`);
}

/**
 * C[m×n] = A[m×k] · B[k×n]. i-k-j order: for each row of A, rows of B are streamed and scaled into
 * the C row, four B rows per pass.
 *
 * @example
 * const c = matmul(a, b, 2, 3, 4); // a: 2×3, b: 3×4 → c: 2×4
 */
export function matmul(a: Float32Array, b: Float32Array, m: number, k: number, n: number, out?: Float32Array): Float32Array {
  check('A', a, m * k);
  check('B', b, k * n);
  const c = out ?? new Float32Array(m * n);
  check('C', c, m * n);
  const acc = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    acc.fill(0);
    const ai = i * k;
    let p = 0;
    for (; p + 3 < k; p += 4) {
      const a0 = a[ai + p], a1 = a[ai + p + 1], a2 = a[ai + p + 2], a3 = a[ai + p + 3];
      const b0 = p * n, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n;
      for (let j = 0; j < n; j++) acc[j] += a0 * b[b0 + j] + a1 * b[b1 + j] + a2 * b[b2 + j] + a3 * b[b3 + j];
    }
    for (; p < k; p++) {
      const ap = a[ai + p];
      const bp = p * n;
      for (let j = 0; j < n; j++) acc[j] += ap * b[bp + j];
    }
    const ci = i * n;
    for (let j = 0; j < n; j++) c[ci + j] = acc[j];
  }
  return c;
}

/**
 * C[m×n] = A[m×k] · B[n×k]ᵀ: every entry is a dot product of two contiguous rows. Four rows of B are
 * dotted with one row of A per pass, so that A row is read once per four outputs.
 *
 * @example
 * const y = matmulABT(x, w, batch, inDim, outDim); // x·wᵀ for a row-major [outDim][inDim] weight
 */
export function matmulABT(a: Float32Array, b: Float32Array, m: number, k: number, n: number, out?: Float32Array): Float32Array {
  check('A', a, m * k);
  check('B', b, n * k);
  const c = out ?? new Float32Array(m * n);
  check('C', c, m * n);
  for (let i = 0; i < m; i++) {
    const ai = i * k;
    const ci = i * n;
    let j = 0;
    for (; j + 3 < n; j += 4) {
      const b0 = j * k, b1 = b0 + k, b2 = b1 + k, b3 = b2 + k;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let p = 0; p < k; p++) {
        const x = a[ai + p];
        s0 += x * b[b0 + p];
        s1 += x * b[b1 + p];
        s2 += x * b[b2 + p];
        s3 += x * b[b3 + p];
      }
      c[ci + j] = s0;
      c[ci + j + 1] = s1;
      c[ci + j + 2] = s2;
      c[ci + j + 3] = s3;
    }
    for (; j < n; j++) {
      const bj = j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += a[ai + p] * b[bj + p];
      c[ci + j] = s;
    }
  }
  return c;
}

/**
 * C[k×n] = A[m×k]ᵀ · B[m×n]: the weight-gradient product (dYᵀ·X). Accumulated as outer products of
 * matching rows, four rows at a time, over column blocks so the touched C rows stay in cache.
 *
 * @example
 * const dW = matmulATB(dY, x, batch, outDim, inDim); // [outDim][inDim]
 */
export function matmulATB(a: Float32Array, b: Float32Array, m: number, k: number, n: number, out?: Float32Array): Float32Array {
  check('A', a, m * k);
  check('B', b, m * n);
  const c = out ?? new Float32Array(k * n);
  check('C', c, k * n);
  const acc = new Float64Array(Math.min(COL_BLOCK, n));
  for (let j0 = 0; j0 < n; j0 += COL_BLOCK) {
    const j1 = Math.min(n, j0 + COL_BLOCK);
    const w = j1 - j0;
    for (let i = 0; i < k; i++) {
      acc.fill(0, 0, w);
      let r = 0;
      for (; r + 3 < m; r += 4) {
        const a0 = a[r * k + i], a1 = a[(r + 1) * k + i], a2 = a[(r + 2) * k + i], a3 = a[(r + 3) * k + i];
        if (a0 === 0 && a1 === 0 && a2 === 0 && a3 === 0) continue; // ReLU-sparse gradients are common
        const b0 = r * n + j0, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n;
        for (let j = 0; j < w; j++) acc[j] += a0 * b[b0 + j] + a1 * b[b1 + j] + a2 * b[b2 + j] + a3 * b[b3 + j];
      }
      for (; r < m; r++) {
        const ar = a[r * k + i];
        if (ar === 0) continue;
        const br = r * n + j0;
        for (let j = 0; j < w; j++) acc[j] += ar * b[br + j];
      }
      const ci = i * n + j0;
      for (let j = 0; j < w; j++) c[ci + j] = acc[j];
    }
  }
  return c;
}

/**
 * The textbook i-j-k triple loop for C = A·B, kept only as the benchmark baseline.
 *
 * @example
 * const c = matmulNaive(a, b, m, k, n);
 */
export function matmulNaive(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float32Array {
  const c = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
      c[i * n + j] = s;
    }
  }
  return c;
}

/**
 * The three products the head trainer needs, possibly computed elsewhere (onnxruntime). All are
 * row-major; `ab`: A[m×k]·B[k×n], `abt`: A[m×k]·B[n×k]ᵀ, `atb`: A[m×k]ᵀ·B[m×n].
 */
export interface Kernels {
  readonly name: 'js' | 'onnx';
  ab(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Promise<Float32Array>;
  abt(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Promise<Float32Array>;
  atb(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

/** The blocked TypeScript kernels behind the {@link Kernels} interface: no native code, identical everywhere. */
export const jsKernels: Kernels = Object.freeze({
  name: 'js' as const,
  ab: async (a: Float32Array, b: Float32Array, m: number, k: number, n: number) => matmul(a, b, m, k, n),
  abt: async (a: Float32Array, b: Float32Array, m: number, k: number, n: number) => matmulABT(a, b, m, k, n),
  atb: async (a: Float32Array, b: Float32Array, m: number, k: number, n: number) => matmulATB(a, b, m, k, n),
  dispose: async () => {},
});
