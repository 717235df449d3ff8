/**
 * One linear mapping `video = ratio·sub + offset` for the whole file: the offset by FFT
 * cross-correlation over ±maxOffset for each candidate framerate ratio, then a fine ratio search.
 */
import { Correlator } from './correlate.js';
import { cueKernel, decimate, spanSeconds, SpeechScorer, type CueKernel, type ScoreParams } from './signal.js';
import type { Span, SpeechCurve } from './types.js';
import { maxOf } from '../../src/core/arrays.js';

/** Offsets within this many seconds of the peak belong to it, not to chance. */
const PEAK_EXCLUDE = 2;

export interface GlobalFitOptions extends ScoreParams {
  maxOffset: number;
  /** Try framerate ratios other than 1. */
  framerate: boolean;
  ratios: readonly number[];
  ratioMargin: number;
  fineRatioSpan: number;
  fineRatioMargin: number;
  /** Grid of the FFT search, seconds. */
  searchStep: number;
}

export interface GlobalFit {
  ratio: number;
  offset: number;
  /** Score of the spans under this mapping (seconds of agreement). */
  score: number;
  /** `score` divided by the spans' total length: about 1 for a perfect match, below 0 for silence. */
  normalized: number;
  /** How far the correlation peak stands above the other offsets, in robust standard deviations. */
  prominence: number;
  /** Every ratio tried, with its best offset and normalised score (for reports and tests). */
  candidates: { ratio: number; offset: number; normalized: number }[];
}

/**
 * How far the correlation peak stands above the scores of offsets away from it (more than
 * `exclude` lags off), in standard deviations of those: chance alignments reach 3-4, a true match
 * many more.
 */
export function peakProminence(r: Float64Array, exclude: number): number {
  let peak = 0;
  for (let i = 1; i < r.length; i++) if (r[i] > r[peak]) peak = i;
  let n = 0;
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < r.length; i++) {
    if (Math.abs(i - peak) <= exclude) continue;
    n++;
    sum += r[i];
    sq += r[i] * r[i];
  }
  if (n < 10) return 0;
  const mean = sum / n;
  const sd = Math.sqrt(Math.max(0, sq / n - mean * mean));
  return sd > 0 ? (r[peak] - mean) / sd : 0;
}

/** The best offset within `center ± radius` on a grid of `step`, by direct scoring. */
export function refineOffset(
  scorer: SpeechScorer,
  spans: readonly Span[],
  ratio: number,
  center: number,
  radius: number,
  step: number,
): { offset: number; score: number } {
  let best = { offset: center, score: scorer.total(spans, ratio, center) };
  const n = Math.round(radius / step);
  for (let k = -n; k <= n; k++) {
    const offset = center + k * step;
    const score = scorer.total(spans, ratio, offset);
    if (score > best.score) best = { offset, score };
  }
  return best;
}

/** Coarse FFT search then two direct refinements (to 10 ms, then 2 ms). */
function bestOffset(
  correlator: Correlator,
  coarse: SpeechCurve,
  kernel: CueKernel,
  scorer: SpeechScorer,
  spans: readonly Span[],
  ratio: number,
  opts: GlobalFitOptions,
): { offset: number; score: number; prominence: number } {
  const hs = coarse.step;
  const lagMin = Math.ceil((-opts.maxOffset - coarse.start) / hs) + kernel.first;
  const lagMax = Math.floor((opts.maxOffset - coarse.start) / hs) + kernel.first;
  const r = correlator.correlate(kernel.weights, lagMin, lagMax);
  let bestI = 0;
  for (let i = 1; i < r.length; i++) if (r[i] > r[bestI]) bestI = i;
  const coarseOffset = coarse.start + (lagMin + bestI - kernel.first) * hs;
  const fine = refineOffset(scorer, spans, ratio, coarseOffset, 2 * hs, scorer.step);
  const finest = refineOffset(scorer, spans, ratio, fine.offset, scorer.step, scorer.step / 5);
  return { offset: finest.offset, score: finest.score, prominence: peakProminence(r, Math.round(PEAK_EXCLUDE / hs)) };
}

/**
 * Searches ratio `r0·(1+δ)` for |δ| ≤ span, keeping the spans' mean time fixed, coarse to fine.
 */
function fineRatio(
  scorer: SpeechScorer,
  spans: readonly Span[],
  r0: number,
  d0: number,
  span: number,
): { ratio: number; offset: number; score: number } {
  const first = spans[0].start;
  const last = spans[spans.length - 1].end;
  const length = Math.max(1, last - first);
  let pivot = 0;
  for (const c of spans) pivot += c.start;
  pivot /= spans.length;
  const searchAt = (ratio: number, center: number, radius: number, step: number) =>
    refineOffset(scorer, spans, ratio, center, radius, step);
  let best = { ratio: r0, ...searchAt(r0, d0, 0, 1) };
  // Step so the ends move ≤ 0.1 s per step; offsets within ±0.2 s of the pivot-preserving one.
  const relStep = 0.1 / length;
  const n = Math.ceil(span / relStep);
  for (let k = -n; k <= n; k++) {
    if (k === 0) continue;
    const ratio = r0 * (1 + k * relStep);
    const hit = searchAt(ratio, d0 + (r0 - ratio) * pivot, 0.2, 0.02);
    if (hit.score > best.score) best = { ratio, ...hit };
  }
  const coarse = best;
  for (let k = -10; k <= 10; k++) {
    const ratio = coarse.ratio * (1 + (k * relStep) / 10);
    const hit = searchAt(ratio, coarse.offset + (coarse.ratio - ratio) * pivot, 0.04, 0.005);
    if (hit.score > best.score) best = { ratio, ...hit };
  }
  return best;
}

/**
 * Fits `video = ratio·sub + offset` to the speech. Ratio 1 is kept unless another candidate beats it
 * by `ratioMargin` (normalised), and the fine search must beat its start by `fineRatioMargin`.
 *
 * @example
 * const fit = fitGlobal(spokenSpans, speechCurve, { ...SYNC_DEFAULTS, framerate: true });
 * console.log(fit.offset, fit.ratio, fit.prominence);
 */
export function fitGlobal(spans: readonly Span[], curve: SpeechCurve, opts: GlobalFitOptions): GlobalFit {
  const scorer = new SpeechScorer(curve, opts);
  const coarse = decimate(curve, opts.searchStep);
  const total = spanSeconds(spans);
  const ratios = opts.framerate ? [1, ...opts.ratios] : [1];
  const kernels = ratios.map((ratio) => cueKernel(spans, ratio, coarse.step, opts));
  const correlator = new Correlator(coarse.probabilities, maxOf(kernels.map((k) => k.weights.length)));

  const candidates: GlobalFit['candidates'] = [];
  const fits = ratios.map((ratio, i) => {
    const fit = bestOffset(correlator, coarse, kernels[i], scorer, spans, ratio, opts);
    candidates.push({ ratio, offset: fit.offset, normalized: fit.score / total });
    return { ratio, ...fit };
  });
  let chosen = fits[0];
  for (const f of fits.slice(1)) {
    const bar = Math.max(chosen.score, fits[0].score + opts.ratioMargin * total);
    if (f.score > bar) chosen = f;
  }
  let { ratio, offset, score } = chosen;
  if (opts.framerate && spans.length >= 2) {
    const fine = fineRatio(scorer, spans, ratio, offset, opts.fineRatioSpan);
    if (fine.score > score + opts.fineRatioMargin * total) ({ ratio, offset, score } = fine);
  }
  return { ratio, offset, score, normalized: score / total, prominence: chosen.prominence, candidates };
}
