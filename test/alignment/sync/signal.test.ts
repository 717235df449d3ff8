import { describe, expect, it } from 'vitest';
import { Correlator } from '../../../alignment/sync/correlate.js';
import { SYNC_DEFAULTS } from '../../../alignment/sync/defaults.js';
import { cueKernel, decimate, SpeechScorer, withGaps } from '../../../alignment/sync/signal.js';
import type { SpeechCurve } from '../../../alignment/sync/types.js';

/** Speech (P = 1) on the given intervals, 10 ms grid. */
function curveOf(spans: [number, number][], duration: number): SpeechCurve {
  const p = new Float32Array(Math.round(duration / 0.01));
  for (const [a, b] of spans) for (let n = Math.round(a / 0.01); n < Math.round(b / 0.01); n++) p[n] = 1;
  return { step: 0.01, start: 0, probabilities: p };
}

const params = { onsetWeight: 0.6, onsetWindow: 0.2, gapWeight: 0.5 };

describe('SpeechScorer', () => {
  const scorer = new SpeechScorer(curveOf([[10, 12]], 30), params);

  it('counts speech covered minus silence covered', () => {
    expect(scorer.overlap(10, 12)).toBeCloseTo(2, 6);
    expect(scorer.overlap(9, 12)).toBeCloseTo(1, 6);
    expect(scorer.overlap(20, 21)).toBeCloseTo(-1, 6);
  });

  it('treats time outside the curve as silence', () => {
    expect(scorer.overlap(-2, 0)).toBeCloseTo(-2, 6);
    expect(scorer.overlap(30, 31)).toBeCloseTo(-1, 6);
  });

  it('scores a cue best when it starts exactly at the speech onset', () => {
    const at = (a: number) => scorer.cue(a, a + 2.5);
    expect(at(10)).toBeGreaterThan(at(9.9));
    expect(at(10)).toBeGreaterThan(at(10.1));
  });

  it('counts speech in the gap before a cue against it', () => {
    expect(scorer.cue(12, 13, 1)).toBeLessThan(scorer.cue(12, 13, 0));
    expect(scorer.cue(14, 15, 1)).toBeGreaterThan(scorer.cue(14, 15, 0));
  });
});

describe('cueKernel', () => {
  it('correlated with the curve gives the scorer total at every grid offset', () => {
    const curve = curveOf([[3, 5.5], [7, 9], [12.2, 15]], 25);
    const spans = withGaps([{ start: 2.5, end: 5 }, { start: 6.5, end: 8.7 }, { start: 11.7, end: 14.3 }], 2);
    const scorer = new SpeechScorer(curve, params);
    const kernel = cueKernel(spans, 1, curve.step, params);
    const lagMin = kernel.first - 300;
    const r = new Correlator(curve.probabilities, kernel.weights.length).correlate(kernel.weights, lagMin, kernel.first + 300);
    for (const k of [-300, -57, 0, 50, 213]) {
      const offset = k * curve.step;
      expect(r[k + 300] + kernel.constant).toBeCloseTo(scorer.total(spans, 1, offset), 6);
    }
  });
});

describe('decimate', () => {
  it('averages whole bins and keeps the start', () => {
    const c = decimate({ step: 0.01, start: 2, probabilities: Float32Array.of(1, 1, 0, 0, 1, 0) }, 0.02);
    expect(c.step).toBeCloseTo(0.02);
    expect(c.start).toBe(2);
    expect(Array.from(c.probabilities)).toEqual([1, 0, 0.5]);
  });
});

describe('withGaps', () => {
  it('measures the pause before each span from the latest end so far, capped', () => {
    const g = withGaps([{ start: 0, end: 5 }, { start: 1, end: 2 }, { start: 5.5, end: 6 }, { start: 20, end: 21 }], SYNC_DEFAULTS.maxGap);
    expect(g.map((s) => s.gap)).toEqual([0, 0, 0.5, 2]);
  });
});
