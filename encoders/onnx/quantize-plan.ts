import { int } from './graph.js';
import type { NodeEntry, OnnxFile, TensorEntry } from './onnx-file.js';
import { DataType } from './proto.js';
import { quantizeMatrix } from './quantize-math.js';
import type { NewNode, TensorGroup } from './rewrite.js';

/**
 * The state of one quantization pass and the node/tensor builders the op rewrites share: unique
 * names, int8 weight groups (produced lazily while the file streams out), and one
 * DynamicQuantizeLinear per activation however many quantized ops read it.
 */

/** How a quantized MatMul is written. */
export type QuantizedMatMulForm = 'contrib' | 'onnx';
export const QUANTIZED_MATMUL_FORMS: readonly QuantizedMatMulForm[] = Object.freeze(['contrib', 'onnx'] as const);

export const MS_DOMAIN = 'com.microsoft';

/** Weight quantization settings. */
export interface WeightOptions {
  perChannel: boolean;
  reduceRange: boolean;
}

export interface Planner {
  file: OnnxFile;
  inits: Map<string, TensorEntry>;
  /** How many node inputs (plus graph outputs) read each value. */
  readers: Map<string, number>;
  producers: Map<string, NodeEntry>;
  names: Set<string>;
  groups: TensorGroup[];
  /** DynamicQuantizeLinear outputs per quantized activation (onnx form), so Q, K and V share one. */
  quantizedActivations: Map<string, [string, string, string]>;
  /** Small int64 constants (shape arithmetic), one initializer per distinct value list. */
  consts: Map<string, string>;
}

export function uniqueName(p: Planner, base: string): string {
  let name = base;
  for (let k = 1; p.names.has(name); k++) name = `${base}_${k}`;
  p.names.add(name);
  return name;
}

export const numel = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

/** A constant fp32 initializer of rank 2, or null. */
export function matrix(p: Planner, name: string | undefined, minElements: number): TensorEntry | null {
  const t = name === undefined ? undefined : p.inits.get(name);
  if (!t || t.dataType !== DataType.FLOAT || t.dims.length !== 2 || t.external) return null;
  return numel(t.dims) >= Math.max(1, minElements) ? t : null;
}

/** A constant fp32 vector of `n` values (shape [n] or [1, n]), or null. */
export function biasVector(p: Planner, name: string | undefined, n: number): TensorEntry | null {
  const t = name === undefined ? undefined : p.inits.get(name);
  if (!t || t.dataType !== DataType.FLOAT || t.external || numel(t.dims) !== n || t.dims[t.dims.length - 1] !== n) return null;
  return t;
}

/** Adds the int8 weight, scale and zero point of a [K, N] matrix made by `load`; returns their names. */
export function addWeight(p: Planner, base: string, k: number, n: number, load: () => Float32Array, o: WeightOptions): [string, string, string] {
  const q = uniqueName(p, `${base}_quantized`);
  const s = uniqueName(p, `${base}_scale`);
  const z = uniqueName(p, `${base}_zero_point`);
  const channels = o.perChannel ? n : 1;
  const cdims = o.perChannel ? [n] : [];
  p.groups.push({
    tensors: [
      { name: q, dims: [k, n], dataType: DataType.INT8, byteLength: k * n },
      { name: s, dims: cdims, dataType: DataType.FLOAT, byteLength: channels * 4 },
      { name: z, dims: cdims, dataType: DataType.INT8, byteLength: channels },
    ],
    produce: () => {
      const w = quantizeMatrix(load(), k, n, o);
      return [new Uint8Array(w.values.buffer), new Uint8Array(w.scale.buffer), new Uint8Array(w.zeroPoint.buffer)];
    },
  });
  return [q, s, z];
}

