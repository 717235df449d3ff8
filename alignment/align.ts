import { InvalidOptionError } from '../src/core/errors/index.js';
import { CUE_OFFSET_SECONDS, PAIR_THRESHOLD_SECONDS } from '../src/core/defaults.js';
import type { FrameRef } from '../src/core/types.js';

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
  /** Seconds added to every cue time before aligning: positive delays the cues, negative makes them earlier (use a negative value for subtitles that appear late). Default 0. */
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
  // A plain array sorts with a comparator several times faster than a typed array does in V8.
  const ranked = sortedIndices(rawStart);
  const order = Uint32Array.from(ranked);
  const start = new Float64Array(m);
  const end = new Float64Array(m);
  for (let r = 0; r < m; r++) {
    start[r] = rawStart[order[r]];
    end[r] = rawEnd[order[r]];
  }
  return { order, start, end };
}

/** Indices of `values` sorted by (value, index); skips the sort when they are already in order. */
function sortedIndices(values: Float64Array): number[] {
  const idx: number[] = new Array(values.length);
  let sorted = true;
  for (let i = 0; i < values.length; i++) {
    idx[i] = i;
    if (i > 0 && values[i] < values[i - 1]) sorted = false;
  }
  if (!sorted) idx.sort((a, b) => values[a] - values[b] || a - b);
  return idx;
}

