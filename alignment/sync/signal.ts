/**
 * Speech curves and what is scored against them. A curve holds one soft P(speech) per `step`
 * seconds, sample n standing for [start + n·step, start + (n+1)·step); outside it there is no speech.
 */
import type { Span, SpeechCurve } from './types.js';

/** Tuning of the cue score; see SYNC_DEFAULTS for what the two terms mean. */
export interface ScoreParams {
  onsetWeight: number;
  onsetWindow: number;
  /** Weight of "the gap before a cue is silent" (speech there counts against the cue). */
  gapWeight: number;
}

/**
 * Scores cue placements against a speech curve in O(1) each, from prefix sums. A cue placed on
 * [a, b] earns `2·speech(a,b) − (b − a)` (seconds of speech it covers minus seconds of silence), plus
 * `onsetWeight × (mean speech just after a − mean speech just before a)`, plus `gapWeight ×`
 * (silence minus speech) in the gap before it, where the previous cue has ended and nobody should
 * speak. The gap term is what tells dialogue from continuous uncued speech (an advert, a song).
 *
 * @example
 * const scorer = new SpeechScorer(curve, { onsetWeight: 0.6, onsetWindow: 0.2 });
 * scorer.cue(12.3, 14.8); // > 0 when speech starts at 12.3 s and fills the cue
 */
export class SpeechScorer {
  readonly step: number;
  readonly start: number;
  readonly end: number;
  private readonly prefix: Float64Array;
  private readonly params: ScoreParams;

  constructor(curve: SpeechCurve, params: ScoreParams) {
    const p = curve.probabilities;
    this.step = curve.step;
    this.start = curve.start;
    this.end = curve.start + p.length * curve.step;
    this.params = params;
    this.prefix = new Float64Array(p.length + 1);
    for (let i = 0; i < p.length; i++) this.prefix[i + 1] = this.prefix[i] + p[i] * curve.step;
  }

  /** Seconds of speech between the curve's start and `t`. */
  integral(t: number): number {
    const x = (t - this.start) / this.step;
    if (x <= 0) return 0;
    const n = this.prefix.length - 1;
    if (x >= n) return this.prefix[n];
    const k = Math.floor(x);
    return this.prefix[k] + (x - k) * (this.prefix[k + 1] - this.prefix[k]);
  }

  /** Seconds of speech in [a, b]. */
  speech(a: number, b: number): number {
    return this.integral(b) - this.integral(a);
  }

  /** Speech minus silence covered by [a, b], seconds. */
  overlap(a: number, b: number): number {
    return 2 * this.speech(a, b) - (b - a);
  }

  /** How sharply speech begins at `a`: in [-1, 1]. */
  onset(a: number): number {
    const w = this.params.onsetWindow;
    return (this.speech(a, a + w) - this.speech(a - w, a)) / w;
  }

  /** The score of one cue placed on [a, b], after a gap of `gap` seconds. */
  cue(a: number, b: number, gap = 0): number {
    const s = this.overlap(a, b) + this.params.onsetWeight * this.onset(a);
    return gap > 0 ? s - this.params.gapWeight * this.overlap(a - gap, a) : s;
  }

  /** The score of a span placed by `video = ratio·t + offset`. */
  span(c: Span, ratio: number, offset: number): number {
    return this.cue(ratio * c.start + offset, ratio * c.end + offset, ratio * (c.gap ?? 0));
  }

  /** The total score of spans placed by `video = ratio·t + offset`. */
  total(spans: readonly Span[], ratio: number, offset: number): number {
    let s = 0;
    for (const c of spans) s += this.span(c, ratio, offset);
    return s;
  }
}

/** Total length of the spans, seconds: the scale a score is normalised by. */
export function spanSeconds(spans: readonly Span[]): number {
  let s = 0;
  for (const c of spans) s += c.end - c.start;
  return s;
}

/**
 * The curve averaged onto a coarser grid whose step is a whole multiple of the curve's.
 *
 * @example
 * decimate(curve, 0.04).probabilities.length; // about a quarter of the 10 ms curve's
 */
