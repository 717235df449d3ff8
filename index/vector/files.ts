/**
 * The files of an index folder: `store.sqlite` (items, vectors, generation) and `vectors.<generation>.hnsw`,
 * the HNSW graph saved after each commit under the generation it matches.
 */
import hnswlib from 'hnswlib-node';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { KbCorruptError } from '../../src/core/errors/index.js';
import { withAtomicFileSync } from '../../src/core/fs.js';

const { HierarchicalNSW } = hnswlib;
export type Hnsw = InstanceType<typeof HierarchicalNSW>;

/** File names inside an index folder. The HNSW file carries its generation in its name. */
export const DB_FILE = 'store.sqlite';
const INDEX_FILE_RE = /^vectors\.(\d+)\.hnsw$/;

/** Path of the HNSW file of one generation. */
export function indexFilePath(dir: string, generation: number): string {
  return join(dir, `vectors.${generation}.hnsw`);
}

/**
 * Generations that have an HNSW file in `dir`, newest first.
 *
 * @example
 * indexFilesIn('/data/kb'); // [7, 6]
 */
export function indexFilesIn(dir: string): number[] {
  return readdirSync(dir)
    .map((f) => INDEX_FILE_RE.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a);
}

/** A new empty cosine graph of the given shape. */
export function newHnsw(shape: { dims: number; m: number; efConstruction: number; seed: number }, capacity: number): Hnsw {
  const hnsw = new HierarchicalNSW('cosine', shape.dims);
  hnsw.initIndex(capacity, shape.m, shape.efConstruction, shape.seed, false);
  return hnsw;
}

/** Reads an HNSW file; throws when it cannot be read or holds vectors of another width. */
export function readHnswFile(file: string, dims: number): Hnsw {
  const hnsw = new HierarchicalNSW('cosine', dims);
  hnsw.readIndexSync(file, false);
  if (hnsw.getNumDimensions() !== dims) throw new Error('width differs');
  return hnsw;
}

/**
 * Writes the graph as the file of `generation` (temp file, fsync, rename, fsync of the folder), then
 * removes older files except the previous generation's, which a reader that read the old generation a
 * moment ago may still be opening.
 */
export function writeHnswFile(hnsw: Hnsw, dir: string, generation: number): void {
  const target = indexFilePath(dir, generation);
  try {
    withAtomicFileSync(target, (tmp) => hnsw.writeIndexSync(tmp));
  } catch (err) {
    throw new KbCorruptError(target, `cannot write the index file (${(err as Error).message})`, err);
  }
  for (const g of indexFilesIn(dir)) {
    if (g !== generation && g !== generation - 1) rmSync(indexFilePath(dir, g), { force: true });
  }
}
