import { InvalidOptionError, TrainingDataError } from '../src/core/errors/index.js';
import { TRAIN_HEADS_DEFAULTS } from '../src/core/defaults.js';
import { EMBED_DIM, MODALITIES, type Modality } from '../src/core/types.js';
import { evaluatePrepared, type HeadsEvaluation } from './eval-heads.js';
import { ProjectionHeads, type HeadDef, type HeadLayer } from './heads.js';
import { jsKernels, matmul, matmulABT, matmulATB, type Kernels, type Matrix } from './linalg.js';
import { onnxKernels } from './ort-kernels.js';
import { prepareNativePairs, type NativePairs, type PairGroup, type PairKind, type PreparedPairs } from './native-pairs.js';
import { mulberry32 } from '../src/core/random.js';

/** One epoch's record; `valLoss` is null when nothing is held out. */
export interface EpochReport {
  epoch: number;
  trainLoss: number;
  valLoss: number | null;
  /** Softmax temperature after the epoch (1 / logit scale). */
  temperature: number;
  /** Mini-batches stepped so far in this epoch and in total (for progress bars). */
  steps: number;
}

export interface TrainHeadsOptions {
  /** Most epochs to run; early stopping may end sooner. */
  epochs?: number;
  /** Pairs per contrastive mini-batch (each batch's other pairs are its negatives). */
  batchSize?: number;
  /** Adam learning rate. */
  lr?: number;
  /** Decoupled (AdamW) weight decay on weights; biases and the temperature are not decayed. */
  weightDecay?: number;
  /** Width of one hidden ReLU layer in every head; 0 for linear heads. */
  hidden?: number;
  /** Width of the shared space. */
  outputDim?: number;
  /** Seeds initialisation, the held-out split and batch order: same seed and data, same bytes. */
  seed?: number;
  /** Share of anchor items held out for early stopping and the reported metrics (0 disables both). */
  valFraction?: number;
  /** Epochs without a held-out loss improvement of at least `minDelta` before stopping. */
  patience?: number;
  minDelta?: number;
  /** Starting softmax temperature (CLIP: 0.07). */
  initialTemperature?: number;
  /** The learnable logit scale is clamped to [1, maxLogitScale] (CLIP: 100) so training cannot blow up. */
  maxLogitScale?: number;
  /**
   * Train on per-feature standardised inputs (mean 0, std 1), then fold the scaling into the first
   * layer, so the saved heads take raw native vectors. Native widths differ wildly in scale
   * (ResNet features are non-negative and large), and without it one modality's head learns slowly.
   */
  standardize?: boolean;
  /** Called after every epoch. */
  onEpoch?: (report: EpochReport) => void;
  /** Clock for the heads' `createdAt` (injectable so whole files are reproducible). */
  now?: () => Date;
  /** Names the pairs' source in errors. */
  source?: string | null;
  /**
   * Where the matrix products run: `onnx` (onnxruntime's CPU Gemm, several times faster), `js` (the
   * blocked TypeScript kernels), or `auto` (onnx when onnxruntime loads, else js).
   */
  backend?: 'auto' | 'onnx' | 'js';
  /** Threads for the onnx backend. Same seed and thread count, same bits; another count may differ in the last bits. */
  threads?: number;
}

export interface TrainHeadsResult {
  /** Trained heads (metadata.kind 'trained'), taken from the best held-out epoch. */
  heads: ProjectionHeads;
  history: EpochReport[];
  bestEpoch: number;
  temperature: number;
  /** Retrieval on the held-out split with the returned heads; null when nothing is held out. */
  validation: HeadsEvaluation | null;
  split: { train: number; val: number };
  /** The backend the products ran on. */
  backend: 'onnx' | 'js';
}

/** Training record stored in the heads file's metadata (`metadata.training`). */
export interface HeadsTrainingRecord {
  pairs: { total: number; train: number; val: number; byKind: Partial<Record<PairKind, number>> };
  epochs: number;
  maxEpochs: number;
  bestEpoch: number;
  metrics: HeadsEvaluation | null;
  modelIds: Partial<Record<Modality, string>>;
  temperature: number;
  seed: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  hidden: number;
  valFraction: number;
  standardize: boolean;
  /** Where the products ran; onnx with several threads may differ from one thread in the last bits. */
  backend: 'onnx' | 'js';
  threads: number;
  history: { epoch: number; trainLoss: number; valLoss: number | null }[];
}

