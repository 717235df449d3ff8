import { InvalidOptionError } from '../src/core/errors/index.js';
import { RETRAIN_DEFAULTS } from '../src/core/defaults.js';

/** One recorded evaluation: a bare metric, or a record carrying one (e.g. a knowledge-base row). */
export type EvaluationPoint = number | { metric: number };

export interface RetrainPolicy {
  /** How many of the latest evaluations the slope is fitted to; fewer recorded means no slope verdict yet. */
  window?: number;
  /**
   * Retrain when the least-squares slope of the metric per evaluation falls below this. The metric is
   * higher-is-better (recall@1), so the default −0.005 fires on a steady drop of half a point per run
   * and not on a flat or noisy-flat series.
   */
  slopeThreshold?: number;
  /** Pairs added since the heads were last trained. */
  newPairs?: number;
  /** Pairs the current heads were trained on (0: never trained). */
  trainSize?: number;
  /** Retrain when newPairs exceeds this share of trainSize. */
  newFraction?: number;
}

export interface RetrainDecision {
  retrain: boolean;
  /** What fired (or why nothing did), in words fit for a log line. */
  reason: string;
  /** Which rule fired; null when none did. Slope wins when both do. */
  trigger: 'slope' | 'new-pairs' | null;
  /** Least-squares slope of the last `window` metrics per evaluation; null with fewer than `window`. */
  slope: number | null;
  /** newPairs / trainSize; null without a training size. */
  newPairsFraction: number | null;
}

/**
 * Least-squares slope of `ys` against 0, 1, 2, ...
 *
 * @example
 * leastSquaresSlope([0.5, 0.4, 0.3]); // -0.1
 */
export function leastSquaresSlope(ys: readonly number[]): number {
  const n = ys.length;
  if (n < 2) return 0;
  const xMean = (n - 1) / 2;
  const yMean = ys.reduce((s, y) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (i - xMean) * (ys[i] - yMean);
    den += (i - xMean) ** 2;
  }
  return num / den;
}

/**
 * The retrain rule: retrain when the evaluation metric's least-squares slope over the last `window`
 * evaluations falls below `slopeThreshold` (quality is sliding), or when the pairs added since the
 * last training exceed `newFraction` of the training set (the data has moved on).
 *
 * @example
 * shouldRetrain([0.82, 0.8, 0.77, 0.75, 0.71], { window: 5 });
 * // { retrain: true, trigger: 'slope', slope: -0.027, reason: 'recall fell ...', ... }
 * shouldRetrain([], { newPairs: 300, trainSize: 1000, newFraction: 0.2 }).trigger; // 'new-pairs'
 */
export function shouldRetrain(
  history: readonly EvaluationPoint[],
  { window = RETRAIN_DEFAULTS.window, slopeThreshold = RETRAIN_DEFAULTS.slopeThreshold, newPairs = 0, trainSize = 0, newFraction = RETRAIN_DEFAULTS.newFraction }: RetrainPolicy = {},
): RetrainDecision {
  if (!Number.isInteger(window) || window < 2) throw new InvalidOptionError('window', window, 'an integer >= 2');
  if (!Number.isFinite(slopeThreshold)) throw new InvalidOptionError('slopeThreshold', slopeThreshold, 'a finite number');
  if (!Number.isInteger(newPairs) || newPairs < 0) throw new InvalidOptionError('newPairs', newPairs, 'an integer >= 0');
  if (!Number.isInteger(trainSize) || trainSize < 0) throw new InvalidOptionError('trainSize', trainSize, 'an integer >= 0');
  if (!(newFraction >= 0) || !Number.isFinite(newFraction)) throw new InvalidOptionError('newFraction', newFraction, 'a number >= 0');
  const metrics = history.map((p, i) => {
    const v = typeof p === 'number' ? p : p.metric;
    if (!Number.isFinite(v)) throw new InvalidOptionError(`history[${i}]`, v, 'a finite metric');
    return v;
  });

  const slope = metrics.length >= window ? leastSquaresSlope(metrics.slice(-window)) : null;
  const newPairsFraction = trainSize > 0 ? newPairs / trainSize : null;
  const fmt = (x: number) => Number(x.toPrecision(3));

  if (slope !== null && slope < slopeThreshold) {
    return {
      retrain: true,
      trigger: 'slope',
      slope,
      newPairsFraction,
      reason: `the metric's slope over the last ${window} evaluations is ${fmt(slope)} per evaluation, below ${slopeThreshold}`,
    };
  }
  if (trainSize === 0 && newPairs > 0) {
    return { retrain: true, trigger: 'new-pairs', slope, newPairsFraction, reason: `${newPairs} pairs and the heads were never trained on any` };
  }
  if (newPairsFraction !== null && newPairsFraction > newFraction) {
    return {
      retrain: true,
      trigger: 'new-pairs',
      slope,
      newPairsFraction,
      reason: `${newPairs} new pairs since the last training, ${fmt(newPairsFraction * 100)}% of the ${trainSize} trained on (threshold ${fmt(newFraction * 100)}%)`,
    };
  }
  const slopeWhy =
    slope === null ? `${metrics.length} of ${window} evaluations needed for a slope` : `slope ${fmt(slope)} >= ${slopeThreshold}`;
  const pairsWhy = newPairsFraction === null ? `${newPairs} new pairs` : `${fmt(newPairsFraction * 100)}% new pairs <= ${fmt(newFraction * 100)}%`;
  return { retrain: false, trigger: null, slope, newPairsFraction, reason: `no trigger: ${slopeWhy}; ${pairsWhy}` };
}
