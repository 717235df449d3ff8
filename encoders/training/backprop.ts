import type { Modality } from '../../src/core/types.js';
import { jsKernels, type Kernels } from '../linalg.js';

// Forward and backward passes of one head, kept free of the training loop so the gradient check
// calls exactly what training calls.

/** A trainable tensor with its gradient and Adam moments. */
export interface Param {
  value: Float32Array;
  grad: Float32Array;
  m: Float32Array;
  v: Float32Array;
}

/** A head under training: layers as in {@link HeadLayer}, plus optimiser state. */
export interface TrainableHead {
  modality: Modality;
  layers: { inDim: number; outDim: number; weight: Param; bias: Param }[];
  /** Adam step count of this head (heads step only on batches that involve them). */
  steps: number;
}

/**
 * What only a training forward pass does: dropout on the hidden activations, drawn from `rng`.
 * Evaluation passes none, so held-out losses and saved heads never see it.
 */
export interface TrainingPass {
  dropout: number;
  rng: () => number;
}

export interface ForwardCache {
  n: number;
  /** Input of each layer (acts[0] is the batch itself). */
  acts: Float32Array[];
  /** Output of each layer before its activation. */
  pre: Float32Array[];
  /** Per hidden layer, the inverted-dropout factor of each unit (0 or 1/(1−p)); null without dropout. */
  keep: (Float32Array | null)[];
  z: Float32Array;
  norms: Float64Array;
}

function param(value: Float32Array): Param {
  const n = value.length;
  return { value, grad: new Float32Array(n), m: new Float32Array(n), v: new Float32Array(n) };
}

/**
 * A head with PyTorch's `nn.Linear` initialisation, U(±1/√in) for weights and biases, from `rng`.
 * Non-zero biases matter with a hidden layer: a row whose ReLUs are all off still has an output.
 *
 * @example
 * const head = initHead('text', [768, 256], mulberry32(1));
 */
export function initHead(modality: Modality, widths: readonly number[], rng: () => number): TrainableHead {
  const layers = [];
  for (let l = 0; l + 1 < widths.length; l++) {
    const inDim = widths[l];
    const outDim = widths[l + 1];
    const bound = 1 / Math.sqrt(inDim);
    const w = new Float32Array(inDim * outDim);
    for (let i = 0; i < w.length; i++) w[i] = (2 * rng() - 1) * bound;
    const b = new Float32Array(outDim);
    for (let i = 0; i < b.length; i++) b[i] = (2 * rng() - 1) * bound;
    layers.push({ inDim, outDim, weight: param(w), bias: param(b) });
  }
  return { modality, layers, steps: 0 };
}

/**
 * Forward pass of `n` rows: affine → ReLU (→ dropout when training) → ... → affine → L2 normalise.
 *
 * @example
 * const { z } = await headForward(head, batch, 64);                                  // evaluation
 * const f = await headForward(head, batch, 64, jsKernels, { dropout: 0.1, rng });      // training
 */
export async function headForward(
  head: TrainableHead,
  x: Float32Array,
  n: number,
  kernels: Kernels = jsKernels,
  training: TrainingPass | null = null,
): Promise<ForwardCache> {
  const acts = [x];
  const pre: Float32Array[] = [];
  const keep: (Float32Array | null)[] = [];
  const p = training?.dropout ?? 0;
  let inp = x;
  for (let li = 0; li < head.layers.length; li++) {
    const l = head.layers[li];
    const y = await kernels.abt(inp, l.weight.value, n, l.inDim, l.outDim);
    const b = l.bias.value;
    for (let r = 0; r < n; r++) for (let j = 0, o = r * l.outDim; j < l.outDim; j++) y[o + j] += b[j];
    pre.push(y);
    if (li < head.layers.length - 1) {
      const a = new Float32Array(y.length);
      for (let i = 0; i < y.length; i++) a[i] = y[i] > 0 ? y[i] : 0;
      if (p > 0 && training) {
        // Inverted dropout: survivors are scaled by 1/(1−p) so evaluation needs no rescaling.
        const k = new Float32Array(y.length);
        const scale = 1 / (1 - p);
        for (let i = 0; i < k.length; i++) {
          k[i] = training.rng() < p ? 0 : scale;
          a[i] *= k[i];
        }
        keep.push(k);
      } else {
        keep.push(null);
      }
      acts.push(a);
      inp = a;
    } else {
      inp = y;
    }
  }
  const d = head.layers[head.layers.length - 1].outDim;
  const z = new Float32Array(n * d);
  const norms = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += inp[r * d + j] * inp[r * d + j];
    // A floor instead of a zero check keeps the gradient finite for an all-zero output.
    const nr = Math.max(Math.sqrt(s), 1e-12);
    norms[r] = nr;
    for (let j = 0; j < d; j++) z[r * d + j] = inp[r * d + j] / nr;
  }
  return { n, acts, pre, keep, z, norms };
}

/** Backward pass from dL/dz through the forward pass `f` (its dropout included); overwrites the head's gradients. */
export async function headBackward(head: TrainableHead, f: ForwardCache, dz: Float32Array, kernels: Kernels = jsKernels): Promise<void> {
  const { n } = f;
  const d = head.layers[head.layers.length - 1].outDim;
  // Through the normalisation: dh = (dz − z·(z·dz)) / ‖h‖.
  let dPre: Float32Array = new Float32Array(n * d);
  for (let r = 0; r < n; r++) {
    let dot = 0;
    for (let j = 0; j < d; j++) dot += f.z[r * d + j] * dz[r * d + j];
    const inv = 1 / f.norms[r];
    for (let j = 0; j < d; j++) dPre[r * d + j] = (dz[r * d + j] - f.z[r * d + j] * dot) * inv;
  }
  for (let li = head.layers.length - 1; li >= 0; li--) {
    const l = head.layers[li];
    l.weight.grad.set(await kernels.atb(dPre, f.acts[li], n, l.outDim, l.inDim));
    const gb = l.bias.grad;
    gb.fill(0);
    for (let r = 0; r < n; r++) for (let j = 0, o = r * l.outDim; j < l.outDim; j++) gb[j] += dPre[o + j];
    if (li > 0) {
      const dAct = await kernels.ab(dPre, l.weight.value, n, l.outDim, l.inDim);
      const prev = f.pre[li - 1];
      const k = f.keep[li - 1];
      for (let i = 0; i < dAct.length; i++) dAct[i] = prev[i] <= 0 ? 0 : k ? dAct[i] * k[i] : dAct[i];
      dPre = dAct;
    }
  }
}