// ---------------------------------------------------------------------------------------------
// Parameters, forward and backward. Kept free of the training loop so the gradient check can call
// exactly what training calls.

/** A trainable tensor with its gradient and Adam moments. */
interface Param {
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

interface ForwardCache {
  n: number;
  /** Input of each layer (acts[0] is the batch itself). */
  acts: Float32Array[];
  /** Output of each layer before its activation. */
  pre: Float32Array[];
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

/** Forward pass of `n` rows: affine → ReLU → ... → affine → L2 normalise. */
export async function headForward(head: TrainableHead, x: Float32Array, n: number, kernels: Kernels = jsKernels): Promise<ForwardCache> {
  const acts = [x];
  const pre: Float32Array[] = [];
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
  return { n, acts, pre, z, norms };
}

/** Backward pass from dL/dz; overwrites the head's gradients. */
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
      for (let i = 0; i < dAct.length; i++) if (prev[i] <= 0) dAct[i] = 0;
      dPre = dAct;
    }
  }
}

/** Row (or column) of a softmax over unmasked entries: fills `out` with probabilities, returns log-sum-exp. */
function softmaxLine(
  logits: Float32Array,
  first: number,
  stride: number,
  n: number,
  mask: Uint8Array | null,
  out: Float64Array,
): number {
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
 * The InfoNCE part that needs no matrix product: from the similarity matrix `sim` (n×n, za·zbᵀ) to
 * the loss, dL/dsim and dL/dlogScale.
 */
function infoNce(
  sim: Float32Array,
  n: number,
  logScale: number,
  withGrad: boolean,
  ids: { a: ArrayLike<number>; b: ArrayLike<number> } | null,
): { loss: number; dSim: Float32Array; dLogScale: number } {
  const s = Math.exp(logScale);
  const logits = new Float32Array(n * n);
  for (let i = 0; i < logits.length; i++) logits[i] = s * sim[i];
  // A cue paired with several frames can land twice in one batch; its other copy is not a negative.
  // Entries that share the a-item or the b-item of the diagonal are left out of both softmaxes.
  let mask: Uint8Array | null = null;
  if (ids) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (i !== j && (ids.a[i] === ids.a[j] || ids.b[i] === ids.b[j])) (mask ??= new Uint8Array(n * n))[i * n + j] = 1;
      }
    }
  }
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
 * false, dL/dza, dL/dzb and dL/dlogScale. `ids` (the rows' item indices) masks duplicates.
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
  ids: { a: ArrayLike<number>; b: ArrayLike<number> } | null = null,
): { loss: number; dza: Float32Array; dzb: Float32Array; dLogScale: number } {
  const { loss, dSim, dLogScale } = infoNce(matmulABT(za, zb, n, d, n), n, logScale, withGrad, ids);
  if (!withGrad) return { loss, dza: new Float32Array(0), dzb: new Float32Array(0), dLogScale: 0 };
  return { loss, dza: matmul(dSim, zb, n, n, d), dzb: matmulATB(dSim, za, n, n, d), dLogScale };
}

