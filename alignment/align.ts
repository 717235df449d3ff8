import { InvalidOptionError } from '../src/errors.js';
import type { FrameRef } from '../src/types.js';

/** A cue as alignment sees it: only its time span matters. Times in seconds. */
export interface TimeSpan {
  start: number;
  end: number;
}

/** The cue a frame was paired with. `frame` and `cue` are input array indices; `cue` is `null` when unpaired. */
export interface FrameMatch {
  frame: number;
  cue: number | null;
  /** Seconds between the frame and the cue (0 inside it); `null` when unpaired. */
  distance: number | null;
}

/** The frames a cue was paired with (`frames` are input indices, ascending). */
export interface CueFrames {
  cue: number;
  frames: number[];
  /** 0 when frames lie inside the cue, the gap to the nearest frame otherwise, `null` when none. */
  distance: number | null;
}

export interface AlignOptions {
  /** Largest frame-to-cue distance, in seconds, that still pairs them. Default 0.5. */
  threshold?: number;
  /** Seconds added to every cue time before aligning (positive = subtitles are late). Default 0. */
  offset?: number;
}

/**
 * How {@link framesForCues} picks frames for a cue:
 * - `inside-or-nearest`: every frame inside the cue; if none, the nearest within the threshold.
 * - `inside`: only frames inside the cue (possibly none).
 * - `middle`: one frame, the one inside nearest the cue's midpoint; if none inside, the nearest within the threshold.
 */
export type CueFramesMode = 'inside-or-nearest' | 'inside' | 'middle';
export const CUE_FRAMES_MODES: readonly CueFramesMode[] = Object.freeze(['inside-or-nearest', 'inside', 'middle'] as const);

export interface FramesForCuesOptions extends AlignOptions {
  mode?: CueFramesMode;
}

function checkOptions(threshold: number, offset: number): void {
  if (typeof threshold !== 'number' || Number.isNaN(threshold) || threshold < 0) {
    throw new InvalidOptionError('threshold', threshold, 'a number of seconds >= 0 (Infinity pairs every frame)');
  }
  if (typeof offset !== 'number' || !Number.isFinite(offset)) {
    throw new InvalidOptionError('offset', offset, 'a finite number of seconds');
  }
}

function frameTimes(frames: readonly FrameRef[]): Float64Array {
  const times = new Float64Array(frames.length);
  for (let i = 0; i < frames.length; i++) {
    const t = frames[i]?.time;
    if (typeof t !== 'number' || !Number.isFinite(t)) throw new InvalidOptionError(`frames[${i}].time`, t, 'a finite number of seconds');
    times[i] = t;
  }
  return times;
}

/**
 * Cues shifted by the offset and sorted by (start, input index): that order *is* the tie-break
 * priority, so "lowest rank" answers "earlier start, then lower index" everywhere below.
 */
interface SortedCues {
  order: Uint32Array; // rank -> input index
  start: Float64Array; // by rank
  end: Float64Array; // by rank
}

function sortCues(cues: readonly TimeSpan[], offset: number): SortedCues {
  const m = cues.length;
  const rawStart = new Float64Array(m);
  const rawEnd = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    const c = cues[j];
    const s = c?.start;
    const e = c?.end;
    if (typeof s !== 'number' || !Number.isFinite(s)) throw new InvalidOptionError(`cues[${j}].start`, s, 'a finite number of seconds');
    if (typeof e !== 'number' || !Number.isFinite(e) || e < s) throw new InvalidOptionError(`cues[${j}].end`, e, `a finite number of seconds >= start (${s})`);
    // Same expression as a naive scan would use, so distances match it bit for bit.
    rawStart[j] = s + offset;
    rawEnd[j] = e + offset;
  }
  const order = new Uint32Array(m);
  for (let j = 0; j < m; j++) order[j] = j;
  order.sort((a, b) => rawStart[a] - rawStart[b] || a - b);
  const start = new Float64Array(m);
  const end = new Float64Array(m);
  for (let r = 0; r < m; r++) {
    start[r] = rawStart[order[r]];
    end[r] = rawEnd[order[r]];
  }
  return { order, start, end };
}

