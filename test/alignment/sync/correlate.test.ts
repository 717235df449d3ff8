import { describe, expect, it } from 'vitest';
import { Correlator, crossCorrelate } from '../../../alignment/sync/correlate.js';
import { mulberry32 } from '../../../src/core/random.js';

function direct(g: ArrayLike<number>, x: ArrayLike<number>, lag: number): number {
  let s = 0;
  for (let m = 0; m < g.length; m++) {
    const j = m + lag;
    if (j >= 0 && j < x.length) s += g[m] * x[j];
  }
  return s;
}

describe('crossCorrelate', () => {
  it('matches the direct sum at every lag, negative and beyond the ends included', () => {
    const rand = mulberry32(3);
    const g = Float64Array.from({ length: 37 }, () => rand() - 0.5);
    const x = Float64Array.from({ length: 101 }, () => rand() - 0.5);
    const r = crossCorrelate(g, x, -45, 110);
    for (let lag = -45; lag <= 110; lag++) expect(r[lag + 45]).toBeCloseTo(direct(g, x, lag), 9);
  });

  it('gives the documented small example', () => {
    expect(Array.from(crossCorrelate(Float64Array.of(1, 2), Float64Array.of(0, 1, 2), 0, 1)).map((v) => Math.round(v * 1e9) / 1e9)).toEqual([2, 5]);
  });

  it('finds a delayed copy at its delay', () => {
    const rand = mulberry32(9);
    const x = Float64Array.from({ length: 500 }, () => (rand() < 0.3 ? 1 : 0));
    const g = x.slice(120, 220);
    const r = crossCorrelate(g, x, -50, 400);
    let best = 0;
    for (let i = 1; i < r.length; i++) if (r[i] > r[best]) best = i;
    expect(best - 50).toBe(120);
  });
});

describe('Correlator', () => {
  it('refuses a kernel longer than it was sized for', () => {
    expect(() => new Correlator(new Float64Array(10), 4).correlate(new Float64Array(5), 0, 1)).toThrow(RangeError);
  });
});
