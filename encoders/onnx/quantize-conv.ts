import { int, ints } from './graph.js';
import type { NodeEntry, TensorEntry } from './onnx-file.js';
import { DataType } from './proto.js';
import { addWeight, attrInt, attrInts, constInt64, numel, quantizedActivation, uniqueName, type Planner, type WeightOptions } from './quantize-plan.js';
import type { NewNode } from './rewrite.js';

/**
 * 1-D convolutions as quantized MatMuls. onnxruntime's ConvInteger is a slow reference kernel (on
 * Wav2Vec2-base it made the model 2.6× slower than fp32; on ResNet-50 5.9× slower), so a Conv1d with
 * a wide input (Wav2Vec2's feature encoder: 512 channels × kernel 3, stride 2) is rewritten as
 * im2col + the same u8×s8 integer GEMM the MatMuls use:
 *
 *   x [B, C, T] → Transpose → DynamicQuantizeLinear → k strided Slices (uint8) → Concat [B, T', k·C]
 *     → MatMulInteger with W' [k·C, O] → Cast → Mul (scales) (+ bias) → Transpose → y [B, O, T']
 *
 * The Transposes between consecutive rewritten convs meet across the elementwise GELU, and
 * onnxruntime's transpose optimizer cancels them. Grouped, padded, dilated or 2-D convs stay fp32.
 */

/** Below this depth (C·k) the integer GEMM's quantize/reorder work outweighs it: Wav2Vec2's first conv (1 × 10) stays fp32. */
export const CONV_MIN_DEPTH = 64;

/** Why a Conv cannot take the MatMul path, or null when it can. */
export function conv1dObstacle(p: Planner, node: NodeEntry): string | null {
  const w = p.inits.get(node.inputs[1]);
  if (!w || w.dataType !== DataType.FLOAT || w.external) return 'weight is not a constant fp32 initializer';
  if (p.inits.has(node.inputs[0])) return 'input is a constant';
  if (w.dims.length !== 3) return 'not a 1-D convolution';
  if (attrInt(node, 'group', 1) !== 1) return 'grouped';
  if ((attrInts(node, 'dilations') ?? []).some((d) => d !== 1)) return 'dilated';
  if ((attrInts(node, 'pads') ?? []).some((d) => d !== 0)) return 'padded';
  const autoPad = node.attrs.get('auto_pad')?.s;
  if (autoPad && !['NOTSET', 'VALID'].includes(Buffer.from(autoPad).toString('utf8'))) return 'auto-padded';
  if (w.dims[1] * w.dims[2] < CONV_MIN_DEPTH) return `too shallow (C·k = ${w.dims[1] * w.dims[2]} < ${CONV_MIN_DEPTH})`;
  const bias = node.inputs[2] ? p.inits.get(node.inputs[2]) : undefined;
  if (node.inputs[2] && (!bias || bias.dataType !== DataType.FLOAT || numel(bias.dims) !== w.dims[0])) return 'bias is not a constant [O] vector';
  return null;
}

/** Nodes for a Conv1d that passed {@link conv1dObstacle}. */
export function conv1dAsMatMul(p: Planner, node: NodeEntry, o: WeightOptions): NewNode[] {
  const w = p.inits.get(node.inputs[1]) as TensorEntry;
  const bias = node.inputs[2] ? (p.inits.get(node.inputs[2]) as TensorEntry) : null;
  const [outC, inC, k] = w.dims;
  const stride = attrInts(node, 'strides')?.[0] ?? 1;
  const base = node.name || node.outputs[0];
  const out: NewNode[] = [];
  const n = (opType: string, inputs: string[], name: string, attrs?: NewNode['attrs']): string => {
    const y = uniqueName(p, `${base}/${name}_output`);
    out.push({ opType, name: uniqueName(p, `${base}/${name}`), inputs, outputs: [y], ...(attrs ? { attrs } : {}) });
    return y;
  };
  const xt = n('Transpose', [node.inputs[0]], 'to_time_major', { perm: ints([0, 2, 1]) });
  const [xq, xs, xz] = quantizedActivation(p, xt, out);
  let cols = xq;
  if (k > 1 || stride > 1) {
    // Window t covers rows t·s + j, j < k; the last window starts at ⌊(T − k) / s⌋ · s.
    const len = n('Gather', [n('Shape', [xq], 'shape'), constInt64(p, [1])], 'length', { axis: int(0) });
    const lastStart = n('Mul', [n('Div', [n('Sub', [len, constInt64(p, [k])], 'minus_kernel'), constInt64(p, [stride])], 'windows'), constInt64(p, [stride])], 'last_start');
    const slices: string[] = [];
    for (let j = 0; j < k; j++) {
      const end = n('Add', [lastStart, constInt64(p, [j + 1])], `end_${j}`);
      slices.push(n('Slice', [xq, constInt64(p, [j]), end, constInt64(p, [1]), constInt64(p, [stride])], `tap_${j}`));
    }
    cols = k > 1 ? n('Concat', slices, 'im2col', { axis: int(2) }) : slices[0];
  }
  // W [O, C, k] → W' [k·C, O], rows in the (tap, channel) order the Concat produced.
  const load = () => {
    const src = p.file.floatData(w);
    const dst = new Float32Array(src.length);
    for (let oc = 0; oc < outC; oc++) for (let c = 0; c < inC; c++) for (let j = 0; j < k; j++) dst[(j * inC + c) * outC + oc] = src[(oc * inC + c) * k + j];
    return dst;
  };
  const [wq, ws, wz] = addWeight(p, `${w.name}_as_matmul`, k * inC, outC, load, o);
  const i32 = n('MatMulInteger', [cols, wq, xz, wz], 'matmul_integer');
  const f32 = n('Cast', [i32], 'cast', { to: int(DataType.FLOAT) });
  let y = n('Mul', [f32, n('Mul', [xs, ws], 'scales')], 'scaled');
  if (bias) y = n('Add', [y, bias.name], 'bias');
  out.push({ opType: 'Transpose', name: uniqueName(p, `${base}/to_channel_major`), inputs: [y], outputs: [node.outputs[0]], attrs: { perm: ints([0, 2, 1]) } });
  return out;
}
