/**
 * Search filters: the labels a filter lets through, from one SQL query over the metadata, as a bitmap
 * for hnswlib's filter callback; for small sets also their unit vectors, answered by an exact scan.
 */
import { InvalidOptionError } from '../../src/core/errors/index.js';
import { MODALITIES } from '../../src/core/types.js';
import { blobToVector, type Db } from '../store.js';
import type { Graph } from './graph.js';
import type { SearchFilter, SearchHit } from './types.js';
import { appendAll } from '../../src/core/arrays.js';

/** Labels a filter allows; for small sets also their unit vectors, for an exact scan. */
export interface FilterEntry {
  key: string;
  generation: number;
  allowed: Uint8Array;
  count: number;
  exact: { labels: number[]; vectors: Float32Array } | null;
}

function asList<T>(v: T | readonly T[] | undefined): readonly T[] | undefined {
  if (v === undefined) return undefined;
  return Array.isArray(v) ? (v as readonly T[]) : [v as T];
}

/** True when the filter restricts anything (a filter of only undefined fields lets everything through). */
export function isActiveFilter(filter: SearchFilter | undefined): filter is SearchFilter {
  return filter !== undefined && Object.values(filter).some((v) => v !== undefined);
}

/** The WHERE clause and parameters of a filter over `items`; throws on a bad modality or time. */
function filterSql(filter: SearchFilter): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const modalities = asList(filter.modality);
  if (modalities) {
    for (const m of modalities) if (!MODALITIES.includes(m)) throw new InvalidOptionError('filter.modality', m, MODALITIES.join(' | '));
    where.push(`modality IN (${modalities.map(() => '?').join(', ') || 'NULL'})`);
    appendAll(params, modalities);
  }
  const sources = asList(filter.source);
  if (sources) {
    where.push(`source IN (${sources.map(() => '?').join(', ') || 'NULL'})`);
    appendAll(params, sources);
  }
  for (const [name, v] of [['filter.from', filter.from], ['filter.to', filter.to]] as const) {
    if (v !== undefined && !Number.isFinite(v)) throw new InvalidOptionError(name, v, 'a finite number of seconds');
  }
  if (filter.from !== undefined) {
    where.push('coalesce(end, start) >= ?');
    params.push(filter.from);
  }
  if (filter.to !== undefined) {
    where.push('start <= ?');
    params.push(filter.to);
  }
  const tags = filter.tags ? [...new Set(filter.tags)] : undefined;
  if (tags && tags.length > 0) {
    where.push(`id IN (SELECT id FROM item_tags WHERE tag IN (${tags.map(() => '?').join(', ')}) GROUP BY id HAVING count(*) = ?)`);
    appendAll(params, tags).push(tags.length);
  }
  return { sql: `SELECT label FROM items${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`, params };
}

/**
 * The allowed-label bitmap of a filter for the loaded graph (only labels in the graph count, so k is
 * never more than the graph can return), with unit vectors when at most `exactMax` pass.
 */
export function allowedLabels(db: Db, graph: Graph, dims: number, filter: SearchFilter, exactMax: number): FilterEntry {
  const key = JSON.stringify(filter);
  const { sql, params } = filterSql(filter);
  const labels = db.prepare(sql).pluck().all(...params) as number[];
  const { labelToId } = graph;
  const allowed = new Uint8Array(Math.max(labelToId.length, 1));
  let count = 0;
  for (const l of labels) {
    if (l < allowed.length && labelToId[l] !== undefined) {
      allowed[l] = 1;
      count++;
    }
  }
  let exact: FilterEntry['exact'] = null;
  if (count <= exactMax) {
    const kept = labels.filter((l) => l < allowed.length && allowed[l] === 1);
    const vectors = new Float32Array(kept.length * dims);
    const stmt = db.prepare('SELECT vector FROM items WHERE label = ?').pluck();
    const found: number[] = [];
    for (const l of kept) {
      const blob = stmt.get(l) as Buffer | undefined;
      if (!blob) continue;
      const v = blobToVector(blob);
      let nn = 0;
      for (let i = 0; i < v.length; i++) nn += v[i] * v[i];
      const inv = 1 / Math.sqrt(nn);
      const off = found.length * dims;
      for (let i = 0; i < dims; i++) vectors[off + i] = v[i] * inv;
      found.push(l);
    }
    exact = { labels: found, vectors: vectors.subarray(0, found.length * dims) };
  }
  return { key, generation: graph.generation, allowed, count, exact };
}

/** Exact cosine top-n over a small allowed set (unit vectors in one matrix). */
export function exactScan(graph: Graph, dims: number, q: number[], n: number, { labels, vectors }: { labels: number[]; vectors: Float32Array }): SearchHit[] {
  if (n <= 0) return [];
  let norm = 0;
  for (let i = 0; i < dims; i++) norm += q[i] * q[i];
  const inv = 1 / Math.sqrt(norm);
  const scores = new Float64Array(labels.length);
  for (let r = 0; r < labels.length; r++) {
    let dot = 0;
    const off = r * dims;
    for (let i = 0; i < dims; i++) dot += vectors[off + i] * q[i];
    scores[r] = dot * inv;
  }
  const order = Array.from(labels.keys()).sort((a, b) => scores[b] - scores[a] || labels[a] - labels[b]);
  const hits: SearchHit[] = [];
  for (const r of order) {
    const id = graph.labelToId[labels[r]];
    if (id === undefined) continue;
    hits.push({ id, distance: 1 - scores[r], score: scores[r] });
    if (hits.length === n) break;
  }
  return hits;
}
