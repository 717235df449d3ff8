import { describe, expect, it } from 'vitest';
import { similarity, similarityMatrix } from 'mmalign';

function seeded(n: number, dim: number, seed: number): Float32Array[] {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  return Array.from({ length: n }, () => Float32Array.from({ length: dim }, rand));
}

describe('similarity', () => {
  it('is 1 for parallel vectors, -1 for opposite and 0 for orthogonal ones', () => {
    expect(similarity([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(similarity([1, 0], [-3, 0])).toBeCloseTo(-1, 12);
    expect(similarity([1, 0], [0, 5])).toBe(0);
  });

  it('scores a zero vector 0 instead of NaN', () => {
    expect(similarity([0, 0], [1, 1])).toBe(0);
  });

  it('rejects vectors of different lengths', () => {
    expect(() => similarity([1, 2], [1, 2, 3])).toThrow(/same length/);
  });
});

describe('similarityMatrix', () => {
  it('equals pairwise similarity for every pair across block boundaries', () => {
    const A = seeded(70, 33, 1);
    const B = seeded(130, 33, 2);
    const m = similarityMatrix(A, B);
    expect(m.length).toBe(A.length * B.length);
    for (const i of [0, 1, 63, 64, 69]) {
      for (const j of [0, 63, 64, 127, 128, 129]) {
        expect(m[i * B.length + j]).toBeCloseTo(similarity(A[i], B[j]), 5);
      }
    }
  });

  it('returns an empty matrix for an empty side', () => {
    expect(similarityMatrix([], seeded(3, 4, 1)).length).toBe(0);
  });

  it('rejects rows of mixed widths, naming the row', () => {
    expect(() => similarityMatrix([new Float32Array(4)], [new Float32Array(4), new Float32Array(5)])).toThrow(/B\[1\]/);
  });
});
