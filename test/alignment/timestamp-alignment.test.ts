import { describe, expect, it } from 'vitest';
import { alignByTimestamp, alignTimesTyped, framesForCues, InvalidOptionError, type CueFrames, type FrameMatch } from 'mmalign';
import { mulberry32 } from '../../src/core/random.js';

type Span = { start: number; end: number };
type Frame = { time: number };

// ------------------------------------------------------------------------------------------------
// Brute-force references: a direct reading of the rules, one frame (or cue) at a time.

function distance(t: number, s: number, e: number): number {
  return t < s ? s - t : t > e ? t - e : 0;
}

function referenceAlign(frames: readonly Frame[], cues: readonly Span[], threshold: number, offset: number): FrameMatch[] {
  return frames.map((f, i) => {
    let best: number | null = null;
    let bestD = Infinity;
    cues.forEach((c, j) => {
      const s = c.start + offset;
      const d = distance(f.time, s, c.end + offset);
      const better = best === null || d < bestD || (d === bestD && (s < cues[best].start + offset || (s === cues[best].start + offset && j < best)));
      if (better) {
        best = j;
        bestD = d;
      }
    });
    return best !== null && bestD <= threshold ? { frame: i, cue: best, distance: bestD } : { frame: i, cue: null, distance: null };
  });
}

function referenceFramesForCues(frames: readonly Frame[], cues: readonly Span[], threshold: number, offset: number, mode: string): CueFrames[] {
  return cues.map((c, j) => {
    const s = c.start + offset;
    const e = c.end + offset;
    const inside = frames.map((f, i) => i).filter((i) => frames[i].time >= s && frames[i].time <= e);
    if (inside.length > 0) {
      if (mode !== 'middle') return { cue: j, frames: inside, distance: 0 };
      const mid = s + (e - s) / 2;
      const best = inside.reduce((a, b) => {
        const da = Math.abs(frames[a].time - mid);
        const db = Math.abs(frames[b].time - mid);
        return db < da || (db === da && (frames[b].time < frames[a].time || (frames[b].time === frames[a].time && b < a))) ? b : a;
      });
      return { cue: j, frames: [best], distance: 0 };
    }
    if (mode === 'inside') return { cue: j, frames: [], distance: null };
    let best = -1;
    let bestD = Infinity;
    frames.forEach((f, i) => {
      const d = f.time < s ? s - f.time : f.time - e;
      if (d < bestD || (d === bestD && (f.time < frames[best].time || (f.time === frames[best].time && i < best)))) {
        best = i;
        bestD = d;
      }
    });
    return best >= 0 && bestD <= threshold ? { cue: j, frames: [best], distance: bestD } : { cue: j, frames: [], distance: null };
  });
}

/** The project's seeded PRNG (mulberry32): the same seed gives the same sequence on every machine. */
const prng: (seed: number) => () => number = mulberry32;

/** Random case with coarse times (many exact ties), identical, nested and overlapping cues. */
function randomCase(rand: () => number): { frames: Frame[]; cues: Span[]; threshold: number; offset: number } {
  const coarse = rand() < 0.6; // quarter-second grid makes ties and touching ends common
  const time = (): number => (coarse ? Math.floor(rand() * 80) / 4 : rand() * 20);
  const m = Math.floor(rand() * 12);
  const cues: Span[] = [];
  for (let j = 0; j < m; j++) {
    const r = rand();
    if (r < 0.15 && cues.length > 0) {
      cues.push({ ...cues[Math.floor(rand() * cues.length)] }); // identical
    } else if (r < 0.3 && cues.length > 0) {
      const outer = cues[Math.floor(rand() * cues.length)]; // nested inside another
      const a = outer.start + (outer.end - outer.start) * rand();
      cues.push({ start: a, end: a + (outer.end - a) * rand() });
    } else {
      const s = time();
      cues.push({ start: s, end: s + (rand() < 0.1 ? 0 : coarse ? Math.floor(rand() * 16) / 4 : rand() * 4) });
    }
  }
  const n = Math.floor(rand() * 15);
  const frames = Array.from({ length: n }, () => ({ time: rand() < 0.2 && cues.length > 0 ? cues[Math.floor(rand() * cues.length)].end : time() }));
  // Half the cases in time order, as a frame sampler emits them (the sweep path), half shuffled.
  if (rand() < 0.5) frames.sort((a, b) => a.time - b.time);
  const threshold = [0, 0.25, 0.5, 1, 3, Infinity][Math.floor(rand() * 6)];
  const offset = rand() < 0.5 ? 0 : coarse ? Math.floor(rand() * 16 - 8) / 4 : rand() * 6 - 3;
  return { frames, cues, threshold, offset };
}

