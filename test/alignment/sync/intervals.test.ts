import { describe, expect, it } from 'vitest';
import { pairCuesWithShots, shotsFromFrames } from '../../../alignment/sync/intervals.js';

describe('shotsFromFrames', () => {
  it('makes each scene frame stand for the time until the next one, the last until the end', () => {
    expect(shotsFromFrames([0, 20, 40], 55)).toEqual([
      { start: 0, end: 20 },
      { start: 20, end: 40 },
      { start: 40, end: 55 },
    ]);
  });

  it('rejects frame times out of order', () => {
    expect(() => shotsFromFrames([0, 20, 10], 30)).toThrow(/frames\[2\]\.time/);
  });
});

describe('pairCuesWithShots', () => {
  const shots = shotsFromFrames([0, 20, 40], 60);

  it('pairs a cue with the shot it overlaps most', () => {
    expect(pairCuesWithShots([{ start: 18, end: 25 }], shots)).toEqual([{ cue: 0, shot: 1, overlap: 5 }]);
    expect(pairCuesWithShots([{ start: 15, end: 21 }], shots)).toEqual([{ cue: 0, shot: 0, overlap: 5 }]);
  });

  it('pairs every cue inside a long shot with that shot, not only the one nearest the frame', () => {
    const cues = [3, 7, 11, 15].map((s) => ({ start: s, end: s + 2 }));
    expect(pairCuesWithShots(cues, shots).map((p) => p.shot)).toEqual([0, 0, 0, 0]);
  });

  it('gives a tie to the earlier shot', () => {
    expect(pairCuesWithShots([{ start: 19, end: 21 }], shots)[0].shot).toBe(0);
  });

  it('pairs a zero-length cue with the shot holding its time', () => {
    expect(pairCuesWithShots([{ start: 20, end: 20 }], shots)[0]).toEqual({ cue: 0, shot: 1, overlap: 0 });
  });

  it('leaves a cue outside every shot unpaired', () => {
    expect(pairCuesWithShots([{ start: 61, end: 63 }], shots)).toEqual([{ cue: 0, shot: null, overlap: 0 }]);
  });

  it('reproduces the issue: a cut every 20 s no longer leaves most of 57 cues unpaired', () => {
    const scene = shotsFromFrames(Array.from({ length: 15 }, (_, i) => i * 20), 300);
    const cues = Array.from({ length: 57 }, (_, i) => ({ start: 2 + i * 5.2, end: 2 + i * 5.2 + 3 }));
    expect(pairCuesWithShots(cues, scene).every((p) => p.shot !== null && p.overlap > 0)).toBe(true);
  });
});
