import { EmbeddingDimensionError, HeadsMismatchError, TrainingDataError } from '../src/core/errors/index.js';
import { TRAIN_HEADS_DEFAULTS } from '../src/core/defaults.js';
import type { Modality } from '../src/core/types.js';
import { ProjectionHeads, type HeadDef } from './heads.js';
import { matmulABT, type Matrix } from './linalg.js';
import { prepareNativePairs, type NativePairs, type PairKind, type PreparedPairs } from './native-pairs.js';

/** Retrieval quality in one direction. Ranks are 1-based; ties count against the query. */
export interface RetrievalScores {
  /** Share of queries whose best relevant item ranks first (and top 5, top 10). */
  r1: number;
  r5: number;
  r10: number;
  meanRank: number;
  medianRank: number;
  /** Distinct query items and distinct gallery items searched. */
  queries: number;
  gallery: number;
}

/** Both retrieval directions for one pair kind, e.g. text→image and image→text. */
export interface KindEvaluation {
  kind: PairKind;
  pairs: number;
  aToB: RetrievalScores;
  bToA: RetrievalScores;
}

export interface HeadsEvaluation {
  kinds: KindEvaluation[];
  /** Averages over every direction of every kind. */
  mean: { r1: number; r5: number; r10: number; meanRank: number };
}

/** The scores of the pairs that carry one value of the breakdown label. */
export interface LabelEvaluation {
  value: string;
  pairs: number;
  heads: HeadsEvaluation;
  baseline: HeadsEvaluation | null;
}

/** The heads under test next to untrained heads scored on the same pairs in the same run. */
export interface HeadsEvaluationReport {
  heads: HeadsEvaluation;
  /** Seeded (random orthogonal) heads with the same shapes; null when `baseline: false`. */
  baseline: HeadsEvaluation | null;
  /** With `by`: one evaluation per value of that label, each on its own pairs; pairs without it under '(none)'. */
  breakdown: { by: string; values: LabelEvaluation[] } | null;
}

export interface EvaluateHeadsOptions {
  /** What to compare against: seeded random heads (default), given heads, or nothing. */
  baseline?: 'seeded' | ProjectionHeads | false;
  /** Seed of the seeded baseline. */
  seed?: number;
  /** Names the pairs' source in errors. */
  source?: string | null;
  /** Also score the pairs of each value of this label (e.g. 'voice', 'speaker', 'group') on their own. */
  by?: string | null;
}

/** The breakdown value of pairs that lack the label. */
export const NO_LABEL = '(none)';

// Queries scored per block: bounds the score matrix to QUERY_BLOCK × gallery floats.
const QUERY_BLOCK = 256;

/**
 * Cross-modal retrieval on held-out pairs: for each pair kind, every distinct item of one side
 * queries every distinct item of the other; every item paired with the query is relevant and its
 * rank is that of the best-scoring one, so a word spoken by eight voices is right when any of its
 * clips comes first, and "of N" counts distinct candidates. Reports recall@1/5/10 and mean/median
 * rank in both directions, next to seeded random heads scored in the same run, and with `by`, the
 * same per value of a label.
 *
 * @example
 * const { heads: trained, baseline, breakdown } = evaluateHeads(await ProjectionHeads.load('heads.safetensors'), heldOut, { by: 'voice' });
 * console.log(trained.mean.r1, baseline?.mean.r1, breakdown?.values.map((v) => [v.value, v.heads.mean.r1]));
 */