// ------------------------------------------------------------------------------------------------

describe('alignByTimestamp', () => {
  it('pairs a frame inside a cue with it at distance 0', () => {
    expect(alignByTimestamp([{ time: 1.5 }], [{ start: 1, end: 2 }])).toEqual([{ frame: 0, cue: 0, distance: 0 }]);
  });

  it('counts both cue ends as inside', () => {
    const r = alignByTimestamp([{ time: 1 }, { time: 2 }], [{ start: 1, end: 2 }], { threshold: 0 });
    expect(r.map((m) => m.distance)).toEqual([0, 0]);
  });

  it('measures the gap to the nearer end of a cue the frame is outside of', () => {
    const r = alignByTimestamp([{ time: 0.75 }, { time: 2.25 }], [{ start: 1, end: 2 }]);
    expect(r).toEqual([
      { frame: 0, cue: 0, distance: 0.25 },
      { frame: 1, cue: 0, distance: 0.25 },
    ]);
  });

  it('leaves a frame unpaired when the nearest cue is beyond the threshold', () => {
    expect(alignByTimestamp([{ time: 5 }], [{ start: 1, end: 2 }], { threshold: 2.5 })).toEqual([{ frame: 0, cue: null, distance: null }]);
  });

  it('pairs a frame exactly at the threshold distance', () => {
    expect(alignByTimestamp([{ time: 4 }], [{ start: 1, end: 2 }], { threshold: 2 })[0].cue).toBe(0);
  });

  it('picks the nearer of two cues', () => {
    const r = alignByTimestamp([{ time: 3 }], [{ start: 0, end: 2.5 }, { start: 3.25, end: 4 }]);
    expect(r[0]).toEqual({ frame: 0, cue: 1, distance: 0.25 });
  });

  it('breaks a distance tie in favour of the cue that starts earlier', () => {
    const r = alignByTimestamp([{ time: 3 }], [{ start: 3.5, end: 4 }, { start: 1, end: 2.5 }]);
    expect(r[0].cue).toBe(1);
  });

  it('breaks a tie between cues with the same start in favour of the lower input index', () => {
    const r = alignByTimestamp([{ time: 1.5 }], [{ start: 1, end: 3 }, { start: 1, end: 2 }, { start: 1, end: 2 }]);
    expect(r[0].cue).toBe(0);
  });

  it('gives a frame inside nested cues the outer cue when it starts earlier', () => {
    const r = alignByTimestamp([{ time: 2.5 }], [{ start: 2, end: 3 }, { start: 1, end: 5 }]);
    expect(r[0]).toEqual({ frame: 0, cue: 1, distance: 0 });
  });

  it('finds a containing cue that started long before later, shorter cues', () => {
    const cues = [{ start: 0, end: 100 }, ...Array.from({ length: 50 }, (_, k) => ({ start: 1 + k, end: 1.5 + k }))];
    expect(alignByTimestamp([{ time: 60.7 }], cues)[0]).toEqual({ frame: 0, cue: 0, distance: 0 });
  });

  it('shifts every cue by the offset before measuring', () => {
    const r = alignByTimestamp([{ time: 3.5 }], [{ start: 1, end: 2 }], { offset: 1.5, threshold: 0 });
    expect(r[0]).toEqual({ frame: 0, cue: 0, distance: 0 });
  });

  it('accepts a negative offset for subtitles that run early', () => {
    const r = alignByTimestamp([{ time: 0.5 }], [{ start: 10, end: 11 }], { offset: -10, threshold: 0 });
    expect(r[0].cue).toBe(0);
  });

  it('returns one result per frame in input order even when frames are unsorted', () => {
    const r = alignByTimestamp([{ time: 9 }, { time: 1 }, { time: 5 }], [{ start: 0, end: 2 }, { start: 8, end: 10 }]);
    expect(r.map((m) => [m.frame, m.cue])).toEqual([
      [0, 1],
      [1, 0],
      [2, null],
    ]);
  });

  it('returns unpaired frames when there are no cues, and nothing for no frames', () => {
    expect(alignByTimestamp([{ time: 1 }], [])).toEqual([{ frame: 0, cue: null, distance: null }]);
    expect(alignByTimestamp([], [{ start: 0, end: 1 }])).toEqual([]);
  });

  it('rejects a negative threshold eagerly, even with no frames', () => {
    expect(() => alignByTimestamp([], [], { threshold: -1 })).toThrow(InvalidOptionError);
  });

  it('rejects a NaN threshold or offset', () => {
    expect(() => alignByTimestamp([], [], { threshold: Number.NaN })).toThrow(InvalidOptionError);
    expect(() => alignByTimestamp([], [], { offset: Number.NaN })).toThrow(InvalidOptionError);
  });

  it('rejects a cue that ends before it starts, naming it', () => {
    expect(() => alignByTimestamp([{ time: 1 }], [{ start: 0, end: 1 }, { start: 3, end: 2 }])).toThrow(/cues\[1\]\.end/);
  });

  it('rejects a frame whose time is not a finite number, naming it', () => {
    expect(() => alignByTimestamp([{ time: 1 }, { time: Number.NaN }], [{ start: 0, end: 1 }])).toThrow(/frames\[1\]\.time/);
  });

  it('matches a brute-force scan on 3000 random cases with overlaps, nesting, duplicates, ties and offsets', () => {
    const rand = prng(20261201);
    let paired = 0;
    let ties = 0;
    for (let k = 0; k < 3000; k++) {
      const { frames, cues, threshold, offset } = randomCase(rand);
      const expected = referenceAlign(frames, cues, threshold, offset);
      expect(alignByTimestamp(frames, cues, { threshold, offset }), `case ${k}`).toEqual(expected);
      paired += expected.filter((m) => m.cue !== null).length;
      ties += cues.length - new Set(cues.map((c) => c.start)).size;
    }
    // The generator must actually exercise pairing and equal starts, or the comparison proves little.
    expect(paired).toBeGreaterThan(5000);
    expect(ties).toBeGreaterThan(1000);
  });
});

