/**
 * The in-memory HNSW graph of one committed generation, with the label → id map that goes with it:
 * loaded from its file, or rebuilt from the vectors in SQLite, and brought forward by a writer's ops.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KbCorruptError } from '../../src/core/errors/index.js';
import { blobToVector, type Db } from '../store.js';
import { DB_FILE, indexFilePath, indexFilesIn, newHnsw, readHnswFile, type Hnsw } from './files.js';
import type { RebuildReason } from './types.js';

/** Deleted points tolerated before the graph is rebuilt without them. */
const COMPACT_MIN_DELETED = 1024;

/** What is fixed when an index is created. */
export interface GraphShape {
  dims: number;
  m: number;
  efConstruction: number;
  seed: number;
}

/** One generation's graph. hnswlib's numeric labels stay in here; callers see string ids. */
export interface Graph {
  hnsw: Hnsw;
  labelToId: (string | undefined)[];
  live: number;
  deleted: number;
  generation: number;
}

/** A change a committed transaction made, to replay on the graph. */
export type Op =
  | { kind: 'put'; label: number; id: string; vector: Float32Array; oldLabel: number | null }
  | { kind: 'del'; label: number; id: string }
  | { kind: 'meta' };

/** Where a graph is read from: the folder, its database and the generation the database is at. */
export interface GraphSource {
  dir: string;
  db: Db;
  shape: GraphShape;
  /** The generation committed in SQLite (read in the caller's snapshot when inside a transaction). */
  generation: () => number;
}

/**
 * Reads the id map and the HNSW file for one consistent SQLite snapshot; rebuilds the graph from the
 * stored vectors when the file is missing, stale or unreadable, and says why.
 */
export function loadGraph(src: GraphSource, initialCapacity: number): { graph: Graph; rebuilt: RebuildReason | null } {
  const { db, dir, shape } = src;
  const snapshot = db.transaction(() => ({
    generation: src.generation(),
    rows: db.prepare('SELECT label, id FROM items').raw().all() as [number, string][],
  }))();
  const file = indexFilePath(dir, snapshot.generation);
  let hnsw: Hnsw | null = null;
  let reason: RebuildReason | null = null;
  if (existsSync(file)) {
    try {
      hnsw = readHnswFile(file, shape.dims);
    } catch {
      reason = 'index-file-unreadable';
    }
  } else {
    const others = existsSync(dir) ? indexFilesIn(dir) : [];
    if (snapshot.rows.length === 0 && snapshot.generation === 0 && others.length === 0) {
      hnsw = newHnsw(shape, initialCapacity);
    } else {
      reason = others.length > 0 ? 'generation-mismatch' : 'index-file-missing';
    }
  }
  if (hnsw === null) return { graph: buildGraph(src, initialCapacity), rebuilt: reason };
  const labelToId: (string | undefined)[] = [];
  for (const [label, id] of snapshot.rows) labelToId[label] = id;
  const live = snapshot.rows.length;
  return { graph: { hnsw, labelToId, live, deleted: Math.max(0, hnsw.getCurrentCount() - live), generation: snapshot.generation }, rebuilt: null };
}

/** Builds a fresh graph from the vectors SQLite holds (one snapshot), e.g. after a crash. */
export function buildGraph(src: GraphSource, initialCapacity: number): Graph {
  const { db, dir, shape } = src;
  return db.transaction(() => {
    const generation = src.generation();
    const count = db.prepare('SELECT count(*) FROM items').pluck().get() as number;
    const hnsw = newHnsw(shape, Math.max(initialCapacity, Math.ceil(count * 1.25)));
    const labelToId: (string | undefined)[] = [];
    let live = 0;
    for (const row of db.prepare('SELECT label, id, vector FROM items ORDER BY label').raw().iterate() as Iterable<[number, string, Buffer]>) {
      const [label, id, blob] = row;
      const v = blobToVector(blob);
      if (v.length !== shape.dims) throw new KbCorruptError(join(dir, DB_FILE), `item ${JSON.stringify(id)} has a ${v.length}-d vector in a ${shape.dims}-d index`);
      hnsw.addPoint(Array.from(v), label, false);
      labelToId[label] = id;
      live++;
    }
    return { hnsw, labelToId, live, deleted: 0, generation };
  })();
}

/**
 * Replays a committed transaction's ops on the graph. Returns true when deleted points have come to
 * outnumber the live ones, so the caller should rebuild the graph without them.
 */
export function applyOps(graph: Graph, ops: readonly Op[]): boolean {
  const { hnsw } = graph;
  const drop = (label: number): void => {
    if (graph.labelToId[label] === undefined) return;
    hnsw.markDelete(label);
    graph.labelToId[label] = undefined;
    graph.deleted++;
    graph.live--;
  };
  // Grow once for the whole batch (doubling) rather than reallocating the graph several times inside it.
  const puts = ops.reduce((n, op) => n + (op.kind === 'put' ? 1 : 0), 0);
  let capacity = hnsw.getMaxElements();
  while (hnsw.getCurrentCount() + puts > capacity) capacity = Math.max(16, capacity * 2);
  if (capacity !== hnsw.getMaxElements()) hnsw.resizeIndex(capacity);
  for (const op of ops) {
    switch (op.kind) {
      case 'meta':
        break;
      case 'del':
        drop(op.label);
        break;
      case 'put':
        if (op.oldLabel !== null) drop(op.oldLabel);
        if (hnsw.getCurrentCount() >= hnsw.getMaxElements()) hnsw.resizeIndex(Math.max(16, hnsw.getMaxElements() * 2));
        hnsw.addPoint(Array.from(op.vector), op.label, false);
        graph.labelToId[op.label] = op.id;
        graph.live++;
        break;
      default:
        throw new Error(`unknown op ${(op as { kind: string }).kind}`);
    }
  }
  // Deleted points still cost memory and search time: once they outnumber the live ones, start afresh.
  return graph.deleted > Math.max(COMPACT_MIN_DELETED, graph.live);
}
