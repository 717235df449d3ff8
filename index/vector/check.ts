/** Checks of what goes into the index (vectors, counts) and of the loaded graph against SQLite. */
import { InvalidOptionError, InvalidVectorError, VectorDimensionError } from '../../src/core/errors/index.js';
import { blobToVector, type Db } from '../store.js';
import type { Graph } from './graph.js';

/**
 * Checks a vector and returns it as the plain Array hnswlib wants. Throws {@link VectorDimensionError} or
 * {@link InvalidVectorError}; `id` is null for queries.
 *
 * @example
 * const point = checkVector(embedding, 256, 'clip.mp4#cue3');
 */
export function checkVector(v: ArrayLike<number>, dims: number, id: string | null): number[] {
  if (v == null || typeof v.length !== 'number') throw new VectorDimensionError(id, dims, 0);
  if (v.length !== dims) throw new VectorDimensionError(id, dims, v.length);
  const out = new Array<number>(dims);
  let nonZero = false;
  for (let i = 0; i < dims; i++) {
    const x = v[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new InvalidVectorError(id, i, Number(x));
    if (x !== 0) nonZero = true;
    out[i] = x;
  }
  if (!nonZero) throw new InvalidVectorError(id, -1, 0);
  return out;
}

/** `v` when it is an integer >= `min`, else {@link InvalidOptionError} naming the option. */
export function positiveInt(name: string, v: number, min = 1): number {
  if (!Number.isInteger(v) || v < min) throw new InvalidOptionError(name, v, `an integer >= ${min}`);
  return v;
}

/**
 * Compares a loaded graph with SQLite: labels missing from or extra in the graph, and points whose
 * vector differs from the stored one.
 */
export function compareGraph(graph: Graph, db: Db): { missing: string[]; extra: number[]; mismatched: string[] } {
  const { hnsw, labelToId } = graph;
  const missing: string[] = [];
  const mismatched: string[] = [];
  const inGraph = new Set<number>();
  const graphLabels = hnsw.getIdsList();
  for (const l of graphLabels) inGraph.add(l);
  const dbLabels = new Set<number>();
  for (const [label, id, blob] of db.prepare('SELECT label, id, vector FROM items').raw().iterate() as Iterable<[number, string, Buffer]>) {
    dbLabels.add(label);
    if (!inGraph.has(label) || labelToId[label] !== id) {
      missing.push(id);
      continue;
    }
    const stored = blobToVector(blob);
    let point: number[];
    try {
      point = hnsw.getPoint(label);
    } catch {
      missing.push(id);
      continue;
    }
    // hnswlib keeps cosine vectors normalised; compare directions.
    let dot = 0;
    let nn = 0;
    for (let i = 0; i < stored.length; i++) {
      dot += stored[i] * point[i];
      nn += stored[i] * stored[i];
    }
    if (!(dot / Math.sqrt(nn) > 0.9999)) mismatched.push(id);
  }
  const extra: number[] = [];
  for (const l of graphLabels) if (!dbLabels.has(l) && labelToId[l] !== undefined) extra.push(l);
  return { missing, extra, mismatched };
}
