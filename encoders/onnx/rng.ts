/**
 * Seeded random numbers for generated weights. Each tensor gets its own stream derived from
 * (seed, tensor name), so a tensor's values do not depend on how many tensors came before it:
 * changing one layer's shape never reshuffles the rest of the model.
 */

import { mulberry32 } from '../../src/core/random.js';

/** FNV-1a over the UTF-16 code units of `s`, as an unsigned 32-bit integer. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

// Re-exported for the modules and tests that import it from here.
export { mulberry32 };

/** How a parameter tensor is filled. */
export type Init =
  | { kind: 'normal'; mean?: number; std: number }
  | { kind: 'uniform'; low: number; high: number }
  | { kind: 'constant'; value: number };

/** Fills `out` deterministically from (seed, name) according to `init`. */
export function fillTensor(out: Float32Array, init: Init, seed: number, name: string): Float32Array {
  const rand = mulberry32((Math.imul(seed >>> 0, 0x9e3779b1) ^ fnv1a(name)) >>> 0);
  switch (init.kind) {
    case 'constant':
      out.fill(init.value);
      return out;
    case 'uniform':
      for (let i = 0; i < out.length; i++) out[i] = init.low + (init.high - init.low) * rand();
      return out;
    case 'normal': {
      const mean = init.mean ?? 0;
      // Box–Muller, both outputs used. 1 - u keeps log() away from 0.
      for (let i = 0; i < out.length; i += 2) {
        const r = Math.sqrt(-2 * Math.log(1 - rand()));
        const theta = 2 * Math.PI * rand();
        out[i] = mean + init.std * r * Math.cos(theta);
        if (i + 1 < out.length) out[i + 1] = mean + init.std * r * Math.sin(theta);
      }
      return out;
    }
    default:
      throw new Error(`unknown init kind: ${JSON.stringify(init satisfies never)}`);
  }
}
