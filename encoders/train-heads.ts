import { TrainingDataError } from '../src/core/errors/index.js';
import { mulberry32 } from '../src/core/random.js';
import { MODALITIES, type Modality } from '../src/core/types.js';
import { evaluatePrepared, type HeadsEvaluation } from './eval-heads.js';
import { ProjectionHeads, type HeadDef, type HeadLayer } from './heads.js';
import { jsKernels, type Kernels, type Matrix } from './linalg.js';
import { prepareNativePairs, type NativePairs, type PairGroup, type PairKind, type PreparedPairs } from './native-pairs.js';
import { onnxKernels } from './ort-kernels.js';
import { LogitScale, stepHead, type AdamConfig } from './training/adam.js';
import { initHead, type TrainableHead } from './training/backprop.js';
import { addNoise, applyStandardizer, foldStandardizer, gatherRows, gaussian, shuffle, splitGroups, standardizer, type Standardizer } from './training/data.js';
import { batchLoss, pairStep } from './training/loss.js';
import { resolveTrainOptions, type EpochReport, type ResolvedTrainOptions, type TrainBackend, type TrainHeadsOptions } from './training/options.js';

export { TRAIN_HEADS_DEFAULTS, type EpochReport, type TrainHeadsOptions } from './training/options.js';

export interface TrainHeadsResult {
  /** Trained heads (metadata.kind 'trained'): the refit on every pair, or the best held-out epoch. */
  heads: ProjectionHeads;
  history: EpochReport[];
  /** The epoch count early stopping chose (the last epoch without early stopping). */
  bestEpoch: number;
  temperature: number;
  /** Retrieval on the held-out split by the heads of the best epoch; null when nothing is held out. */
  validation: HeadsEvaluation | null;
  /** Pairs trained on while searching and held out; `refit` says whether the returned heads saw all of them. */
  split: { train: number; val: number };
  refit: boolean;
  /** The backend the products ran on. */
  backend: 'onnx' | 'js';
}

/** Training record stored in the heads file's metadata (`metadata.training`). */
export interface HeadsTrainingRecord {
  pairs: { total: number; train: number; val: number; byKind: Partial<Record<PairKind, number>> };
  /** Held-out split: units (groups or connected items) in all and held out, and the label split by. */
  split: { units: number; heldOut: number; by: string | null };
  epochs: number;
  maxEpochs: number;
  bestEpoch: number;
  /** Early stopping's patience; null: off. */
  patience: number | null;
  refit: boolean;
  metrics: HeadsEvaluation | null;
  modelIds: Partial<Record<Modality, string>>;
  temperature: number;
  /** 'learned' or 'fixed'. */
  temperatureMode: 'learned' | 'fixed';
  seed: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  hidden: number;
  valFraction: number;
  inputNoise: number;
  dropout: number;
  standardize: boolean;
  /** Where the products ran; onnx with several threads may differ from one thread in the last bits. */
  backend: 'onnx' | 'js';
  threads: number;
  history: { epoch: number; phase: 'search' | 'refit'; trainLoss: number; valLoss: number | null }[];
}

type Snapshot = { logScale: number; heads: Map<Modality, { weight: Float32Array; bias: Float32Array }[]> };

interface FitInput {
  heads: Map<Modality, TrainableHead>;
  inputs: Map<Modality, Matrix>;
  train: PairGroup[];
  val: PairGroup[];
  epochs: number;
  phase: EpochReport['phase'];
  seed: number;
}

