/**
 * Split-aware alignment: each spoken cue gets an offset from a grid over ±maxOffset, and a dynamic
 * programme maximises the total cue score minus a penalty per change of offset between consecutive
 * cues. A file with an inserted or removed stretch (an ad break, a longer intro, a cut scene) is so
 * mapped piecewise; one with none pays nothing for staying in one piece.
 *
 * Written from the published idea of split-aware subtitle alignment; no code of any other tool.
 */
import type { SpeechScorer } from './signal.js';
import type { Span } from './types.js';

export interface SplitOptions {
  maxOffset: number;
  splitPenalty: number;
  /** Most grid offsets per cue; the grid coarsens to fit (then each piece is refined). */
  splitGridSize: number;
}

/** Spans `first` up to the next segment's `first` move by `offset` (after the ratio). */
export interface Segment {
  first: number;
  offset: number;
}

export interface SplitFit {
  segments: Segment[];
  /** Total cue score of the mapping, without the penalties. */
  score: number;
}

/**
 * The best piecewise-constant offsets for spans (sorted by start) under `video = ratio·t + offset`.
 *
 * @example
 * const { segments } = fitSplits(spokenSpans, scorer, 1, { maxOffset: 60, splitPenalty: 6, splitGridSize: 12001 });
 * segments; // [{ first: 0, offset: 2.5 }, { first: 14, offset: 22.5 }]: 20 s inserted before span 14
 */
export function fitSplits(spans: readonly Span[], scorer: SpeechScorer, ratio: number, opts: SplitOptions): SplitFit {
  const K = spans.length;
  if (K === 0) return { segments: [], score: 0 };
  const h = Math.max(scorer.step, (2 * opts.maxOffset) / Math.max(1, opts.splitGridSize - 1));
  const L = Math.floor((2 * opts.maxOffset) / h) + 1;
  const o0 = -opts.maxOffset;
  const cueScores = (i: number, out: Float64Array): void => {
    const a = ratio * spans[i].start;
    const b = ratio * spans[i].end;
    const gap = ratio * (spans[i].gap ?? 0);
    for (let k = 0; k < L; k++) {
      const o = o0 + k * h;
      out[k] = scorer.cue(a + o, b + o, gap);
    }
  };

  let prev = new Float64Array(L);
  let cur = new Float64Array(L);
  const scores = new Float64Array(L);
  cueScores(0, prev);
  const switched = new Uint8Array(K * L);
  const from = new Int32Array(K);
  for (let i = 1; i < K; i++) {
    let arg = 0;
    for (let k = 1; k < L; k++) if (prev[k] > prev[arg]) arg = k;
    from[i] = arg;
    const jump = prev[arg] - opts.splitPenalty;
    cueScores(i, scores);
    const row = i * L;
    for (let k = 0; k < L; k++) {
      if (jump > prev[k]) {
        cur[k] = scores[k] + jump;
        switched[row + k] = 1;
      } else {
        cur[k] = scores[k] + prev[k];
      }
    }
    [prev, cur] = [cur, prev];
  }
  let k = 0;
  for (let j = 1; j < L; j++) if (prev[j] > prev[k]) k = j;
  const grid = new Int32Array(K);
  for (let i = K - 1; i >= 0; i--) {
    grid[i] = k;
    if (i > 0 && switched[i * L + k]) k = from[i];
  }

  const segments: Segment[] = [];
  for (let i = 0; i < K; i++) {
    if (i === 0 || grid[i] !== grid[i - 1]) segments.push({ first: i, offset: o0 + grid[i] * h });
  }
  // Refine each piece on its own to a fifth of the curve's step.
  let score = 0;
  for (let s = 0; s < segments.length; s++) {
    const part = spans.slice(segments[s].first, s + 1 < segments.length ? segments[s + 1].first : K);
    let best = { offset: segments[s].offset, score: scorer.total(part, ratio, segments[s].offset) };
    const fine = scorer.step / 5;
    const n = Math.ceil(h / fine);
    for (let j = -n; j <= n; j++) {
      const offset = segments[s].offset + j * fine;
      const sc = scorer.total(part, ratio, offset);
      if (sc > best.score) best = { offset, score: sc };
    }
    segments[s].offset = best.offset;
    score += best.score;
  }
  return { segments, score };
}