export function evaluateHeads(
  heads: ProjectionHeads,
  data: NativePairs | PreparedPairs,
  { baseline = 'seeded', seed = TRAIN_HEADS_DEFAULTS.seed, source = null, by = null }: EvaluateHeadsOptions = {},
): HeadsEvaluationReport {
  const prepared = 'groups' in data ? data : prepareNativePairs(data, source);
  let base: ProjectionHeads | null = null;
  if (baseline === 'seeded') {
    const defs = heads.modalities().map((m) => heads.get(m) as HeadDef);
    base = ProjectionHeads.seeded(
      defs.map((d) => ({ modality: d.modality, modelId: d.modelId, inputDim: d.inputDim })),
      { seed, outputDim: defs[0]?.outputDim },
    );
  } else if (baseline) {
    base = baseline;
  }
  const score = (p: PreparedPairs) => ({ heads: evaluatePrepared(heads, p, source), baseline: base ? evaluatePrepared(base, p, source) : null });
  return { ...score(prepared), breakdown: by ? { by, values: byLabel(prepared, by).map(({ value, data: part }) => ({ value, pairs: countPairs(part), ...score(part) })) } : null };
}

function countPairs(p: PreparedPairs): number {
  return p.groups.reduce((s, g) => s + g.ai.length, 0);
}

/** The pairs split by the value of label `by` ('group' reads the pairs' group), values sorted. */
function byLabel(data: PreparedPairs, by: string): { value: string; data: PreparedPairs }[] {
  const valueOf = (pi: number): string => {
    const p = data.pairs[pi];
    return (by === 'group' ? p?.group : p?.labels?.[by]) ?? NO_LABEL;
  };
  const values = new Set<string>();
  for (const g of data.groups) for (const pi of g.pi) values.add(valueOf(pi));
  return [...values].sort().map((value) => ({
    value,
    data: {
      ...data,
      groups: data.groups
        .map((g) => {
          const keep = [...g.pi.keys()].filter((n) => valueOf(g.pi[n]) === value);
          return { ...g, ai: Int32Array.from(keep, (n) => g.ai[n]), bi: Int32Array.from(keep, (n) => g.bi[n]), pi: Int32Array.from(keep, (n) => g.pi[n]) };
        })
        .filter((g) => g.ai.length > 0),
    },
  }));
}

/** Scores one set of heads on already-validated pairs (the trainer's held-out split uses this). */
export function evaluatePrepared(heads: ProjectionHeads, data: PreparedPairs, source: string | null = null): HeadsEvaluation {
  const groups = data.groups.filter((g) => g.ai.length > 0);
  if (groups.length === 0) throw new TrainingDataError('no pairs to evaluate', source);
  // Only the rows the pairs use are projected: a held-out split of a big set is a small part of it.
  const projected = new Map<Modality, { z: Float32Array; pos: Int32Array }>();
  const project = (m: Modality): { z: Float32Array; pos: Int32Array } => {
    let p = projected.get(m);
    if (!p) {
      const mat = data.mats[m] as Matrix;
      const head = heads.get(m);
      if (!head) throw new HeadsMismatchError(m, { modelId: data.modelIds[m] ?? 'unknown', inputDim: mat.cols }, null);
      if (head.inputDim !== mat.cols) throw new EmbeddingDimensionError(m, null, head.inputDim, mat.cols, source);
      const used = new Set<number>();
      for (const g of groups) {
        if (g.a === m) for (const i of g.ai) used.add(i);
        if (g.b === m) for (const i of g.bi) used.add(i);
      }
      const rows = [...used].sort((x, y) => x - y);
      const pos = new Int32Array(mat.rows).fill(-1);
      rows.forEach((r, i) => (pos[r] = i));
      const sub = gather(mat.data, mat.cols, rows);
      p = { z: projectMatrix(head, { rows: rows.length, cols: mat.cols, data: sub }), pos };
      projected.set(m, p);
    }
    return p;
  };
  const kinds = groups.map((g): KindEvaluation => {
    const pa = project(g.a);
    const pb = project(g.b);
    const ai = g.ai.map((i) => pa.pos[i]);
    const bi = g.bi.map((i) => pb.pos[i]);
    const d = (heads.get(g.a) as HeadDef).outputDim;
    return {
      kind: g.kind,
      pairs: g.ai.length,
      aToB: retrieval(pa.z, pb.z, d, ai, bi),
      bToA: retrieval(pb.z, pa.z, d, bi, ai),
    };
  });
  const dirs = kinds.flatMap((k) => [k.aToB, k.bToA]);
  const avg = (f: (s: RetrievalScores) => number) => dirs.reduce((s, x) => s + f(x), 0) / dirs.length;
  return { kinds, mean: { r1: avg((s) => s.r1), r5: avg((s) => s.r5), r10: avg((s) => s.r10), meanRank: avg((s) => s.meanRank) } };
}

