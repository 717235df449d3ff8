import { TrainingDataError } from '../../src/core/errors/index.js';
import { MODALITIES } from '../../src/core/types.js';
import type { HeadLayer } from '../heads.js';
import type { Matrix } from '../linalg.js';
import type { PairGroup, PreparedPairs } from '../native-pairs.js';

// Everything the loop does to the data: standardise, cut into batches, add noise, hold out a split.

export interface Standardizer {
  mean: Float64Array;
  std: Float64Array;
}

/** Per-feature mean and standard deviation of `mat`'s rows. */
export function standardizer(mat: Matrix): Standardizer {
  const { rows, cols, data } = mat;
  const mean = new Float64Array(cols);
  const std = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) mean[c] += data[r * cols + c];
  for (let c = 0; c < cols; c++) mean[c] /= Math.max(rows, 1);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const dv = data[r * cols + c] - mean[c];
      std[c] += dv * dv;
    }
  }
  for (let c = 0; c < cols; c++) {
    const sd = Math.sqrt(std[c] / Math.max(rows, 1));
    // A constant feature carries nothing; dividing by ~0 would only amplify float noise.
    std[c] = sd > 1e-6 ? sd : 1;
  }
  return { mean, std };
}

export function applyStandardizer(mat: Matrix, st: Standardizer): Matrix {
  const { rows, cols, data } = mat;
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = (data[r * cols + c] - st.mean[c]) / st.std[c];
  return { rows, cols, data: out };
}

/** Folds x ↦ (x − μ)/σ into the first layer: W' = W·diag(1/σ), b' = b − W'·μ. Exact, so saved heads take raw vectors. */
export function foldStandardizer(layer: HeadLayer, st: Standardizer): HeadLayer {
  const { inDim, outDim } = layer;
  const weight = new Float32Array(layer.weight.length);
  const bias = new Float32Array(outDim);
  for (let o = 0; o < outDim; o++) {
    let shift = 0;
    for (let i = 0; i < inDim; i++) {
      const w = layer.weight[o * inDim + i] / st.std[i];
      weight[o * inDim + i] = w;
      shift += w * st.mean[i];
    }
    bias[o] = layer.bias[o] - shift;
  }
  return { inDim, outDim, weight, bias };
}

/** Rows idx[from..to) of `mat`, copied into one batch. */
export function gatherRows(mat: Matrix, idx: Int32Array, from: number, to: number): Float32Array {
  const { cols, data } = mat;
  const out = new Float32Array((to - from) * cols);
  for (let i = from; i < to; i++) out.set(data.subarray(idx[i] * cols, idx[i] * cols + cols), (i - from) * cols);
  return out;
}

/** Fisher–Yates in place with the seeded `rng`. */
export function shuffle<T>(arr: T[], rng: () => number): T[] {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [arr[i], arr[j]] = [arr[j], arr[i]];
  }
  return arr;
}

/** Standard normal draws (Box–Muller) from a uniform `rng`. */
export function gaussian(rng: () => number): () => number {
  return () => {
    let u = 0;
    while (u === 0) u = rng();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
  };
}

/** Adds σ·N(0, 1) to every value of a training batch (in place): the same clip never looks the same twice. */
export function addNoise(x: Float32Array, sigma: number, normal: () => number): Float32Array {
  if (sigma > 0) for (let i = 0; i < x.length; i++) x[i] += sigma * normal();
  return x;
}

/**
 * The unit each pair is held out with. A pair with a `group` (or, with `groupBy`, that label) goes with its group; the others go with
 * everything they are connected to through shared items (a text, its clips, the frames of those
 * clips' cues...), so no item is ever on both sides of the split.
 */
export function splitUnits(data: PreparedPairs, groupBy: string | null = null): { units: Int32Array[]; count: number } {
  const offset = new Map<string, number>();
  let nodes = 0;
  for (const m of MODALITIES) {
    offset.set(m, nodes);
    nodes += data.mats[m]?.rows ?? 0;
  }
  const parent = Int32Array.from({ length: nodes }, (_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) x = parent[x] = parent[parent[x]];
    return x;
  };
  // `groupBy` names a label field to group by instead of the pairs' own `group`.
  const groupOf = (g: PairGroup, n: number): string | undefined => {
    const p = data.pairs[g.pi[n]];
    return groupBy === null || groupBy === 'group' ? p?.group : p?.labels?.[groupBy];
  };
  for (const g of data.groups) {
    const oa = offset.get(g.a) as number;
    const ob = offset.get(g.b) as number;
    for (let n = 0; n < g.ai.length; n++) {
      if (groupOf(g, n) !== undefined) continue;
      const x = find(oa + g.ai[n]);
      const y = find(ob + g.bi[n]);
      if (x !== y) parent[Math.max(x, y)] = Math.min(x, y);
    }
  }
  const ids = new Map<string, number>();
  const idOf = (key: string): number => {
    let id = ids.get(key);
    if (id === undefined) ids.set(key, (id = ids.size));
    return id;
  };
  const units = data.groups.map((g) => {
    const oa = offset.get(g.a) as number;
    return Int32Array.from(g.ai, (ai, n) => {
      const group = groupOf(g, n);
      return idOf(group !== undefined ? `g\0${group}` : `c\0${find(oa + ai)}`);
    });
  });
  return { units, count: ids.size };
}

/**
 * Holds out `valFraction` of the split units (see {@link splitUnits}), at least one when the fraction
 * is above 0, in a seeded order: never a group, and never an item, on both sides.
 */
export function splitGroups(
  data: PreparedPairs,
  valFraction: number,
  rng: () => number,
  { groupBy = null, source = null }: { groupBy?: string | null; source?: string | null } = {},
): { train: PairGroup[]; val: PairGroup[]; units: number; heldOutUnits: number } {
  const { units, count } = splitUnits(data, groupBy);
  const order = shuffle(Array.from({ length: count }, (_, i) => i), rng);
  const valCount = valFraction > 0 ? Math.max(1, Math.round(count * valFraction)) : 0;
  if (valCount > 0 && valCount >= count) {
    throw new TrainingDataError(
      `cannot hold out ${Math.round(valFraction * 100)}% for validation: the pairs form ${count} group(s) of connected items; ` +
        'give pairs a "group" (or use --val-by FIELD), or train with --val 0',
      source,
    );
  }
  const isVal = new Uint8Array(count);
  for (const u of order.slice(0, valCount)) isVal[u] = 1;
  const pick = (g: PairGroup, unit: Int32Array, wantVal: boolean): PairGroup => {
    const keep: number[] = [];
    for (let n = 0; n < g.ai.length; n++) if ((isVal[unit[n]] === 1) === wantVal) keep.push(n);
    return { ...g, ai: Int32Array.from(keep, (n) => g.ai[n]), bi: Int32Array.from(keep, (n) => g.bi[n]), pi: Int32Array.from(keep, (n) => g.pi[n]) };
  };
  return {
    train: data.groups.map((g, k) => pick(g, units[k], false)).filter((g) => g.ai.length > 0),
    val: data.groups.map((g, k) => pick(g, units[k], true)).filter((g) => g.ai.length > 0),
    units: count,
    heldOutUnits: valCount,
  };
}
