import { describe, expect, it } from 'vitest';
import { appendAll, maxOf } from '../../src/core/arrays.js';

describe('appendAll', () => {
  it('appends 300,000 items where a spread into push overflows the call stack', () => {
    const items = Array.from({ length: 300_000 }, (_, i) => i);
    expect(() => [].push(...(items as never[]))).toThrow(RangeError);
    const target = [-1];
    expect(appendAll(target, items)).toBe(target);
    expect(target).toHaveLength(300_001);
    expect(target[300_000]).toBe(299_999);
  });
});

describe('maxOf', () => {
  it('finds the largest of 300,000 values where Math.max(...values) overflows', () => {
    const values = Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 300_007);
    expect(() => Math.max(...values)).toThrow(RangeError);
    let expected = -Infinity;
    for (const v of values) expected = v > expected ? v : expected;
    expect(maxOf(values)).toBe(expected);
  });

  it('gives the empty value for no values, and NaN when one is NaN, as Math.max does', () => {
    expect(maxOf([], 0)).toBe(0);
    expect(maxOf([])).toBe(-Infinity);
    expect(maxOf([1, NaN, 3])).toBeNaN();
  });
});