/**
 * Loss and gradients of one batch of pairs: forward both heads, symmetric InfoNCE, backward both.
 * Gradients land in the heads' `grad` arrays; the temperature's is returned.
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
  ids: { a: ArrayLike<number>; b: ArrayLike<number> } | null = null,
): Promise<{ loss: number; dLogScale: number }> {
  const fa = await headForward(headA, xa, n, kernels);
  const fb = await headForward(headB, xb, n, kernels);
  const d = headA.layers[headA.layers.length - 1].outDim;
  const { loss, dSim, dLogScale } = infoNce(await kernels.abt(fa.z, fb.z, n, d, n), n, logScale, true, ids);
  const dza = await kernels.ab(dSim, fb.z, n, n, d);
  const dzb = await kernels.atb(dSim, fa.z, n, n, d);
  await headBackward(headA, fa, dza, kernels);
  await headBackward(headB, fb, dzb, kernels);
  return { loss, dLogScale };
}

interface AdamConfig {
  lr: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
}

function adamStep(p: Param, t: number, cfg: AdamConfig, decay: boolean): void {
  const { lr, weightDecay, beta1, beta2, eps } = cfg;
  const bc1 = 1 - beta1 ** t;
  const bc2 = 1 - beta2 ** t;
  const shrink = decay ? 1 - lr * weightDecay : 1;
  const { value, grad, m, v } = p;
  for (let i = 0; i < value.length; i++) {
    const g = grad[i];
    m[i] = beta1 * m[i] + (1 - beta1) * g;
    v[i] = beta2 * v[i] + (1 - beta2) * g * g;
    value[i] = value[i] * shrink - (lr * (m[i] / bc1)) / (Math.sqrt(v[i] / bc2) + eps);
  }
}

function stepHead(head: TrainableHead, cfg: AdamConfig): void {
  head.steps++;
  for (const l of head.layers) {
    adamStep(l.weight, head.steps, cfg, true);
    adamStep(l.bias, head.steps, cfg, false);
  }
}

// ---------------------------------------------------------------------------------------------
// Deterministic randomness.

// Re-exported for the modules and tests that import it from here.
export { mulberry32 };

function shuffle<T>(arr: T[], rng: () => number): T[] {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [arr[i], arr[j]] = [arr[j], arr[i]];
  }
  return arr;
}

// ---------------------------------------------------------------------------------------------
// Training.

interface Standardizer {
  mean: Float64Array;
  std: Float64Array;
}

function standardizer(mat: Matrix): Standardizer {
  const { rows, cols, data } = mat;
  const mean = new Float64Array(cols);
  const std = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) mean[c] += data[r * cols + c];
  for (let c = 0; c < cols; c++) mean[c] /= Math.max(rows, 1);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const dv = data[r * cols + c] - mean[c];
      std[c] += dv * dv;
    }
  }
  for (let c = 0; c < cols; c++) {
    const sd = Math.sqrt(std[c] / Math.max(rows, 1));
    // A constant feature carries nothing; dividing by ~0 would only amplify float noise.
    std[c] = sd > 1e-6 ? sd : 1;
  }
  return { mean, std };
}

function applyStandardizer(mat: Matrix, st: Standardizer): Matrix {
  const { rows, cols, data } = mat;
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = (data[r * cols + c] - st.mean[c]) / st.std[c];
  return { rows, cols, data: out };
}

/** Folds x ↦ (x − μ)/σ into the first layer: W' = W·diag(1/σ), b' = b − W'·μ. Exact, so saved heads take raw vectors. */
function foldStandardizer(layer: HeadLayer, st: Standardizer): HeadLayer {
  const { inDim, outDim } = layer;
  const weight = new Float32Array(layer.weight.length);
  const bias = new Float32Array(outDim);
  for (let o = 0; o < outDim; o++) {
    let shift = 0;
    for (let i = 0; i < inDim; i++) {
      const w = layer.weight[o * inDim + i] / st.std[i];
      weight[o * inDim + i] = w;
      shift += w * st.mean[i];
    }
    bias[o] = layer.bias[o] - shift;
  }
  return { inDim, outDim, weight, bias };
}

function gatherRows(mat: Matrix, idx: Int32Array, from: number, to: number): Float32Array {
  const { cols, data } = mat;
  const out = new Float32Array((to - from) * cols);
  for (let i = from; i < to; i++) out.set(data.subarray(idx[i] * cols, idx[i] * cols + cols), (i - from) * cols);
  return out;
}

/** Splits each group by anchor item, so a cue and all its frames land on the same side. */
function splitGroups(groups: PairGroup[], valFraction: number, rng: () => number): { train: PairGroup[]; val: PairGroup[] } {
  const anchors = new Set<string>();
  for (const g of groups) for (const i of g.ai) anchors.add(`${g.a}:${i}`);
  const ordered = shuffle([...anchors].sort(), rng);
  const valCount = valFraction > 0 ? Math.max(1, Math.round(ordered.length * valFraction)) : 0;
  const isVal = new Set(ordered.slice(0, valCount));
  const pick = (g: PairGroup, wantVal: boolean): PairGroup => {
    const keep: number[] = [];
    for (let n = 0; n < g.ai.length; n++) if (isVal.has(`${g.a}:${g.ai[n]}`) === wantVal) keep.push(n);
    return { ...g, ai: Int32Array.from(keep, (n) => g.ai[n]), bi: Int32Array.from(keep, (n) => g.bi[n]) };
  };
  return {
    train: groups.map((g) => pick(g, false)).filter((g) => g.ai.length > 0),
    val: groups.map((g) => pick(g, true)).filter((g) => g.ai.length > 0),
  };
}