/** Number of values in sorted `a[lo..hi)` that are <= x, plus lo. */
function upperBound(a: Float64Array, x: number, lo = 0, hi = a.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Number of values in sorted `a[lo..hi)` that are < x, plus lo. */
function lowerBound(a: Float64Array, x: number, lo = 0, hi = a.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Answers "how many of the sorted values are <= t" in O(1) expected time: a uniform grid over the
 * value range narrows the search to one bucket, searched linearly when short and by bisection
 * otherwise, so clustered values cost O(log k) at worst. Exact: bucket edges are stored, not recomputed.
 */
class SortedLookup {
  private readonly values: Float64Array;
  private readonly first: number;
  private readonly last: number;
  private readonly width: number;
  private readonly edges: Float64Array;
  private readonly countAtEdge: Uint32Array;
  private readonly buckets: number;

  constructor(values: Float64Array) {
    const k = values.length;
    this.values = values;
    this.first = k > 0 ? values[0] : 0;
    this.last = k > 0 ? values[k - 1] : 0;
    const range = this.last - this.first;
    this.buckets = k > 1 && range > 0 && Number.isFinite(range) ? k : 0;
    this.width = this.buckets > 0 ? range / this.buckets : 0;
    this.edges = new Float64Array(this.buckets + 1);
    this.countAtEdge = new Uint32Array(this.buckets + 1);
    let j = 0;
    for (let c = 0; c < this.buckets; c++) {
      const edge = this.first + c * this.width;
      this.edges[c] = edge;
      while (j < k && values[j] <= edge) j++;
      this.countAtEdge[c] = j;
    }
    this.edges[this.buckets] = Infinity;
    this.countAtEdge[this.buckets] = k;
  }

  countLE(t: number): number {
    const values = this.values;
    const k = values.length;
    if (k === 0 || t < this.first) return 0;
    if (t >= this.last) return k;
    if (this.buckets === 0) return upperBound(values, t);
    let c = Math.floor((t - this.first) / this.width);
    if (c >= this.buckets) c = this.buckets - 1;
    // Division can round across an edge; step back into the bucket whose [edge, next edge) holds t.
    while (c > 0 && t < this.edges[c]) c--;
    while (t >= this.edges[c + 1]) c++;
    let j = this.countAtEdge[c];
    const hi = this.countAtEdge[c + 1];
    if (hi - j > 8) return upperBound(values, t, j, hi);
    while (j < hi && values[j] <= t) j++;
    return j;
  }
}

/**
 * Pairs every frame with the cue nearest in time. The distance from a frame at t to a cue is 0 when
 * start <= t <= end, else the gap to the nearer end; a frame takes the cue at the smallest distance
 * if it is <= `threshold` (ties: earlier start, then lower cue index), else none. `offset` shifts all
 * cues first. Cues may overlap, nest and come in any order; so may frames.
 *
 * How: cues are sorted once by (start, index), which is also the tie-break order, and a running
 * maximum of their ends answers both "lowest-ranked cue containing t" and "latest cue ending before
 * t". Frames in time order (as samplers emit them) are then swept with two forward-only pointers,
 * O(n + m log m) in all; frames in any other order look their atom up in O(1) expected time, O(log m)
 * at worst. Distances are computed with the same float operations as a naive scan, so they match it.
 *
 * @example
 * alignByTimestamp([{ time: 0.2 }, { time: 5 }], [{ start: 0, end: 1 }], { threshold: 0.5 });
 * // [{ frame: 0, cue: 0, distance: 0 }, { frame: 1, cue: null, distance: null }]
 */
export function alignByTimestamp(
  frames: readonly FrameRef[],
  cues: readonly TimeSpan[],
  { threshold = PAIR_THRESHOLD_SECONDS, offset = CUE_OFFSET_SECONDS }: AlignOptions = {},
): FrameMatch[] {
  checkOptions(threshold, offset);
  const { cue, distance } = alignTimesTyped(frameTimes(frames), cues, { threshold, offset });
  const out: FrameMatch[] = new Array(cue.length);
  for (let i = 0; i < cue.length; i++) out[i] = cue[i] < 0 ? { frame: i, cue: null, distance: null } : { frame: i, cue: cue[i], distance: distance[i] };
  return out;
}

/** Result of {@link alignTimesTyped}: one slot per frame, in input order. */
export interface TypedFrameMatches {
  /** Input index of the paired cue, or -1 when unpaired. */
  cue: Int32Array;
  /** Distance to that cue in seconds, or NaN when unpaired. */
  distance: Float64Array;
}

/**
 * {@link alignByTimestamp} without one object per frame: frame times in, two typed arrays out.
 * Same rules and results; for millions of frames, where allocating result objects costs more than
 * the alignment itself.
 *
 * @example
 * const { cue, distance } = alignTimesTyped(new Float64Array([0.2, 5]), [{ start: 0, end: 1 }]);
 * // cue: Int32Array [0, -1], distance: Float64Array [0, NaN]
 */
export function alignTimesTyped(
  frameTimes: Float64Array | readonly number[],
  cues: readonly TimeSpan[],
  { threshold = PAIR_THRESHOLD_SECONDS, offset = CUE_OFFSET_SECONDS }: AlignOptions = {},
): TypedFrameMatches {
  checkOptions(threshold, offset);
  const times = frameTimes instanceof Float64Array ? frameTimes : Float64Array.from(frameTimes);
  for (let i = 0; i < times.length; i++) {
    if (!Number.isFinite(times[i])) throw new InvalidOptionError(`frames[${i}].time`, frameTimes[i], 'a finite number of seconds');
  }
  const { order, start, end } = sortCues(cues, offset);
  const m = start.length;
  // Running maximum of ends in rank order (non-decreasing, so it can be swept), and the lowest rank
  // reaching it: the tie winner among the latest-ending cues that started before a gap.
  const prefixMaxEnd = new Float64Array(m);
  const firstOfMax = new Int32Array(m);
  for (let r = 0; r < m; r++) {
    if (r === 0 || end[r] > prefixMaxEnd[r - 1]) {
      prefixMaxEnd[r] = end[r];
      firstOfMax[r] = r;
    } else {
      prefixMaxEnd[r] = prefixMaxEnd[r - 1];
      firstOfMax[r] = firstOfMax[r - 1];
    }
  }

  const ranked: RankedCues = { order, start, end, prefixMaxEnd, firstOfMax };
  const out: TypedFrameMatches = { cue: new Int32Array(times.length), distance: new Float64Array(times.length) };
  let sorted = true;
  for (let i = 1; i < times.length && sorted; i++) sorted = times[i] >= times[i - 1];
  if (sorted) sweepSortedFrames(times, ranked, threshold, out);
  else lookupEachFrame(times, ranked, threshold, out);
  return out;
}

/** Cues in tie-break order with the running maximum of their ends (see alignByTimestamp). */
interface RankedCues {
  order: Uint32Array;
  start: Float64Array;
  end: Float64Array;
  /** Max end over ranks 0..r: non-decreasing, so "first rank whose end reaches t" is a search or a sweep. */
  prefixMaxEnd: Float64Array;
  /** Lowest rank reaching prefixMaxEnd[r]: the tie winner among the latest-ending cues so far. */
  firstOfMax: Int32Array;
}

/** Writes frame i's result; a cue before t wins a tie with one after it because it starts earlier. */
function pick(i: number, t: number, inside: number, before: number, after: number, c: RankedCues, threshold: number, out: TypedFrameMatches): void {
  let best = inside;
  let dist = 0;
  if (best < 0) {
    dist = Infinity;
    if (before >= 0) {
      best = before;
      dist = t - c.end[before];
    }
    if (after >= 0 && c.start[after] - t < dist) {
      best = after;
      dist = c.start[after] - t;
    }
  }
  if (best >= 0 && dist <= threshold) {
    out.cue[i] = c.order[best];
    out.distance[i] = dist;
  } else {
    out.cue[i] = -1;
    out.distance[i] = NaN;
  }
}

/**
 * Frames in time order (what a frame sampler produces): both pointers only move forward, so the
 * whole pass is O(n + m) after the cue sort.
 */
function sweepSortedFrames(times: Float64Array, c: RankedCues, threshold: number, out: TypedFrameMatches): void {
  const { start, prefixMaxEnd, firstOfMax } = c;
  const m = start.length;
  let p = 0; // ranks [0, p) start at or before t
  let q = 0; // first rank whose running max end reaches t
  for (let i = 0; i < times.length; i++) {
    const t = times[i];
    while (p < m && start[p] <= t) p++;
    while (q < m && prefixMaxEnd[q] < t) q++;
    if (q < p) pick(i, t, q, -1, -1, c, threshold, out);
    else pick(i, t, -1, p > 0 ? firstOfMax[p - 1] : -1, p < m ? p : -1, c, threshold, out);
  }
}

/**
 * Frames in any order. The cue starts and ends cut the time line into atoms (each boundary point,
 * each open gap between two); within an atom the containing winner, or the two candidates either
 * side of a gap, never change, so one sweep computes them all. Each frame then only finds its atom:
 * O(1) expected through a bucket grid, O(log m) at worst.
 */
function lookupEachFrame(times: Float64Array, c: RankedCues, threshold: number, out: TypedFrameMatches): void {
  const { start, end, prefixMaxEnd, firstOfMax } = c;
  const m = start.length;
  // Distinct boundaries B[0..k). Atom 2j is the open gap (B[j-1], B[j]); atom 2j+1 is the point B[j].
  const all = new Float64Array(2 * m);
  all.set(start);
  all.set(end, m);
  all.sort();
  let k = 0;
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[k - 1]) all[k++] = all[i];
  const bounds = all.subarray(0, k);

  // Per atom: the containing winner (rank, or -1), else the candidate ending before it (-1: none)
  // and the one starting after it (-1: none). Both pointers only move forward as atoms advance.
  const atoms = 2 * k + 1;
  const inside = new Int32Array(atoms);
  const before = new Int32Array(atoms);
  const after = new Int32Array(atoms);
  let p = 0; // ranks [0, p) start at or before the atom
  let q = 0; // first rank whose running max end reaches the atom's upper bound
  for (let a = 0; a < atoms; a++) {
    const j = a >> 1;
    const isPoint = (a & 1) === 1;
    // Starts <= any t in the atom: those <= B[j] for a point, <= B[j-1] for the gap before B[j].
    if (isPoint) while (p < m && start[p] <= bounds[j]) p++;
    // t in the atom reaches E >= t iff E >= B[j] (no boundary lies strictly inside a gap).
    if (j < k) while (q < m && prefixMaxEnd[q] < bounds[j]) q++;
    else q = m;
    if (q < p) {
      inside[a] = q;
      before[a] = -1;
      after[a] = -1;
    } else {
      inside[a] = -1;
      before[a] = p > 0 ? firstOfMax[p - 1] : -1;
      after[a] = p < m ? p : -1;
    }
  }

  const lookup = new SortedLookup(bounds);
  for (let i = 0; i < times.length; i++) {
    const t = times[i];
    const j = lookup.countLE(t);
    const a = j > 0 && bounds[j - 1] === t ? 2 * j - 1 : 2 * j;
    pick(i, t, inside[a], before[a], after[a], c, threshold, out);
  }
}

/**
 * The other direction: for each cue (input order), the frames that belong to it. With the default
 * mode that is every frame inside the cue, or when none is, the single nearest frame within
 * `threshold` (ties: earlier time, then lower frame index). See {@link CueFramesMode}.
 *
 * @example
 * framesForCues([{ time: 0 }, { time: 1 }, { time: 2 }], [{ start: 0.5, end: 2 }, { start: 3.2, end: 4 }], { threshold: 1.5 });
 * // [{ cue: 0, frames: [1, 2], distance: 0 }, { cue: 1, frames: [2], distance: 1.2000000000000002 }]
 */
export function framesForCues(
  frames: readonly FrameRef[],
  cues: readonly TimeSpan[],
  { threshold = PAIR_THRESHOLD_SECONDS, offset = CUE_OFFSET_SECONDS, mode = 'inside-or-nearest' }: FramesForCuesOptions = {},
): CueFrames[] {
  checkOptions(threshold, offset);
  if (!CUE_FRAMES_MODES.includes(mode)) throw new InvalidOptionError('mode', mode, `one of ${CUE_FRAMES_MODES.join(', ')}`);
  const raw = frameTimes(frames);
  const n = raw.length;
  const order = Uint32Array.from(sortedIndices(raw));
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
