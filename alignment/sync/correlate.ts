/** Linear cross-correlation by FFT (fft.js), for offset searches over every lag at once. */
import FFT from 'fft.js';

function nextPow2(n: number): number {
  let p = 2;
  while (p < n) p *= 2;
  return p;
}

/**
 * Correlates many kernels against one signal, transforming the signal once.
 *
 * @example
 * const c = new Correlator(speech, 4096);
 * const r = c.correlate(kernel, -100, 100); // r[L + 100] = Σ_m kernel[m]·speech[m + L]
 */
export class Correlator {
  private readonly size: number;
  private readonly fft: FFT;
  private readonly spectrum: Float64Array;
  private readonly signalLength: number;
  private readonly maxKernel: number;

  /** `maxKernel`: the longest kernel that will be correlated against `x`. */
  constructor(x: ArrayLike<number>, maxKernel: number) {
    // Long enough that the circular correlation never wraps onto a lag with overlap.
    this.size = nextPow2(x.length + maxKernel);
    this.fft = new FFT(this.size);
    this.signalLength = x.length;
    this.maxKernel = maxKernel;
    this.spectrum = this.transform(x);
  }

  private transform(a: ArrayLike<number>): Float64Array {
    const padded = new Float64Array(this.size);
    for (let i = 0; i < a.length; i++) padded[i] = a[i];
    const out = new Float64Array(2 * this.size);
    this.fft.realTransform(out, padded);
    this.fft.completeSpectrum(out);
    return out;
  }

  /** `r[L - lagMin] = Σ_m g[m]·x[m + L]` for L in [lagMin, lagMax]; zero where they do not overlap. */
  correlate(g: ArrayLike<number>, lagMin: number, lagMax: number): Float64Array {
    if (g.length > this.maxKernel) throw new RangeError(`kernel of ${g.length} exceeds the ${this.maxKernel} this correlator was sized for`);
    const out = new Float64Array(Math.max(0, lagMax - lagMin + 1));
    if (out.length === 0 || g.length === 0 || this.signalLength === 0) return out;
    const G = this.transform(g);
    const X = this.spectrum;
    const n2 = 2 * this.size;
    const P = new Float64Array(n2);
    for (let i = 0; i < n2; i += 2) {
      // conj(G)·X: the correlation theorem.
      const gr = G[i];
      const gi = -G[i + 1];
      P[i] = gr * X[i] - gi * X[i + 1];
      P[i + 1] = gr * X[i + 1] + gi * X[i];
    }
    const R = new Float64Array(n2);
    this.fft.inverseTransform(R, P);
    const n = this.size;
    for (let L = lagMin; L <= lagMax; L++) {
      if (L >= this.signalLength || -L >= g.length) continue;
      out[L - lagMin] = R[2 * (((L % n) + n) % n)];
    }
    return out;
  }
}

/**
 * One-off linear cross-correlation: `r[L - lagMin] = Σ_m g[m]·x[m + L]` for L in [lagMin, lagMax].
 *
 * @example
 * crossCorrelate(Float64Array.of(1, 2), Float64Array.of(0, 1, 2), 0, 1); // Float64Array [2, 5]
 */
export function crossCorrelate(g: ArrayLike<number>, x: ArrayLike<number>, lagMin: number, lagMax: number): Float64Array {
  return new Correlator(x, g.length).correlate(g, lagMin, lagMax);
}