describe('alignByTimestamp on larger inputs', () => {
  it('matches a brute-force scan when cues cluster tightly between far-apart outliers (crowded lookup buckets)', () => {
    const rand = prng(4242);
    for (let k = 0; k < 40; k++) {
      // 300 cues packed into one second, plus two far away: most lookup buckets are empty, one is crowded.
      const cues = Array.from({ length: 300 }, () => {
        const s = 500 + Math.floor(rand() * 1000) / 1000;
        return { start: s, end: s + Math.floor(rand() * 50) / 1000 };
      });
      cues.push({ start: 0, end: 0.5 }, { start: 10_000, end: 10_001 });
      const frames = Array.from({ length: 400 }, () => ({ time: rand() < 0.8 ? 499.9 + Math.floor(rand() * 1200) / 1000 : rand() * 10_002 }));
      const threshold = [0, 0.001, 0.5, Infinity][k % 4];
      expect(alignByTimestamp(frames, cues, { threshold }), `case ${k}`).toEqual(referenceAlign(frames, cues, threshold, 0));
      const inOrder = [...frames].sort((a, b) => a.time - b.time);
      expect(alignByTimestamp(inOrder, cues, { threshold }), `sorted case ${k}`).toEqual(referenceAlign(inOrder, cues, threshold, 0));
    }
  });
});

