import { describe, expect, it } from 'vitest';
import { applyMapping, mapTime, offsetAt, splitsFromSegments } from '../../../alignment/sync/mapping.js';
import { toSyncJson } from '../../../alignment/sync/report.js';

const mapping = { offset: 2, ratio: 1, splits: [{ at: 60, offset: 22 }, { at: 120, offset: 10 }] };

describe('mapTime', () => {
  it('applies the offset of the segment the time falls in', () => {
    expect(mapTime(mapping, 10)).toBe(12);
    expect(mapTime(mapping, 60)).toBe(82);
    expect(mapTime(mapping, 130)).toBe(140);
    expect(offsetAt(mapping, 59.999)).toBe(2);
  });

  it('scales by the ratio before the offset', () => {
    expect(mapTime({ offset: 1, ratio: 0.5, splits: [] }, 10)).toBe(6);
  });
});

describe('applyMapping', () => {
  it('moves a cue by the offset of its start, so a cue is never torn across a split', () => {
    const [c] = applyMapping([{ index: 1, start: 59, end: 61, text: 'Across.' }], mapping).cues;
    expect([c.start, c.end, c.originalStart, c.originalEnd]).toEqual([61, 63, 59, 61]);
  });

  it('drops cues that end before zero and starts straddling ones at zero', () => {
    const r = applyMapping(
      [
        { index: 1, start: 1, end: 2, text: 'Gone.' },
        { index: 2, start: 4, end: 7, text: 'Straddles.' },
      ],
      { offset: -5, ratio: 1, splits: [] },
    );
    expect(r.dropped).toBe(1);
    expect(r.cues.map((c) => [c.index, c.start, c.end])).toEqual([[2, 0, 2]]);
  });

  it('marks which cues are speech', () => {
    const r = applyMapping([{ index: 1, start: 1, end: 2, text: '[MUSIC]' }, { index: 2, start: 3, end: 4, text: 'Hi.' }], mapping);
    expect(r.cues.map((c) => c.spoken)).toEqual([false, true]);
  });
});

describe('splitsFromSegments', () => {
  it('puts a split halfway through the gap before its first cue', () => {
    const spans = [{ start: 0, end: 1 }, { start: 2, end: 3 }, { start: 10, end: 11 }];
    expect(splitsFromSegments(spans, [{ first: 0, offset: 1 }, { first: 2, offset: 21 }])).toEqual({ offset: 1, splits: [{ at: 6.5, offset: 21 }] });
  });

  it('puts it at the cue start when the cues overlap', () => {
    const spans = [{ start: 0, end: 5 }, { start: 4, end: 6 }];
    expect(splitsFromSegments(spans, [{ first: 0, offset: 0 }, { first: 1, offset: 3 }]).splits).toEqual([{ at: 4, offset: 3 }]);
  });
});

describe('toSyncJson', () => {
  it('writes the PLAN contract: version, mapping, cues with original times, the speech curve', () => {
    const json = toSyncJson({
      mapping: { offset: 1, ratio: 1, splits: [], confidence: 0.9, method: 'vad-silero', applied: true, reason: 'ok' },
      cues: [{ index: 1, start: 2, end: 3, text: 'Hi.', originalStart: 1, originalEnd: 2, spoken: true }],
      speech: { step: 0.01, start: 0, probabilities: Float32Array.of(0.12345, 1) },
    });
    expect(json).toEqual({
      version: 1,
      mapping: { offset: 1, ratio: 1, splits: [], confidence: 0.9, method: 'vad-silero', applied: true, reason: 'ok' },
      cues: [{ index: 1, start: 2, end: 3, originalStart: 1, originalEnd: 2, spoken: true }],
      speech: { step: 0.01, start: 0, probabilities: [0.123, 1] },
    });
  });

  it('decimates the curve of a long video to 50 ms', () => {
    const json = toSyncJson({
      mapping: { offset: 0, ratio: 1, splits: [], confidence: 1, method: 'none', applied: false, reason: '' },
      cues: [],
      speech: { step: 0.01, start: 0, probabilities: new Float32Array(200_000) },
    });
    expect(json.speech.step).toBe(0.05);
    expect(json.speech.probabilities).toHaveLength(40_000);
  });
});
