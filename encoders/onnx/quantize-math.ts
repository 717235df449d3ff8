/**
 * The arithmetic of weight quantization, as onnxruntime's `quantize_dynamic` does it for int8 weights:
 * symmetric (zero point 0), scale = max|w| / qmax, values rounded half to even (numpy's rint) and
 * clamped to [-qmax, qmax]. With `reduceRange` weights use 7 bits (qmax 64), which keeps the u8×s8
 * pair sums of AVX2 machines without VNNI clear of int16 saturation.
 */

/** A quantized weight: int8 values and one scale (and zero point) per channel, or one for all. */
export interface QuantizedWeight {
  values: Int8Array;
  scale: Float32Array;
  zeroPoint: Int8Array;
}

/** Round half to even, the rounding numpy and onnxruntime use. */
export function rint(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Largest magnitude an int8 weight may take. */
export const qmaxFor = (reduceRange: boolean): number => (reduceRange ? 64 : 127);

/**
 * Quantizes a row-major [rows, cols] matrix. `perChannel` gives each channel its own scale: a column
 * (`channelAxis` 1: the output channel of a MatMul weight stored [in, out]) or a row (`channelAxis` 0:
 * a Conv weight [out, in·k]); otherwise one scale covers the whole tensor.
 *
 * @example
 * const q = quantizeMatrix(Float32Array.from([0.5, -1, 0.25, 2]), 2, 2, { perChannel: true, reduceRange: false });
 * // q.scale: [0.5/127, 2/127]; q.values: [127, -64, 64, 127]
 */
export function quantizeMatrix(
  data: Float32Array,
  rows: number,
  cols: number,
  { perChannel, reduceRange, channelAxis = 1 }: { perChannel: boolean; reduceRange: boolean; channelAxis?: 0 | 1 },
): QuantizedWeight {
  if (data.length !== rows * cols) throw new Error(`quantizeMatrix: ${data.length} values for a ${rows}×${cols} matrix`);
  const qmax = qmaxFor(reduceRange);
  const channels = perChannel ? (channelAxis === 1 ? cols : rows) : 1;
  const channelOf = (r: number, c: number): number => (perChannel ? (channelAxis === 1 ? c : r) : 0);
  const absmax = new Float64Array(channels);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) {
      const a = Math.abs(data[base + c]);
      const k = channelOf(r, c);
      if (a > absmax[k]) absmax[k] = a;
    }
  }
  const scale = new Float32Array(channels);
  // An all-zero channel gets scale 1: its values quantize to 0 either way, and 0 would divide by zero.
  for (let k = 0; k < channels; k++) scale[k] = absmax[k] > 0 ? absmax[k] / qmax : 1;
  const values = new Int8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) {
      const q = rint(data[base + c] / scale[channelOf(r, c)]);
      values[base + c] = q > qmax ? qmax : q < -qmax ? -qmax : q;
    }
  }
  return { values, scale, zeroPoint: new Int8Array(channels) };
}

/**
 * A row-major [rows, cols] matrix transposed to [cols, rows], optionally scaled (Gemm's transB and alpha).
 *
 * @example
 * transpose(Float32Array.from([1, 2, 3, 4, 5, 6]), 2, 3); // [1, 4, 2, 5, 3, 6]
 */
export function transpose(data: Float32Array, rows: number, cols: number, scale = 1): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c] * scale;
  return out;
}