/**
 * Projects every row of `mat` through `head` with the blocked kernels and L2-normalises the rows;
 * the same arithmetic as {@link ProjectionHeads.project}, a batch at a time.
 */
export function projectMatrix(head: HeadDef, mat: Matrix): Float32Array {
  let x = mat.data;
  head.layers.forEach((l, li) => {
    const y = matmulABT(x, l.weight, mat.rows, l.inDim, l.outDim);
    for (let r = 0; r < mat.rows; r++) {
      const o = r * l.outDim;
      for (let j = 0; j < l.outDim; j++) {
        const v = y[o + j] + l.bias[j];
        y[o + j] = li < head.layers.length - 1 && v < 0 ? 0 : v;
      }
    }
    x = y;
  });
  const d = head.outputDim;
  for (let r = 0; r < mat.rows; r++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += x[r * d + j] * x[r * d + j];
    const n = Math.sqrt(s);
    if (n > 0) for (let j = 0; j < d; j++) x[r * d + j] /= n;
  }
  return x;
}

/**
 * Ranks for queries `qi` (rows of zq) against the distinct gallery rows `gi` (rows of zg); pair n
 * says zg[gi[n]] is relevant to zq[qi[n]].
 */
function retrieval(zq: Float32Array, zg: Float32Array, d: number, qi: Int32Array, gi: Int32Array): RetrievalScores {
  const relevant = new Map<number, number[]>();
  for (let n = 0; n < qi.length; n++) {
    const list = relevant.get(qi[n]);
    if (list) list.push(gi[n]);
    else relevant.set(qi[n], [gi[n]]);
  }
  const queries = [...relevant.keys()].sort((x, y) => x - y);
  const gallery = [...new Set(gi)].sort((x, y) => x - y);
  const galleryPos = new Map(gallery.map((g, p) => [g, p]));
  const g = gather(zg, d, gallery);
  const ranks = new Float64Array(queries.length);
  for (let q0 = 0; q0 < queries.length; q0 += QUERY_BLOCK) {
    const block = queries.slice(q0, q0 + QUERY_BLOCK);
    const scores = matmulABT(gather(zq, d, block), g, block.length, d, gallery.length);
    block.forEach((q, bq) => {
      const row = bq * gallery.length;
      let best = -Infinity;
      for (const rel of relevant.get(q) as number[]) best = Math.max(best, scores[row + (galleryPos.get(rel) as number)]);
      let above = 0;
      for (let j = 0; j < gallery.length; j++) if (scores[row + j] > best) above++;
      ranks[q0 + bq] = above + 1;
    });
  }
  const recall = (k: number) => ranks.reduce((s, r) => s + (r <= k ? 1 : 0), 0) / ranks.length;
  const sorted = Float64Array.from(ranks).sort();
  const mid = sorted.length >> 1;
  return {
    r1: recall(1),
    r5: recall(5),
    r10: recall(10),
    meanRank: ranks.reduce((s, r) => s + r, 0) / ranks.length,
    medianRank: sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2,
    queries: queries.length,
    gallery: gallery.length,
  };
}

function gather(z: Float32Array, d: number, rows: readonly number[]): Float32Array {
  const out = new Float32Array(rows.length * d);
  rows.forEach((r, i) => out.set(z.subarray(r * d, r * d + d), i * d));
  return out;
}