function positiveInt(name: string, v: number, min = 1): void {
  if (!Number.isInteger(v) || v < min) throw new InvalidOptionError(name, v, `an integer >= ${min}`);
}

function positive(name: string, v: number, allowZero = false): void {
  if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) throw new InvalidOptionError(name, v, allowZero ? 'a number >= 0' : 'a number > 0');
}

/**
 * Trains one projection head per modality on pairs of native embeddings with a symmetric InfoNCE
 * loss and a learnable temperature, as CLIP does. Text is the anchor: text↔image and text↔audio
 * pairs train the text head jointly with the others, so every modality lands in one text-anchored
 * space; image↔audio pairs, when given, add their own loss term. AdamW on mini-batches, early
 * stopping on a held-out split of anchor items, and the best epoch's weights are returned.
 * Deterministic: the same data, options and seed give byte-identical weights (onnx backend: on the
 * same CPU and thread count; js backend: anywhere).
 *
 * @example
 * const { heads, validation } = await trainHeads(
 *   { embeddings: { text: textVecs, image: imageVecs }, pairs, modelIds: { text: 'bert', image: 'resnet' } },
 *   { epochs: 20, seed: 1 },
 * );
 * console.log(validation?.mean.r1);
 * await heads.save('heads.safetensors');
 */
