/**
 * The one seeded PRNG of the project. Weights of generated models, default heads, training
 * shuffles, train/dev splits, benchmarks and property tests all promise "same seed, same bytes on
 * every machine", so they must share one generator rather than copies that could drift.
 */

/**
 * mulberry32: tiny, fast, statistically good enough for initialisation and shuffling, and the same
 * sequence on every platform.
 *
 * @example
 * const rng = mulberry32(42);
 * rng(); // a number in [0, 1)
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