export function decimate(curve: SpeechCurve, step: number): SpeechCurve {
  const k = Math.max(1, Math.round(step / curve.step));
  if (k === 1) return curve;
  const src = curve.probabilities;
  const out = new Float32Array(Math.ceil(src.length / k));
  for (let i = 0; i < out.length; i++) {
    let s = 0;
    const hi = Math.min(src.length, (i + 1) * k);
    for (let j = i * k; j < hi; j++) s += src[j];
    out[i] = s / k; // a partial last bin is partly "no audio", which counts as silence
  }
  return { step: curve.step * k, start: curve.start, probabilities: out };
}

/** Adds `density × |[t0, t1) ∩ bin m|` to each bin m of `g`, whose bin 0 starts at `origin`. */
function addBox(g: Float64Array, origin: number, step: number, t0: number, t1: number, density: number): void {
  const x0 = (t0 - origin) / step;
  const x1 = (t1 - origin) / step;
  const lo = Math.max(0, Math.floor(x0));
  const hi = Math.min(g.length - 1, Math.ceil(x1) - 1);
  for (let m = lo; m <= hi; m++) {
    const cover = Math.min(x1, m + 1) - Math.max(x0, m);
    if (cover > 0) g[m] += density * cover * step;
  }
}

/** A cue kernel on a grid: correlating it with a speech curve gives the score at every offset. */
export interface CueKernel {
  /** Weights; bin m stands for subtitle time (first + m)·step. */
  weights: Float64Array;
  /** Grid index of bin 0 (may be negative). */
  first: number;
  step: number;
  /** The score's constant part: minus the total span length. */
  constant: number;
}

/**
 * The cue kernel of spans under `video = ratio·t`, on a grid of `step`: the same score as
 * {@link SpeechScorer.total} up to the rounding of edges to the grid.
 *
 * @example
 * const k = cueKernel(spokenSpans, 1, 0.04, { onsetWeight: 0.6, onsetWindow: 0.2 });
 */
export function cueKernel(spans: readonly Span[], ratio: number, step: number, params: ScoreParams): CueKernel {
  const w = params.onsetWindow;
  let lo = Infinity;
  let hi = -Infinity;
  for (const c of spans) {
    lo = Math.min(lo, ratio * (c.start - (c.gap ?? 0)) - w);
    hi = Math.max(hi, ratio * c.end, ratio * c.start + w);
  }
  const first = Math.floor(lo / step);
  const weights = new Float64Array(Math.max(1, Math.ceil(hi / step) - first + 1));
  const origin = first * step;
  let constant = 0;
  for (const c of spans) {
    const a = ratio * c.start;
    const b = ratio * c.end;
    addBox(weights, origin, step, a, b, 2);
    addBox(weights, origin, step, a, a + w, params.onsetWeight / w);
    addBox(weights, origin, step, a - w, a, -params.onsetWeight / w);
    constant -= b - a;
    const gap = ratio * (c.gap ?? 0);
    if (gap > 0) {
      addBox(weights, origin, step, a - gap, a, -2 * params.gapWeight);
      constant += params.gapWeight * gap;
    }
  }
  return { weights, first, step, constant };
}

/**
 * Spans (sorted by start) with the gap before each: from the latest end of the cues before it, at
 * most `maxGap` seconds (a long pause may hold uncued sound), 0 where cues touch or overlap.
 *
 * @example
 * withGaps([{ start: 0, end: 1 }, { start: 1.5, end: 2 }], 2); // gaps 0 and 0.5
 */
export function withGaps(spans: readonly Span[], maxGap: number): Span[] {
  let lastEnd = -Infinity;
  return spans.map((c) => {
    const gap = Number.isFinite(lastEnd) ? Math.min(maxGap, Math.max(0, c.start - lastEnd)) : 0;
    lastEnd = Math.max(lastEnd, c.end);
    return { start: c.start, end: c.end, gap };
  });
}
