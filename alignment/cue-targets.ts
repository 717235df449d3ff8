/**
 * Cue-mode timestamp alignment: the instants at which each cue wants a frame, and the pairing of
 * sampled frames with the cues whose targets picked them. Pure maths on times; the frame sampler
 * (src/pipeline/frames/) turns the targets into an ffmpeg selection.
 */
import type { FrameMatch, TimeSpan } from './align.js';

/**
 * Seconds, at millisecond precision, at which cue mode wants a frame (before snapping to real frames).
 * Each cue is first clamped to the video, [0, `duration`), so a cue running past the end still gets
 * frames from the part that is shown; a cue wholly outside gets none.
 *
 * @example
 * cueTargets([{ start: 0, end: 3 }], 3); // [0.5, 1.5, 2.5]
 * cueTargets([{ start: 15, end: 22 }], 1, 18); // [16.5]
 */
export function cueTargets(cues: readonly TimeSpan[], perCue: number, duration = Infinity): number[] {
  const out: number[] = [];
  for (const c of cues) {
    const start = Math.max(c.start, 0);
    const end = Math.min(c.end, duration);
    // Clamped to nothing: outside the video. A zero-length cue inside it still gets its instant.
    if (start >= duration || end < start || (end === start && c.end > c.start)) continue;
    const span = end - start;
    for (let i = 0; i < perCue; i++) {
      const t = Math.round((start + ((i + 0.5) * span) / perCue) * 1000) / 1000;
      if (t < duration) out.push(t);
    }
  }
  return [...new Set(out)].sort((a, b) => a - b);
}

/**
 * Cue-mode pairing by construction: each cue is paired with the frames its targets selected (the
 * first frame at or after each target, as the sampler picks them), within `threshold`. A frame hit
 * by targets of several cues serves each of them; a frame no target hit is listed unpaired. Matches
 * come frame by frame, in frame order, then cue order. `cue` and `frame` are input indices.
 *
 * @example
 * matchCueTargets([{ time: 1 }, { time: 2.04 }], [{ start: 1, end: 3 }], 1, 10, 0.5);
 * // [{ frame: 0, cue: null, distance: null }, { frame: 1, cue: 0, distance: 0 }]
 */
export function matchCueTargets(
  frames: readonly { time: number }[],
  cues: readonly TimeSpan[],
  perCue: number,
  duration: number,
  threshold: number,
): FrameMatch[] {
  const order = frames.map((_, i) => i).sort((a, b) => frames[a].time - frames[b].time);
  // Frame times are rounded to the microsecond, targets to the millisecond: allow for the rounding.
  const firstAtOrAfter = (t: number): number | null => {
    let lo = 0;
    let hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (frames[order[mid]].time < t - 1e-6) lo = mid + 1;
      else hi = mid;
    }
    return lo < order.length ? order[lo] : null;
  };
  const cuesOf = new Map<number, Set<number>>();
  cues.forEach((c, ci) => {
    // The same targets the sampler looked for: each cue clipped to the video first.
    for (const t of cueTargets([c], perCue, duration)) {
      if (!(t >= 0 && t < duration)) continue;
      const f = firstAtOrAfter(t);
      if (f === null) continue;
      const set = cuesOf.get(f) ?? new Set<number>();
      cuesOf.set(f, set.add(ci));
    }
  });
  const out: FrameMatch[] = [];
  frames.forEach((frame, fi) => {
    let paired = false;
    for (const ci of [...(cuesOf.get(fi) ?? [])].sort((a, b) => a - b)) {
      const c = cues[ci];
      const distance = frame.time < c.start ? c.start - frame.time : frame.time > c.end ? frame.time - c.end : 0;
      if (distance > threshold) continue;
      out.push({ frame: fi, cue: ci, distance });
      paired = true;
    }
    if (!paired) out.push({ frame: fi, cue: null, distance: null });
  });
  return out;
}
