import { InvalidOptionError } from '../../src/core/errors/index.js';
import { TRAIN_HEADS_DEFAULTS } from '../../src/core/defaults.js';
import { EMBED_DIM } from '../../src/core/types.js';

/** One epoch's record; `valLoss` is null when nothing is held out (and during the refit). */
export interface EpochReport {
  epoch: number;
  trainLoss: number;
  valLoss: number | null;
  /** Softmax temperature after the epoch (1 / logit scale). */
  temperature: number;
  /** Mini-batches stepped in this epoch (for progress bars). */
  steps: number;
  /** 'search' while early stopping looks for the best epoch count, 'refit' while training on every pair. */
  phase: 'search' | 'refit';
}

export type TrainBackend = 'auto' | 'onnx' | 'js';

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
  /** Seeds initialisation, the held-out split, batch order, noise and dropout: same seed and data, same bytes. */
  seed?: number;
  /** Share of split units (groups, else connected items) held out for early stopping and the reported metrics (0 disables both). */
  valFraction?: number;
  /** Hold out by this label of the pairs (e.g. 'voice', 'video') instead of their `group`. */
  valBy?: string | null;
  /**
   * Early stopping: epochs without a held-out loss improvement of at least `minDelta` before stopping,
   * and the best epoch is kept. Null (the default): every epoch runs. Held-out items are often not what
   * the heads will meet (a closed vocabulary heard in new voices), and there the held-out loss is lowest
   * after an epoch or two; the held-out split still gives the reported metrics.
   */
  patience?: number | null;
  minDelta?: number;
  /**
   * After the run on the split (which gives the held-out metrics, and with `patience` the epoch count),
   * train again from the same start on every pair, held-out ones included, for that many epochs, and
   * return those heads: the same heads `valFraction: 0` would give. The reported validation is the split
   * run's, an honest estimate. Off: return the split run's heads.
   */
  refit?: boolean;
  /** Softmax temperature: a number keeps it fixed; 'learned' makes it a parameter (CLIP) starting at `initialTemperature`. */
  temperature?: number | 'learned';
  /** Starting temperature when learned (CLIP: 0.07). */
  initialTemperature?: number;
  /** The learnable logit scale is clamped to [1, maxLogitScale] (CLIP: 100) so training cannot blow up. */
  maxLogitScale?: number;
  /** Standard deviation of Gaussian noise added to the (standardised) inputs of every training batch; never at evaluation. */
  inputNoise?: number;
  /** Dropout probability on the hidden layer's units while training (no effect on linear heads); never at evaluation. */
  dropout?: number;
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
  backend?: TrainBackend;
  /** Threads for the onnx backend. Same seed and thread count, same bits; another count may differ in the last bits. */
  threads?: number;
}

// The defaults live with every other default in src/core/defaults.ts (re-exported here for the trainer's users).
export { TRAIN_HEADS_DEFAULTS };

export type ResolvedTrainOptions = Required<Omit<TrainHeadsOptions, 'onEpoch'>> & Pick<TrainHeadsOptions, 'onEpoch'>;

function int(name: string, v: number, min = 1): void {
  if (!Number.isInteger(v) || v < min) throw new InvalidOptionError(name, v, `an integer >= ${min}`);
}

function nonNegative(name: string, v: number, allowZero = false): void {
  if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) throw new InvalidOptionError(name, v, allowZero ? 'a number >= 0' : 'a number > 0');
}

/**
 * Fills in {@link TRAIN_HEADS_DEFAULTS} and validates every option once, throwing
 * {@link InvalidOptionError} with what was expected.
 *
 * @example
 * const o = resolveTrainOptions({ hidden: 256, temperature: 'learned' });
 */
export function resolveTrainOptions(options: TrainHeadsOptions = {}): ResolvedTrainOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const o: ResolvedTrainOptions = { ...TRAIN_HEADS_DEFAULTS, outputDim: EMBED_DIM, now: () => new Date(), source: null, ...defined };
  int('epochs', o.epochs);
  int('batchSize', o.batchSize, 2);
  nonNegative('lr', o.lr);
  nonNegative('weightDecay', o.weightDecay, true);
  int('hidden', o.hidden, 0);
  int('outputDim', o.outputDim);
  int('seed', o.seed, 0);
  if (!(o.valFraction >= 0 && o.valFraction < 1)) throw new InvalidOptionError('valFraction', o.valFraction, 'a number in [0, 1)');
  if (o.valBy !== null && (typeof o.valBy !== 'string' || o.valBy === '')) throw new InvalidOptionError('valBy', o.valBy, 'a label name or null');
  if (o.patience !== null) int('patience', o.patience);
  nonNegative('minDelta', o.minDelta, true);
  if (typeof o.refit !== 'boolean') throw new InvalidOptionError('refit', o.refit, 'true or false');
  if (!(o.maxLogitScale >= 1)) throw new InvalidOptionError('maxLogitScale', o.maxLogitScale, 'a number >= 1');
  for (const [name, t] of [['temperature', o.temperature], ['initialTemperature', o.initialTemperature]] as const) {
    if (name === 'temperature' && t === 'learned') continue;
    if (!(typeof t === 'number' && t > 0 && 1 / t <= o.maxLogitScale && t <= 1)) {
      throw new InvalidOptionError(name, t, `${name === 'temperature' ? "'learned' or " : ''}a number in [1/maxLogitScale (${1 / o.maxLogitScale}), 1]`);
    }
  }
  nonNegative('inputNoise', o.inputNoise, true);
  if (!(o.dropout >= 0 && o.dropout < 1)) throw new InvalidOptionError('dropout', o.dropout, 'a number in [0, 1)');
  if (!['auto', 'onnx', 'js'].includes(o.backend)) throw new InvalidOptionError('backend', o.backend, 'auto | onnx | js');
  int('threads', o.threads);
  return o;
}
