/**
 * Interval pairing for scene-mode frames: a scene frame stands for its whole shot, from its own time
 * to the next scene frame's, so each cue pairs with the shot it overlaps most, not with the frame
 * nearest its start (which leaves most cues of a long shot unpaired).
 */
import { InvalidOptionError } from '../../src/core/errors/index.js';
import type { Span } from './types.js';

/**
 * Shots from scene-frame times (ascending): shot i is [t_i, t_{i+1}), the last one runs to `duration`.
 *
 * @example
 * shotsFromFrames([0, 20, 40], 55); // [{start:0,end:20},{start:20,end:40},{start:40,end:55}]
 */
export function shotsFromFrames(times: readonly number[], duration: number): Span[] {
  for (let i = 1; i < times.length; i++) {
    if (!(times[i] >= times[i - 1])) throw new InvalidOptionError(`frames[${i}].time`, times[i], `a time >= the previous frame's (${times[i - 1]})`);
  }
  return times.map((t, i) => ({ start: t, end: i + 1 < times.length ? times[i + 1] : Math.max(t, duration) }));
}

export interface ShotPair {
  /** Position of the cue in the input array. */
  cue: number;
  /** Position of the shot it overlaps most (earlier on a tie), or null when it overlaps none. */
  shot: number | null;
  /** Seconds of overlap with that shot. */
  overlap: number;
}

/**
 * Pairs each cue with the shot it overlaps most. A zero-length cue pairs with the shot holding its
 * time. O((cues + shots) log shots).
 *
 * @example
 * pairCuesWithShots([{ start: 18, end: 25 }], shotsFromFrames([0, 20, 40], 60));
 * // [{ cue: 0, shot: 1, overlap: 5 }]
 */
export function pairCuesWithShots(cues: readonly Span[], shots: readonly Span[]): ShotPair[] {
  return cues.map((c, cue) => {
    // First shot whose end is after the cue's start.
    let lo = 0;
    let hi = shots.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (shots[mid].end <= c.start) lo = mid + 1;
      else hi = mid;
    }
    let shot: number | null = null;
    let overlap = 0;
    for (let s = lo; s < shots.length && shots[s].start <= c.end; s++) {
      const o = Math.min(c.end, shots[s].end) - Math.max(c.start, shots[s].start);
      const holds = c.end === c.start && shots[s].start <= c.start && c.start < shots[s].end;
      if (o > overlap || (shot === null && (o > 0 || holds))) {
        shot = s;
        overlap = Math.max(0, o);
      }
    }
    return { cue, shot, overlap };
  });
}
