/** Cue-mode timestamp maths (alignment/cue-targets.ts): where each cue wants frames, and which frames serve which cues. */
import { describe, expect, it } from 'vitest';
import { cueTargets, matchCueTargets } from '../../alignment/index.js';

describe('cueTargets', () => {
  it('spreads N frames evenly inside a cue with perCue', () => {
    expect(cueTargets([{ start: 0, end: 3 }], 3)).toEqual([0.5, 1.5, 2.5]);
  });
});

describe('cue targets of cues that overhang the video', () => {
  it('places targets inside the part of a cue the video shows', () => {
    expect(cueTargets([{ start: 15, end: 22 }], 1, 18)).toEqual([16.5]);
    expect(cueTargets([{ start: -2, end: 2 }], 2, 18)).toEqual([0.5, 1.5]);
  });

  it('gives a cue wholly outside the video no target', () => {
    expect(cueTargets([{ start: 19, end: 22 }, { start: -3, end: -1 }, { start: -3, end: 0 }], 1, 18)).toEqual([]);
  });
});

describe('matchCueTargets', () => {
  it('pairs a cue with the first frame at or after its target, and lists the other frames unpaired', () => {
    const frames = [{ time: 1 }, { time: 2.04 }, { time: 2.5 }];
    expect(matchCueTargets(frames, [{ start: 1, end: 3 }], 1, 10, 0.5)).toEqual([
      { frame: 0, cue: null, distance: null },
      { frame: 1, cue: 0, distance: 0 },
      { frame: 2, cue: null, distance: null },
    ]);
  });

  it('lets a nested cue keep its own frame instead of losing it to the longer cue around it', () => {
    // Midpoints 3.0 (cue 0) and 2.5 (cue 1): each cue gets the frame its own target picked.
    const frames = [{ time: 2.5 }, { time: 3 }];
    const matches = matchCueTargets(frames, [{ start: 1, end: 5 }, { start: 2, end: 3 }], 1, 10, 0);
    expect(matches).toEqual([
      { frame: 0, cue: 1, distance: 0 },
      { frame: 1, cue: 0, distance: 0 },
    ]);
  });

  it('lets one frame serve every cue whose target landed on it, in cue order', () => {
    const matches = matchCueTargets([{ time: 3 }], [{ start: 2.99, end: 3.01 }, { start: 1, end: 5 }], 1, 10, 0);
    expect(matches).toEqual([
      { frame: 0, cue: 0, distance: 0 },
      { frame: 0, cue: 1, distance: 0 },
    ]);
  });

  it('leaves a cue unpaired when the frame its target picked lies further than the threshold', () => {
    // Zero-length cue at 1 s; the next frame is 0.8 s later.
    expect(matchCueTargets([{ time: 1.8 }], [{ start: 1, end: 1 }], 1, 10, 0.5)).toEqual([{ frame: 0, cue: null, distance: null }]);
    expect(matchCueTargets([{ time: 1.8 }], [{ start: 1, end: 1 }], 1, 10, 1)).toEqual([{ frame: 0, cue: 0, distance: expect.closeTo(0.8, 9) }]);
  });
});