/** An fp32 bias made from a source vector times `beta`. */
export function addBias(p: Planner, base: string, src: TensorEntry, beta: number): string {
  if (beta === 1) return src.name;
  const name = uniqueName(p, `${base}_bias_scaled`);
  const n = numel(src.dims);
  p.groups.push({
    tensors: [{ name, dims: [n], dataType: DataType.FLOAT, byteLength: n * 4 }],
    produce: () => {
      const b = p.file.floatData(src).map((v) => v * beta);
      return [new Uint8Array(b.buffer)];
    },
  });
  return name;
}

/** Nodes computing Y = A·Wq (+ bias) in the chosen form. */
export function quantizedMatMul(p: Planner, node: NodeEntry, a: string, w: [string, string, string], bias: string | null, y: string, form: QuantizedMatMulForm): NewNode[] {
  const base = node.name || node.outputs[0];
  if (form === 'contrib') {
    return [{ opType: 'DynamicQuantizeMatMul', domain: MS_DOMAIN, name: uniqueName(p, `${base}_quant`), inputs: [a, ...w, ...(bias ? [bias] : [])], outputs: [y] }];
  }
  const out: NewNode[] = [];
  const qa = quantizedActivation(p, a, out);
  const i32 = uniqueName(p, `${base}_output_quantized`);
  const f32 = uniqueName(p, `${base}_output_quantized_cast_output`);
  const scale = uniqueName(p, `${base}_scales_mul_output`);
  const scaled = bias ? uniqueName(p, `${base}_output_scaled`) : y;
  out.push(
    { opType: 'MatMulInteger', name: uniqueName(p, `${base}_quant`), inputs: [qa[0], w[0], qa[2], w[2]], outputs: [i32] },
    { opType: 'Cast', name: uniqueName(p, `${base}_output_quantized_cast`), inputs: [i32], outputs: [f32], attrs: { to: int(DataType.FLOAT) } },
    { opType: 'Mul', name: uniqueName(p, `${base}_scales_mul`), inputs: [qa[1], w[1]], outputs: [scale] },
    { opType: 'Mul', name: uniqueName(p, `${base}_output_scale_mul`), inputs: [f32, scale], outputs: [scaled] },
  );
  if (bias) out.push({ opType: 'Add', name: uniqueName(p, `${base}_bias_add`), inputs: [scaled, bias], outputs: [y] });
  return out;
}

/** The uint8 activation of `a` (DynamicQuantizeLinear outputs), made once and shared by every reader. */
export function quantizedActivation(p: Planner, a: string, out: NewNode[]): [string, string, string] {
  let qa = p.quantizedActivations.get(a);
  if (!qa) {
    const safe = a.replace(/[^A-Za-z0-9_./:-]/g, '_');
    qa = [uniqueName(p, `${safe}_quantized`), uniqueName(p, `${safe}_scale`), uniqueName(p, `${safe}_zero_point`)];
    p.quantizedActivations.set(a, qa);
    out.push({ opType: 'DynamicQuantizeLinear', name: uniqueName(p, `${safe}_QuantizeLinear`), inputs: [a], outputs: qa });
  }
  return qa;
}

export const attrInt = (n: NodeEntry, name: string, dflt: number): number => n.attrs.get(name)?.i ?? dflt;
export const attrFloat = (n: NodeEntry, name: string, dflt: number): number => n.attrs.get(name)?.f ?? dflt;
export const attrInts = (n: NodeEntry, name: string): number[] | undefined => n.attrs.get(name)?.ints;

/** A 1-D int64 constant, shared by every node that needs the same values. */
export function constInt64(p: Planner, values: readonly number[]): string {
  const key = values.join(',');
  const hit = p.consts.get(key);
  if (hit) return hit;
  const name = uniqueName(p, `/quant/const_i64_${values.join('_').replace(/-/g, 'm')}`);
  const data = BigInt64Array.from(values.map((v) => BigInt(v)));
  p.groups.push({ tensors: [{ name, dims: [values.length], dataType: DataType.INT64, byteLength: data.byteLength }], produce: () => [new Uint8Array(data.buffer)] });
  p.consts.set(key, name);
  return name;
}
