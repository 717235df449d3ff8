import { float, int, ints, type GraphBuilder } from './graph.js';

/**
 * Building blocks shared by the three architectures. Parameter names follow the Hugging Face
 * PyTorch state-dict names so a generated graph reads like an exported one.
 */

/** Hugging Face's initializer_range: weights ~ N(0, 0.02). */
export const INIT_STD = 0.02;

/** y = x·W + b with W stored [in, out] (the layout torch.onnx.export produces for MatMul). */
export function linear(g: GraphBuilder, x: string, inDim: number, outDim: number, prefix: string, std = INIT_STD): string {
  const w = g.param(`${prefix}.weight`, [inDim, outDim], { kind: 'normal', std });
  const b = g.param(`${prefix}.bias`, [outDim], { kind: 'normal', std });
  return g.op1('Add', [g.op1('MatMul', [x, w]), b]);
}

/**
 * LayerNorm over the last axis. Scale and shift are perturbed away from (1, 0) so a wrong axis
 * or a missing affine term shows up in the reference comparison.
 */
export function layerNorm(g: GraphBuilder, x: string, dim: number, prefix: string, eps: number): string {
  const scale = g.param(`${prefix}.weight`, [dim], { kind: 'normal', mean: 1, std: 0.05 });
  const bias = g.param(`${prefix}.bias`, [dim], { kind: 'normal', std: INIT_STD });
  return g.op1('LayerNormalization', [x, scale, bias], { axis: int(-1), epsilon: float(eps) });
}

const constCache = new WeakMap<GraphBuilder, Map<string, string>>();

/** One shared scalar initializer per (graph, value) instead of one per use. */
export function scalar(g: GraphBuilder, name: string, value: number): string {
  let m = constCache.get(g);
  if (!m) constCache.set(g, (m = new Map()));
  const hit = m.get(name);
  if (hit) return hit;
  const made = g.constFloat(`/const/${name}`, [value], []);
  m.set(name, made);
  return made;
}

/**
 * Exact (erf) GELU, as torch.nn.GELU() and HF's "gelu"; opset 17 has no Gelu op. Written node for
 * node as torch.onnx exports it (x / √2, not x · 1/√2), so onnxruntime's GeluFusion turns it into one
 * Gelu kernel here as it does in real exports.
 */
export function gelu(g: GraphBuilder, x: string): string {
  const erf = g.op1('Erf', [g.op1('Div', [x, scalar(g, 'sqrt2', Math.SQRT2)])]);
  const onePlus = g.op1('Add', [erf, scalar(g, 'one', 1)]);
  return g.op1('Mul', [g.op1('Mul', [x, onePlus]), scalar(g, 'half', 0.5)]);
}

/**
 * Multi-head self-attention on [B, S, H] with an additive mask broadcastable to [B, heads, S, S]
 * (or none). Q is scaled before the product, as Wav2Vec2 does; for BERT the result is the same.
 */
export function selfAttention(
  g: GraphBuilder,
  x: string,
  { hidden, heads, prefix, additiveMask, names }: {
    hidden: number;
    heads: number;
    prefix: string;
    additiveMask?: string;
    names: { q: string; k: string; v: string; out: string };
  },
): string {
  const headDim = hidden / heads;
  const splitShape = g.constInt64(`/const/${prefix}/split_shape`, [0, 0, heads, headDim]);
  const mergeShape = g.constInt64(`/const/${prefix}/merge_shape`, [0, 0, hidden]);
  const split = (t: string, perm: number[]): string =>
    g.op1('Transpose', [g.op1('Reshape', [t, splitShape])], { perm: ints(perm) });
  const q = split(linear(g, x, hidden, hidden, `${prefix}.${names.q}`), [0, 2, 1, 3]);
  const k = split(linear(g, x, hidden, hidden, `${prefix}.${names.k}`), [0, 2, 3, 1]);
  const v = split(linear(g, x, hidden, hidden, `${prefix}.${names.v}`), [0, 2, 1, 3]);
  const qScaled = g.op1('Mul', [q, scalar(g, `attn_scale_${headDim}`, 1 / Math.sqrt(headDim))]);
  let scores = g.op1('MatMul', [qScaled, k]);
  if (additiveMask) scores = g.op1('Add', [scores, additiveMask]);
  const probs = g.op1('Softmax', [scores], { axis: int(-1) });
  const ctx = g.op1('MatMul', [probs, v]);
  const merged = g.op1('Reshape', [g.op1('Transpose', [ctx], { perm: ints([0, 2, 1, 3]) }), mergeShape]);
  return linear(g, merged, hidden, hidden, `${prefix}.${names.out}`);
}