describe('alignTimesTyped', () => {
  it('returns cue indices and distances as typed arrays, -1 and NaN when unpaired', () => {
    const r = alignTimesTyped(new Float64Array([0.2, 5, 1.25]), [{ start: 0, end: 1 }]);
    expect(Array.from(r.cue)).toEqual([0, -1, 0]);
    expect(Array.from(r.distance)).toEqual([0, Number.NaN, 0.25]);
  });

  it('accepts a plain array of times and rejects a non-finite one', () => {
    expect(Array.from(alignTimesTyped([3], [{ start: 3, end: 4 }]).cue)).toEqual([0]);
    expect(() => alignTimesTyped([0, Number.POSITIVE_INFINITY], [])).toThrow(/frames\[1\]\.time/);
  });

  it('agrees with the brute-force scan on 1000 random cases', () => {
    const rand = prng(77);
    for (let k = 0; k < 1000; k++) {
      const { frames, cues, threshold, offset } = randomCase(rand);
      const r = alignTimesTyped(frames.map((f) => f.time), cues, { threshold, offset });
      const expected = referenceAlign(frames, cues, threshold, offset);
      expect(Array.from(r.cue), `case ${k}`).toEqual(expected.map((m) => m.cue ?? -1));
      expect(Array.from(r.distance), `case ${k}`).toEqual(expected.map((m) => m.distance ?? Number.NaN));
    }
  });
});

describe('framesForCues', () => {
  const frames = [0, 1, 2, 3, 4, 5].map((time) => ({ time }));

  it('lists every frame inside a cue, in ascending index order', () => {
    expect(framesForCues(frames, [{ start: 0.5, end: 3 }])).toEqual([{ cue: 0, frames: [1, 2, 3], distance: 0 }]);
  });

  it('falls back to the single nearest frame within the threshold when none is inside', () => {
    expect(framesForCues(frames, [{ start: 5.25, end: 6 }])).toEqual([{ cue: 0, frames: [5], distance: 0.25 }]);
  });

  it('prefers the earlier frame when two are equally near a cue with none inside', () => {
    expect(framesForCues(frames, [{ start: 2.25, end: 2.75 }])[0].frames).toEqual([2]);
  });

  it('returns no frames for a cue with none inside and none within the threshold', () => {
    expect(framesForCues(frames, [{ start: 9, end: 10 }])).toEqual([{ cue: 0, frames: [], distance: null }]);
  });

  it('in inside mode, never falls back to a nearby frame', () => {
    expect(framesForCues(frames, [{ start: 2.25, end: 2.75 }], { mode: 'inside' })).toEqual([{ cue: 0, frames: [], distance: null }]);
  });

  it('in middle mode, picks the one inside frame nearest the cue midpoint', () => {
    expect(framesForCues(frames, [{ start: 0.5, end: 4.2 }], { mode: 'middle' })[0].frames).toEqual([2]);
  });

  it('applies the offset to the cues', () => {
    expect(framesForCues(frames, [{ start: 0, end: 0.5 }], { offset: 3 })[0].frames).toEqual([3]);
  });

  it('gives the same frame to overlapping cues and keeps cue input order', () => {
    const r = framesForCues(frames, [{ start: 3, end: 5 }, { start: 1, end: 3 }]);
    expect(r.map((c) => c.frames)).toEqual([
      [3, 4, 5],
      [1, 2, 3],
    ]);
  });

  it('rejects an unknown mode', () => {
    expect(() => framesForCues(frames, [], { mode: 'all' as never })).toThrow(InvalidOptionError);
  });

  it.each(['inside-or-nearest', 'inside', 'middle'] as const)('matches a brute-force scan on 1500 random cases in %s mode', (mode) => {
    const rand = prng(mode.length * 7919);
    for (let k = 0; k < 1500; k++) {
      const { frames: fs, cues, threshold, offset } = randomCase(rand);
      expect(framesForCues(fs, cues, { threshold, offset, mode }), `case ${k}`).toEqual(referenceFramesForCues(fs, cues, threshold, offset, mode));
    }
  });
});
