/** Applying a mapping (`video = ratio·sub + offset`, piecewise by splits) to times and cues. */
import type { Cue } from '../../src/core/types.js';
import { isSpokenText } from './cues.js';
import type { Segment } from './splits.js';
import type { Span, SyncedCue, SyncMapping, SyncSplit } from './types.js';

/** The part of a mapping that moves times. */
export type TimeMapping = Pick<SyncMapping, 'offset' | 'ratio' | 'splits'>;

/** The identity: ratio 1, offset 0, no split (a fresh object each call, so callers may change it). */
export function identityMapping(): TimeMapping {
  return { offset: 0, ratio: 1, splits: [] };
}

/**
 * Where each segment begins, in original subtitle time: halfway through the gap before its first
 * cue (or at that cue's start when the two cues overlap).
 *
 * @example
 * splitsFromSegments(spans, [{ first: 0, offset: 1 }, { first: 5, offset: 21 }]);
 * // { offset: 1, splits: [{ at: 30.2, offset: 21 }] }
 */
export function splitsFromSegments(spans: readonly Span[], segments: readonly Segment[]): { offset: number; splits: SyncSplit[] } {
  const splits = segments.slice(1).map((s) => {
    const prevEnd = spans[s.first - 1].end;
    const start = spans[s.first].start;
    return { at: prevEnd <= start ? (prevEnd + start) / 2 : start, offset: s.offset };
  });
  return { offset: segments[0]?.offset ?? 0, splits };
}

/** The offset that applies at original time `t`. */
export function offsetAt(mapping: TimeMapping, t: number): number {
  let offset = mapping.offset;
  for (const s of mapping.splits) {
    if (t >= s.at) offset = s.offset;
    else break;
  }
  return offset;
}

/**
 * Maps one original subtitle time to video time.
 *
 * @example
 * mapTime({ offset: 2, ratio: 1, splits: [{ at: 60, offset: 22 }] }, 61); // 83
 */
export function mapTime(mapping: TimeMapping, t: number): number {
  return mapping.ratio * t + offsetAt(mapping, t);
}

/** Largest distance any of the given times moves under the mapping, seconds. */
export function largestShift(mapping: TimeMapping, times: readonly number[]): number {
  let m = 0;
  for (const t of times) m = Math.max(m, Math.abs(mapTime(mapping, t) - t));
  return m;
}

/**
 * Moves cues by a mapping; a cue keeps its length × ratio and the offset of its start (so a cue is
 * never torn across a split). Times are rounded to the millisecond; cues that land wholly before 0 are
 * dropped (a subtitle file cannot hold them), those that straddle 0 start at 0.
 *
 * @example
 * applyMapping(doc.cues, { offset: -3, ratio: 1, splits: [] }).cues[0].start; // 3 s earlier
 */
export function applyMapping(cues: readonly Cue[], mapping: TimeMapping): { cues: SyncedCue[]; dropped: number } {
  const out: SyncedCue[] = [];
  let dropped = 0;
  const ms = (t: number) => Math.round(t * 1000) / 1000;
  for (const c of cues) {
    const offset = offsetAt(mapping, c.start);
    const end = ms(mapping.ratio * c.end + offset);
    if (end <= 0 && c.end > 0) {
      dropped++;
      continue;
    }
    const start = Math.max(0, ms(mapping.ratio * c.start + offset));
    out.push({ ...c, start, end: Math.max(start, end), originalStart: c.start, originalEnd: c.end, spoken: isSpokenText(c.text) });
  }
  return { cues: out, dropped };
}