export async function trainHeads(
  data: NativePairs | PreparedPairs,
  {
    epochs = TRAIN_HEADS_DEFAULTS.epochs,
    batchSize = TRAIN_HEADS_DEFAULTS.batchSize,
    lr = TRAIN_HEADS_DEFAULTS.lr,
    weightDecay = TRAIN_HEADS_DEFAULTS.weightDecay,
    hidden = TRAIN_HEADS_DEFAULTS.hidden,
    outputDim = EMBED_DIM,
    seed = TRAIN_HEADS_DEFAULTS.seed,
    valFraction = TRAIN_HEADS_DEFAULTS.valFraction,
    patience = TRAIN_HEADS_DEFAULTS.patience,
    minDelta = TRAIN_HEADS_DEFAULTS.minDelta,
    initialTemperature = TRAIN_HEADS_DEFAULTS.initialTemperature,
    maxLogitScale = TRAIN_HEADS_DEFAULTS.maxLogitScale,
    standardize = true,
    onEpoch,
    now = () => new Date(),
    source = null,
    backend = TRAIN_HEADS_DEFAULTS.backend,
    threads = TRAIN_HEADS_DEFAULTS.threads,
  }: TrainHeadsOptions = {},
): Promise<TrainHeadsResult> {
  positiveInt('epochs', epochs);
  positiveInt('batchSize', batchSize, 2);
  positive('lr', lr);
  positive('weightDecay', weightDecay, true);
  positiveInt('hidden', hidden, 0);
  positiveInt('outputDim', outputDim);
  positiveInt('seed', seed, 0);
  if (!(valFraction >= 0 && valFraction < 1)) throw new InvalidOptionError('valFraction', valFraction, 'a number in [0, 1)');
  positiveInt('patience', patience);
  positive('minDelta', minDelta, true);
  if (!(initialTemperature > 0 && 1 / initialTemperature <= maxLogitScale)) {
    throw new InvalidOptionError('initialTemperature', initialTemperature, `a number > 0 with 1/temperature <= maxLogitScale (${maxLogitScale})`);
  }
  if (!['auto', 'onnx', 'js'].includes(backend)) throw new InvalidOptionError('backend', backend, 'auto | onnx | js');
  positiveInt('threads', threads);

  const prepared = 'groups' in data ? data : prepareNativePairs(data, source);
  const modalities = MODALITIES.filter((m) => prepared.groups.some((g) => g.a === m || g.b === m));
  if (prepared.groups.length === 0) throw new TrainingDataError('no pairs to train on', source);

  const rng = mulberry32(seed);
  const split = splitGroups(prepared.groups, valFraction, rng);
  const trainPairs = split.train.reduce((s, g) => s + g.ai.length, 0);
  const valPairs = split.val.reduce((s, g) => s + g.ai.length, 0);
  if (trainPairs < 2) throw new TrainingDataError(`only ${trainPairs} training pair(s) after holding out ${valPairs}; need at least 2`, source);

  const stats = new Map<Modality, Standardizer>();
  const inputs = new Map<Modality, Matrix>();
  const heads = new Map<Modality, TrainableHead>();
  for (const m of modalities) {
    const mat = prepared.mats[m] as Matrix;
    if (standardize) {
      const st = standardizer(mat);
      stats.set(m, st);
      inputs.set(m, applyStandardizer(mat, st));
    } else {
      inputs.set(m, mat);
    }
    const widths = hidden > 0 ? [mat.cols, hidden, outputDim] : [mat.cols, outputDim];
    heads.set(m, initHead(m, widths, rng));
  }

  const cfg: AdamConfig = { lr, weightDecay, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
  const maxLog = Math.log(maxLogitScale);
  let logScale = Math.log(1 / initialTemperature);
  const temp = { m: 0, v: 0, t: 0 };

  const snapshot = () => ({
    logScale,
    heads: new Map([...heads].map(([m, h]) => [m, h.layers.map((l) => ({ weight: l.weight.value.slice(), bias: l.bias.value.slice() }))])),
  });
  let best = snapshot();
  let bestEpoch = 0;
  let bestVal = Infinity;
  let sinceBest = 0;
  const history: EpochReport[] = [];

  const kernels = await loadKernels(backend, threads);
  try {
    const lossOf = async (groups: PairGroup[]): Promise<number | null> => {
      let total = 0;
      let count = 0;
      for (const g of groups) {
        const ha = heads.get(g.a) as TrainableHead;
        const hb = heads.get(g.b) as TrainableHead;
        const d = outputDim;
        for (let from = 0; from < g.ai.length; from += batchSize) {
          const to = Math.min(g.ai.length, from + batchSize);
          if (to - from < 2) continue;
          const za = (await headForward(ha, gatherRows(inputs.get(g.a) as Matrix, g.ai, from, to), to - from, kernels)).z;
          const zb = (await headForward(hb, gatherRows(inputs.get(g.b) as Matrix, g.bi, from, to), to - from, kernels)).z;
          const ids = { a: g.ai.subarray(from, to), b: g.bi.subarray(from, to) };
          total += infoNce(await kernels.abt(za, zb, to - from, d, to - from), to - from, logScale, false, ids).loss * (to - from);
          count += to - from;
        }
      }
      return count > 0 ? total / count : null;
    };

    for (let epoch = 1; epoch <= epochs; epoch++) {
      // Every kind's pairs are shuffled and cut into batches; batches of all kinds are interleaved so
      // no head drifts while another kind's epoch runs.
      const batches: { g: PairGroup; from: number; to: number }[] = [];
      for (const g of split.train) {
        const order = shuffle(Array.from(g.ai, (_, n) => n), rng);
        const perm = { ai: Int32Array.from(order, (n) => g.ai[n]), bi: Int32Array.from(order, (n) => g.bi[n]) };
        for (let from = 0; from < order.length; from += batchSize) {
          const to = Math.min(order.length, from + batchSize);
          // A one-pair batch has no negatives; its pair will be in another batch next epoch.
          if (to - from >= 2) batches.push({ g: { ...g, ai: perm.ai, bi: perm.bi }, from, to });
        }
      }
      shuffle(batches, rng);
      let lossSum = 0;
      let lossCount = 0;
      let steps = 0;
      for (const { g, from, to } of batches) {
        const n = to - from;
        const ha = heads.get(g.a) as TrainableHead;
        const hb = heads.get(g.b) as TrainableHead;
        const xa = gatherRows(inputs.get(g.a) as Matrix, g.ai, from, to);
        const xb = gatherRows(inputs.get(g.b) as Matrix, g.bi, from, to);
        const ids = { a: g.ai.subarray(from, to), b: g.bi.subarray(from, to) };
        const { loss, dLogScale } = await pairStep(ha, xa, hb, xb, n, logScale, kernels, ids);
        stepHead(ha, cfg);
        stepHead(hb, cfg);
        temp.t++;
        temp.m = cfg.beta1 * temp.m + (1 - cfg.beta1) * dLogScale;
        temp.v = cfg.beta2 * temp.v + (1 - cfg.beta2) * dLogScale * dLogScale;
        logScale -= (lr * (temp.m / (1 - cfg.beta1 ** temp.t))) / (Math.sqrt(temp.v / (1 - cfg.beta2 ** temp.t)) + cfg.eps);
        // CLIP clamps the logit scale at 100; the floor of 1 keeps the softmax from going flat.
        logScale = Math.min(maxLog, Math.max(0, logScale));
        lossSum += loss * n;
        lossCount += n;
        steps++;
      }
      const valLoss = await lossOf(split.val);
      const report: EpochReport = { epoch, trainLoss: lossSum / Math.max(lossCount, 1), valLoss, temperature: Math.exp(-logScale), steps };
      history.push(report);
      onEpoch?.(report);
      if (valLoss === null) {
        best = snapshot();
        bestEpoch = epoch;
        continue;
      }
      if (valLoss < bestVal - minDelta) {
        bestVal = valLoss;
        best = snapshot();
        bestEpoch = epoch;
        sinceBest = 0;
      } else if (++sinceBest >= patience) {
        break;
      }
    }
  } finally {
    await kernels.dispose();
  }

  const defs: HeadDef[] = modalities.map((m) => {
    const mat = prepared.mats[m] as Matrix;
    const layers = (best.heads.get(m) as { weight: Float32Array; bias: Float32Array }[]).map((l, li): HeadLayer => {
      const shape = (heads.get(m) as TrainableHead).layers[li];
      return { inDim: shape.inDim, outDim: shape.outDim, weight: l.weight, bias: l.bias };
    });
    const st = stats.get(m);
    if (st) layers[0] = foldStandardizer(layers[0], st);
    return { modality: m, modelId: prepared.modelIds[m] ?? 'unknown', inputDim: mat.cols, outputDim, layers };
  });
  const temperature = Math.exp(-best.logScale);
  const provisional = new ProjectionHeads(defs, { kind: 'trained', seed, createdAt: now().toISOString() });
  const validation = split.val.length > 0 ? evaluatePrepared(provisional, { ...prepared, groups: split.val }, source) : null;
  const byKind: Partial<Record<PairKind, number>> = {};
  for (const g of prepared.groups) byKind[g.kind] = g.ai.length;
  const training: HeadsTrainingRecord = {
    pairs: { total: trainPairs + valPairs, train: trainPairs, val: valPairs, byKind },
    epochs: history.length,
    maxEpochs: epochs,
    bestEpoch,
    metrics: validation,
    modelIds: Object.fromEntries(modalities.map((m) => [m, prepared.modelIds[m] ?? 'unknown'])),
    temperature,
    seed,
    batchSize,
    lr,
    weightDecay,
    hidden,
    valFraction,
    standardize,
    backend: kernels.name,
    threads,
    history: history.map(({ epoch, trainLoss, valLoss }) => ({ epoch, trainLoss, valLoss })),
  };
  const result = new ProjectionHeads(defs, {
    kind: 'trained',
    seed,
    createdAt: provisional.metadata.createdAt,
    training: training as unknown as Record<string, unknown>,
  });
  return { heads: result, history, bestEpoch, temperature, validation, split: { train: trainPairs, val: valPairs }, backend: kernels.name };
}

async function loadKernels(backend: 'auto' | 'onnx' | 'js', threads: number): Promise<Kernels> {
  if (backend === 'js') return jsKernels;
  try {
    return await onnxKernels({ threads });
  } catch (err) {
    if (backend === 'onnx') throw err;
    return jsKernels; // onnxruntime missing or broken: the TypeScript kernels give the same results, slower
  }
}
