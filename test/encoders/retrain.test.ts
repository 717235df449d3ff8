import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/core/errors/index.js';
import { leastSquaresSlope, shouldRetrain } from '../../encoders/retrain.js';
import { mulberry32 } from '../../src/core/random.js';

const series = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

describe('leastSquaresSlope', () => {
  it('recovers the slope of an exact line', () => {
    expect(leastSquaresSlope(series(7, (i) => 0.3 - 0.02 * i))).toBeCloseTo(-0.02, 12);
  });

  it('matches the closed form on an irregular series', () => {
    const ys = [0.5, 0.9, 0.1, 0.4];
    // Σ(x−x̄)(y−ȳ)/Σ(x−x̄)² with x̄ = 1.5, ȳ = 0.475
    const expected = (-1.5 * 0.025 + -0.5 * 0.425 + 0.5 * -0.375 + 1.5 * -0.075) / 5;
    expect(leastSquaresSlope(ys)).toBeCloseTo(expected, 12);
  });
});

describe('shouldRetrain on metric series', () => {
  it('does not fire on a flat series', () => {
    const d = shouldRetrain(series(8, () => 0.8), { window: 5 });
    expect(d.retrain).toBe(false);
    expect(d.slope).toBe(0);
  });

  it('does not fire on a rising series', () => {
    const d = shouldRetrain(series(6, (i) => 0.5 + 0.05 * i), { window: 5 });
    expect(d.retrain).toBe(false);
    expect(d.slope).toBeCloseTo(0.05, 12);
  });

  it('fires on a falling series and says why', () => {
    const d = shouldRetrain(series(6, (i) => 0.9 - 0.03 * i), { window: 5, slopeThreshold: -0.01 });
    expect(d).toMatchObject({ retrain: true, trigger: 'slope' });
    expect(d.slope).toBeCloseTo(-0.03, 12);
    expect(d.reason).toMatch(/slope over the last 5 evaluations is -0\.03/);
  });

  it('does not fire on noise around a flat level', () => {
    const rng = mulberry32(17);
    const d = shouldRetrain(series(10, () => 0.8 + 0.01 * (rng() - 0.5)), { window: 8, slopeThreshold: -0.005 });
    expect(Math.abs(d.slope as number)).toBeLessThan(0.005);
    expect(d.retrain).toBe(false);
  });

  it('fires on a noisy decline', () => {
    const rng = mulberry32(5);
    const d = shouldRetrain(series(10, (i) => 0.9 - 0.02 * i + 0.01 * (rng() - 0.5)), { window: 8, slopeThreshold: -0.005 });
    expect(d.retrain).toBe(true);
    expect(d.slope as number).toBeLessThan(-0.015);
  });

  it('fits only the last window of a longer history', () => {
    // A long early decline followed by a recovery: the window sees only the recovery.
    const history = [...series(10, (i) => 0.9 - 0.05 * i), ...series(4, (i) => 0.5 + 0.02 * i)];
    const d = shouldRetrain(history, { window: 4 });
    expect(d.slope).toBeCloseTo(0.02, 12);
    expect(d.retrain).toBe(false);
    expect(shouldRetrain(history, { window: 14 }).retrain).toBe(true);
  });

  it('gives no slope verdict with fewer evaluations than the window', () => {
    const d = shouldRetrain([0.9, 0.5], { window: 3 });
    expect(d).toMatchObject({ retrain: false, slope: null, trigger: null });
    expect(d.reason).toMatch(/2 of 3 evaluations/);
  });

  it('reads the metric out of evaluation records', () => {
    const d = shouldRetrain(series(5, (i) => ({ metric: 0.9 - 0.1 * i })), { window: 5 });
    expect(d.slope).toBeCloseTo(-0.1, 12);
  });
});

describe('shouldRetrain on new pairs', () => {
  it('fires when new pairs exceed the fraction of the training set', () => {
    const d = shouldRetrain([], { newPairs: 201, trainSize: 1000, newFraction: 0.2 });
    expect(d).toMatchObject({ retrain: true, trigger: 'new-pairs' });
    expect(d.newPairsFraction).toBeCloseTo(0.201, 12);
  });

  it('does not fire at exactly the fraction', () => {
    expect(shouldRetrain([], { newPairs: 200, trainSize: 1000, newFraction: 0.2 }).retrain).toBe(false);
  });

  it('fires when heads were never trained and pairs exist', () => {
    expect(shouldRetrain([], { newPairs: 5, trainSize: 0 })).toMatchObject({ retrain: true, trigger: 'new-pairs' });
  });

  it('reports the slope rule when both rules fire', () => {
    const d = shouldRetrain(series(5, (i) => 1 - 0.1 * i), { newPairs: 900, trainSize: 1000 });
    expect(d.trigger).toBe('slope');
    expect(d.newPairsFraction).toBeCloseTo(0.9, 12);
  });

  it('rejects a window too short to fit a line', () => {
    expect(() => shouldRetrain([1, 2, 3], { window: 1 })).toThrow(InvalidOptionError);
  });
});