/** Mini-batch AdamW epochs; with `patience` and a `val` split, early stopping returns the best epoch's weights, else the last. */
async function fit(o: ResolvedTrainOptions, kernels: Kernels, f: FitInput, history: EpochReport[]): Promise<{ best: Snapshot; bestEpoch: number }> {
  const { heads, inputs } = f;
  const cfg: AdamConfig = { lr: o.lr, weightDecay: o.weightDecay, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
  const learned = o.temperature === 'learned';
  const scale = new LogitScale(learned ? o.initialTemperature : (o.temperature as number), o.maxLogitScale);
  // Batch order, and noise/dropout, from their own streams: the one does not shift the other.
  const rng = mulberry32(f.seed);
  const noiseRng = mulberry32(f.seed ^ 0x5bd1e995);
  const normal = gaussian(noiseRng);
  const pass = o.dropout > 0 ? { dropout: o.dropout, rng: noiseRng } : null;
  const snapshot = (): Snapshot => ({
    logScale: scale.value,
    heads: new Map([...heads].map(([m, h]) => [m, h.layers.map((l) => ({ weight: l.weight.value.slice(), bias: l.bias.value.slice() }))])),
  });
  const valLoss = async (): Promise<number | null> => {
    let total = 0;
    let count = 0;
    for (const g of f.val) {
      for (let from = 0; from < g.ai.length; from += o.batchSize) {
        const to = Math.min(g.ai.length, from + o.batchSize);
        if (to - from < 2) continue;
        const xa = gatherRows(inputs.get(g.a) as Matrix, g.ai, from, to);
        const xb = gatherRows(inputs.get(g.b) as Matrix, g.bi, from, to);
        const items = { a: g.ai.subarray(from, to), b: g.bi.subarray(from, to) };
        total += (await batchLoss(heads.get(g.a) as TrainableHead, xa, heads.get(g.b) as TrainableHead, xb, to - from, scale.value, kernels, items)) * (to - from);
        count += to - from;
      }
    }
    return count > 0 ? total / count : null;
  };

  let best = snapshot();
  let bestEpoch = 0;
  let bestVal = Infinity;
  let sinceBest = 0;
  for (let epoch = 1; epoch <= f.epochs; epoch++) {
    // Every kind's pairs are shuffled and cut into batches; batches of all kinds are interleaved so
    // no head drifts while another kind's epoch runs.
    const batches: { g: PairGroup; from: number; to: number }[] = [];
    for (const g of f.train) {
      const order = shuffle(Array.from(g.ai, (_, n) => n), rng);
      const perm = { ...g, ai: Int32Array.from(order, (n) => g.ai[n]), bi: Int32Array.from(order, (n) => g.bi[n]) };
      for (let from = 0; from < order.length; from += o.batchSize) {
        const to = Math.min(order.length, from + o.batchSize);
        // A one-pair batch has no negatives; its pair will be in another batch next epoch.
        if (to - from >= 2) batches.push({ g: perm, from, to });
      }
    }
    shuffle(batches, rng);
    let lossSum = 0;
    let lossCount = 0;
    for (const { g, from, to } of batches) {
      const n = to - from;
      const ha = heads.get(g.a) as TrainableHead;
      const hb = heads.get(g.b) as TrainableHead;
      const xa = addNoise(gatherRows(inputs.get(g.a) as Matrix, g.ai, from, to), o.inputNoise, normal);
      const xb = addNoise(gatherRows(inputs.get(g.b) as Matrix, g.bi, from, to), o.inputNoise, normal);
      const items = { a: g.ai.subarray(from, to), b: g.bi.subarray(from, to) };
      const { loss, dLogScale } = await pairStep(ha, xa, hb, xb, n, scale.value, kernels, items, pass);
      stepHead(ha, cfg);
      stepHead(hb, cfg);
      if (learned) scale.step(dLogScale, cfg);
      lossSum += loss * n;
      lossCount += n;
    }
    const v = await valLoss();
    const report: EpochReport = { epoch, trainLoss: lossSum / Math.max(lossCount, 1), valLoss: v, temperature: scale.temperature, steps: batches.length, phase: f.phase };
    history.push(report);
    o.onEpoch?.(report);
    if (v === null || o.patience === null) {
      bestEpoch = epoch;
      continue;
    }
    if (v < bestVal - o.minDelta) {
      bestVal = v;
      best = snapshot();
      bestEpoch = epoch;
      sinceBest = 0;
    } else if (++sinceBest >= o.patience) {
      break;
    }
  }
  if (f.val.length === 0 || o.patience === null) best = snapshot();
  return { best, bestEpoch };
}

function cloneHeads(heads: Map<Modality, TrainableHead>): Map<Modality, TrainableHead> {
  return new Map(
    [...heads].map(([m, h]) => [
      m,
      {
        modality: h.modality,
        steps: 0,
        layers: h.layers.map((l) => ({
          inDim: l.inDim,
          outDim: l.outDim,
          weight: { value: l.weight.value.slice(), grad: new Float32Array(l.weight.value.length), m: new Float32Array(l.weight.value.length), v: new Float32Array(l.weight.value.length) },
          bias: { value: l.bias.value.slice(), grad: new Float32Array(l.bias.value.length), m: new Float32Array(l.bias.value.length), v: new Float32Array(l.bias.value.length) },
        })),
      },
    ]),
  );
}

/**
 * Trains one projection head per modality on pairs of native embeddings with a symmetric InfoNCE
 * loss, as CLIP does. Text is the anchor: text↔image and text↔audio pairs train the text head
 * jointly with the others, so every modality lands in one text-anchored space; image↔audio pairs,
 * when given, add their own loss term. Negatives never include another pair of the same item.
 * AdamW on mini-batches with input noise and dropout; early stopping on a held-out split that never
 * puts a group (or an item) on both sides; then, by default, a refit on every pair for the epoch count
 * early stopping chose. Deterministic: the same data, options and seed give byte-identical weights
 * (onnx backend: on the same CPU and thread count; js backend: anywhere).
 *
 * @example
 * const { heads, validation } = await trainHeads(
 *   { embeddings: { text: textVecs, image: imageVecs }, pairs, modelIds: { text: 'bert', image: 'resnet' } },
 *   { hidden: 256, seed: 1 },
 * );
 * console.log(validation?.mean.r1);
 * await heads.save('heads.safetensors');
 */
export async function trainHeads(data: NativePairs | PreparedPairs, options: TrainHeadsOptions = {}): Promise<TrainHeadsResult> {
  const o = resolveTrainOptions(options);
  const { source } = o;
  const prepared = 'groups' in data ? data : prepareNativePairs(data, source);
  const modalities = MODALITIES.filter((m) => prepared.groups.some((g) => g.a === m || g.b === m));
  if (prepared.groups.length === 0) throw new TrainingDataError('no pairs to train on', source);

  const rng = mulberry32(o.seed);
  const split = splitGroups(prepared, o.valFraction, rng, { groupBy: o.valBy, source });
  const count = (gs: PairGroup[]) => gs.reduce((s, g) => s + g.ai.length, 0);
  const trainPairs = count(split.train);
  const valPairs = count(split.val);
  if (trainPairs < 2) throw new TrainingDataError(`only ${trainPairs} training pair(s) after holding out ${valPairs}; need at least 2`, source);

  const stats = new Map<Modality, Standardizer>();
  const inputs = new Map<Modality, Matrix>();
  const init = new Map<Modality, TrainableHead>();
  for (const m of modalities) {
    const mat = prepared.mats[m] as Matrix;
    if (o.standardize) {
      const st = standardizer(mat);
      stats.set(m, st);
      inputs.set(m, applyStandardizer(mat, st));
    } else {
      inputs.set(m, mat);
    }
    init.set(m, initHead(m, o.hidden > 0 ? [mat.cols, o.hidden, o.outputDim] : [mat.cols, o.outputDim], rng));
  }
  const loopSeed = Math.floor(rng() * 2 ** 32);

  const history: EpochReport[] = [];
  const kernels = await loadKernels(o.backend, o.threads);
  let search: { best: Snapshot; bestEpoch: number };
  let final: Snapshot;
  const refit = o.refit && split.val.length > 0;
  try {
    search = await fit(o, kernels, { heads: cloneHeads(init), inputs, train: split.train, val: split.val, epochs: o.epochs, phase: 'search', seed: loopSeed }, history);
    final = search.best;
    if (refit) {
      const all = await fit(o, kernels, { heads: cloneHeads(init), inputs, train: prepared.groups, val: [], epochs: Math.max(1, search.bestEpoch), phase: 'refit', seed: loopSeed }, history);
      final = all.best;
    }
  } finally {
    await kernels.dispose();
  }

  const toDefs = (snap: Snapshot): HeadDef[] =>
    modalities.map((m) => {
      const mat = prepared.mats[m] as Matrix;
      const layers = (snap.heads.get(m) as { weight: Float32Array; bias: Float32Array }[]).map((l, li): HeadLayer => {
        const shape = (init.get(m) as TrainableHead).layers[li];
        return { inDim: shape.inDim, outDim: shape.outDim, weight: l.weight, bias: l.bias };
      });
      const st = stats.get(m);
      if (st) layers[0] = foldStandardizer(layers[0], st);
      return { modality: m, modelId: prepared.modelIds[m] ?? 'unknown', inputDim: mat.cols, outputDim: o.outputDim, layers };
    });
  const createdAt = o.now().toISOString();
  // The held-out metrics are those of the search run's best epoch: heads that never saw those pairs.
  const validation = split.val.length > 0
    ? evaluatePrepared(new ProjectionHeads(toDefs(search.best), { kind: 'trained', seed: o.seed, createdAt }), { ...prepared, groups: split.val }, source)
    : null;
  const temperature = Math.exp(-final.logScale);
  const byKind: Partial<Record<PairKind, number>> = {};
  for (const g of prepared.groups) byKind[g.kind] = g.ai.length;
  const training: HeadsTrainingRecord = {
    pairs: { total: trainPairs + valPairs, train: trainPairs, val: valPairs, byKind },
    split: { units: split.units, heldOut: split.heldOutUnits, by: o.valBy },
    epochs: history.length,
    maxEpochs: o.epochs,
    bestEpoch: search.bestEpoch,
    patience: o.patience,
    refit,
    metrics: validation,
    modelIds: Object.fromEntries(modalities.map((m) => [m, prepared.modelIds[m] ?? 'unknown'])),
    temperature,
    temperatureMode: o.temperature === 'learned' ? 'learned' : 'fixed',
    seed: o.seed,
    batchSize: o.batchSize,
    lr: o.lr,
    weightDecay: o.weightDecay,
    hidden: o.hidden,
    valFraction: o.valFraction,
    inputNoise: o.inputNoise,
    dropout: o.dropout,
    standardize: o.standardize,
    backend: kernels.name,
    threads: o.threads,
    history: history.map(({ epoch, phase, trainLoss, valLoss }) => ({ epoch, phase, trainLoss, valLoss })),
  };
  const heads = new ProjectionHeads(toDefs(final), { kind: 'trained', seed: o.seed, createdAt, training: training as unknown as Record<string, unknown> });
  return { heads, history, bestEpoch: search.bestEpoch, temperature, validation, split: { train: trainPairs, val: valPairs }, refit, backend: kernels.name };
}

async function loadKernels(backend: TrainBackend, threads: number): Promise<Kernels> {
  if (backend === 'js') return jsKernels;
  try {
    return await onnxKernels({ threads });
  } catch (err) {
    if (backend === 'onnx') throw err;
    return jsKernels; // onnxruntime missing or broken: the TypeScript kernels give the same results, slower
  }
}
