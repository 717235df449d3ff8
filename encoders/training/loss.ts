import { jsKernels, matmul, matmulABT, matmulATB, type Kernels } from '../linalg.js';
import { headBackward, headForward, type TrainableHead, type TrainingPass } from './backprop.js';

/** The rows' item indices on each side of a batch: rows that share an item are not each other's negatives. */
export interface BatchItems {
  a: ArrayLike<number>;
  b: ArrayLike<number>;
}

/** Row (or column) of a softmax over unmasked entries: fills `out` with probabilities, returns log-sum-exp. */
function softmaxLine(logits: Float32Array, first: number, stride: number, n: number, mask: Uint8Array | null, out: Float64Array): number {
  let max = -Infinity;
  for (let t = 0, at = first; t < n; t++, at += stride) if (!mask || !mask[at]) max = Math.max(max, logits[at]);
  let sum = 0;
  for (let t = 0, at = first; t < n; t++, at += stride) {
    const e = !mask || !mask[at] ? Math.exp(logits[at] - max) : 0;
    out[t] = e;
    sum += e;
  }
  for (let t = 0; t < n; t++) out[t] /= sum;
  return max + Math.log(sum);
}

/**
 * Off-diagonal entries whose row and column share an item on either side: the same text paired with
 * two clips (or the same frame with two cues) lands twice in a batch, and its other pair is a positive,
 * not a negative. Null when nothing is shared.
 */
export function sameItemMask(n: number, items: BatchItems | null): Uint8Array | null {
  if (!items) return null;
  let mask: Uint8Array | null = null;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i !== j && (items.a[i] === items.a[j] || items.b[i] === items.b[j])) (mask ??= new Uint8Array(n * n))[i * n + j] = 1;
    }
  }
  return mask;
}

/**
 * The InfoNCE part that needs no matrix product: from the similarity matrix `sim` (n×n, za·zbᵀ) to
 * the loss, dL/dsim and dL/dlogScale. Same-item entries are left out of both softmaxes.
 */
export function infoNce(
  sim: Float32Array,
  n: number,
  logScale: number,
  withGrad: boolean,
  items: BatchItems | null,
): { loss: number; dSim: Float32Array; dLogScale: number } {
  const s = Math.exp(logScale);
  const logits = new Float32Array(n * n);
  for (let i = 0; i < logits.length; i++) logits[i] = s * sim[i];
  const mask = sameItemMask(n, items);
  // dL/dlogits = (P + Q − 2I) / 2n, P the row softmax (a→b), Q the column softmax (b→a).
  const g = new Float32Array(withGrad ? n * n : 0);
  const p = new Float64Array(n);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    loss += softmaxLine(logits, i * n, 1, n, mask, p) - logits[i * n + i];
    if (withGrad) for (let j = 0; j < n; j++) g[i * n + j] += p[j];
  }
  for (let j = 0; j < n; j++) {
    loss += softmaxLine(logits, j, n, n, mask, p) - logits[j * n + j];
    if (withGrad) for (let i = 0; i < n; i++) g[i * n + j] += p[i];
  }
  loss /= 2 * n;
  if (!withGrad) return { loss, dSim: g, dLogScale: 0 };
  // logits = s·sim, so dL/dsim = s·dL/dlogits and dL/dlogScale = Σ dL/dlogits ⊙ logits.
  let dLogScale = 0;
  const k = 1 / (2 * n);
  for (let i = 0; i < n; i++) g[i * n + i] -= 2;
  for (let i = 0; i < g.length; i++) {
    const gl = g[i] * k;
    dLogScale += gl * logits[i];
    g[i] = gl * s;
  }
  return { loss, dSim: g, dLogScale };
}

/**
 * Symmetric InfoNCE (CLIP) on `n` matched rows: logits = e^logScale · za·zbᵀ, cross-entropy towards
 * the diagonal over rows and over columns, averaged. Returns the loss and, unless `withGrad` is
 * false, dL/dza, dL/dzb and dL/dlogScale. `items` (the rows' item indices) masks same-item negatives.
 *
 * @example
 * const { loss, dza, dzb } = contrastiveLoss(za, zb, batch, 256, Math.log(1 / 0.07));
 */
export function contrastiveLoss(
  za: Float32Array,
  zb: Float32Array,
  n: number,
  d: number,
  logScale: number,
  withGrad = true,
  items: BatchItems | null = null,
): { loss: number; dza: Float32Array; dzb: Float32Array; dLogScale: number } {
  const { loss, dSim, dLogScale } = infoNce(matmulABT(za, zb, n, d, n), n, logScale, withGrad, items);
  if (!withGrad) return { loss, dza: new Float32Array(0), dzb: new Float32Array(0), dLogScale: 0 };
  return { loss, dza: matmul(dSim, zb, n, n, d), dzb: matmulATB(dSim, za, n, n, d), dLogScale };
}

/**
 * Loss and gradients of one batch of pairs: forward both heads (with `training`'s dropout, if any),
 * symmetric InfoNCE, backward both. Gradients land in the heads' `grad` arrays; the temperature's is returned.
 *
 * @example
 * const { loss, dLogScale } = await pairStep(textHead, xText, imageHead, xImage, n, Math.log(1 / 0.07));
 */
export async function pairStep(
  headA: TrainableHead,
  xa: Float32Array,
  headB: TrainableHead,
  xb: Float32Array,
  n: number,
  logScale: number,
  kernels: Kernels = jsKernels,
  items: BatchItems | null = null,
  training: TrainingPass | null = null,
): Promise<{ loss: number; dLogScale: number }> {
  const fa = await headForward(headA, xa, n, kernels, training);
  const fb = await headForward(headB, xb, n, kernels, training);
  const d = headA.layers[headA.layers.length - 1].outDim;
  const { loss, dSim, dLogScale } = infoNce(await kernels.abt(fa.z, fb.z, n, d, n), n, logScale, true, items);
  const dza = await kernels.ab(dSim, fb.z, n, n, d);
  const dzb = await kernels.atb(dSim, fa.z, n, n, d);
  await headBackward(headA, fa, dza, kernels);
  await headBackward(headB, fb, dzb, kernels);
  return { loss, dLogScale };
}

/** Held-out loss of one batch: no dropout, no input noise, no gradients. */
export async function batchLoss(
  headA: TrainableHead,
  xa: Float32Array,
  headB: TrainableHead,
  xb: Float32Array,
  n: number,
  logScale: number,
  kernels: Kernels,
  items: BatchItems | null,
): Promise<number> {
  const za = (await headForward(headA, xa, n, kernels)).z;
  const zb = (await headForward(headB, xb, n, kernels)).z;
  const d = headA.layers[headA.layers.length - 1].outDim;
  return infoNce(await kernels.abt(za, zb, n, d, n), n, logScale, false, items).loss;
}