/** Number of values in sorted `a` that are <= x. */
function upperBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Number of values in sorted `a` that are < x. */
function lowerBound(a: Float64Array, x: number, lo = 0, hi = a.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Pairs every frame with the cue nearest in time. The distance from a frame at t to a cue is 0 when
 * start <= t <= end, else the gap to the nearer end; a frame takes the cue at the smallest distance
 * if it is <= `threshold` (ties: earlier start, then lower cue index), else none. `offset` shifts all
 * cues first. Cues may overlap, nest and come in any order.
 *
 * Runs in O((n + m) log m): cues are sorted once; a running maximum of cue ends over that order
 * answers "first cue (in tie order) that contains t" and "latest-ending cue before t" by binary search.
 *
 * @example
 * alignByTimestamp([{ time: 0.2 }, { time: 5 }], [{ start: 0, end: 1 }], { threshold: 0.5 });
 * // [{ frame: 0, cue: 0, distance: 0 }, { frame: 1, cue: null, distance: null }]
 */
export function alignByTimestamp(
  frames: readonly FrameRef[],
  cues: readonly TimeSpan[],
  { threshold = 0.5, offset = 0 }: AlignOptions = {},
): FrameMatch[] {
  checkOptions(threshold, offset);
  const times = frameTimes(frames);
  const { order, start, end } = sortCues(cues, offset);
  const m = start.length;
  // prefixMaxEnd[r] = max end over ranks 0..r (non-decreasing, so it can be binary-searched);
  // firstOfMax[r] = lowest rank reaching that maximum, i.e. the tie winner among latest-ending cues.
  const prefixMaxEnd = new Float64Array(m);
  const firstOfMax = new Uint32Array(m);
  for (let r = 0; r < m; r++) {
    if (r === 0 || end[r] > prefixMaxEnd[r - 1]) {
      prefixMaxEnd[r] = end[r];
      firstOfMax[r] = r;
    } else {
      prefixMaxEnd[r] = prefixMaxEnd[r - 1];
      firstOfMax[r] = firstOfMax[r - 1];
    }
  }

  const out: FrameMatch[] = new Array(times.length);
  for (let i = 0; i < times.length; i++) {
    const t = times[i];
    const p = upperBound(start, t); // ranks [0, p) start at or before t
    let best = -1;
    let dist = Infinity;
    if (p > 0) {
      const r = lowerBound(prefixMaxEnd, t, 0, p);
      if (r < p) {
        best = r; // lowest rank whose end reaches t while its start is <= t: it contains t
        dist = 0;
      } else {
        best = firstOfMax[p - 1];
        dist = t - prefixMaxEnd[p - 1];
      }
    }
    // A cue starting after t can only win on a strictly smaller gap: any cue before t starts earlier.
    if (dist > 0 && p < m) {
      const d = start[p] - t;
      if (d < dist) {
        best = p;
        dist = d;
      }
    }
    out[i] = best >= 0 && dist <= threshold ? { frame: i, cue: order[best], distance: dist } : { frame: i, cue: null, distance: null };
  }
  return out;
}

/**
 * The other direction: for each cue (input order), the frames that belong to it. With the default
 * mode that is every frame inside the cue, or when none is, the single nearest frame within
 * `threshold` (ties: earlier time, then lower frame index). See {@link CueFramesMode}.
 *
 * @example
 * framesForCues([{ time: 0 }, { time: 1 }, { time: 2 }], [{ start: 0.5, end: 2 }, { start: 3.2, end: 4 }]);
 * // [{ cue: 0, frames: [1, 2], distance: 0 }, { cue: 1, frames: [2], distance: 1.2000000000000002 }]
 */
export function framesForCues(
  frames: readonly FrameRef[],
  cues: readonly TimeSpan[],
  { threshold = 0.5, offset = 0, mode = 'inside-or-nearest' }: FramesForCuesOptions = {},
): CueFrames[] {
  checkOptions(threshold, offset);
  if (!CUE_FRAMES_MODES.includes(mode)) throw new InvalidOptionError('mode', mode, `one of ${CUE_FRAMES_MODES.join(', ')}`);
  const raw = frameTimes(frames);
  const n = raw.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => raw[a] - raw[b] || a - b);
  const t = new Float64Array(n);
  for (let k = 0; k < n; k++) t[k] = raw[order[k]];
  // Frames sorted by (time, index); when input was already in time order the ranks are the indices.
  let identity = true;
  for (let k = 0; k < n && identity; k++) identity = order[k] === k;

  const out: CueFrames[] = new Array(cues.length);
  for (let j = 0; j < cues.length; j++) {
    const c = cues[j];
    const cs = c?.start;
    const ce = c?.end;
    if (typeof cs !== 'number' || !Number.isFinite(cs)) throw new InvalidOptionError(`cues[${j}].start`, cs, 'a finite number of seconds');
    if (typeof ce !== 'number' || !Number.isFinite(ce) || ce < cs) throw new InvalidOptionError(`cues[${j}].end`, ce, `a finite number of seconds >= start (${cs})`);
    const s = cs + offset;
    const e = ce + offset;
    const lo = lowerBound(t, s);
    const hi = upperBound(t, e);
    if (hi > lo) {
      switch (mode) {
        case 'inside':
        case 'inside-or-nearest': {
          const picked = identity ? Array.from({ length: hi - lo }, (_, k) => lo + k) : Array.from(order.subarray(lo, hi)).sort((a, b) => a - b);
          out[j] = { cue: j, frames: picked, distance: 0 };
          break;
        }
        case 'middle': {
          const mid = s + (e - s) / 2;
          let k = lowerBound(t, mid, lo, hi); // first frame at or after the midpoint
          // Nearest to the midpoint; on a tie the earlier frame, and of equal times the lowest index.
          if (k === hi || (k > lo && mid - t[k - 1] <= t[k] - mid)) k -= 1;
          const pick = lowerBound(t, t[k], lo, k + 1);
          out[j] = { cue: j, frames: [order[pick]], distance: 0 };
          break;
        }
        default:
          throw new InvalidOptionError('mode', mode satisfies never, `one of ${CUE_FRAMES_MODES.join(', ')}`);
      }
      continue;
    }
    if (mode === 'inside') {
      out[j] = { cue: j, frames: [], distance: null };
      continue;
    }
    // No frame inside: lo === hi; the candidates are the last frame before s and the first after e.
    let pick = -1;
    let dist = Infinity;
    if (lo > 0) {
      dist = s - t[lo - 1];
      pick = lowerBound(t, t[lo - 1], 0, lo); // first of its equal-time run = lowest index
    }
    if (lo < n && t[lo] - e < dist) {
      dist = t[lo] - e;
      pick = lo;
    }
    out[j] = pick >= 0 && dist <= threshold ? { cue: j, frames: [order[pick]], distance: dist } : { cue: j, frames: [], distance: null };
  }
  return out;
}
