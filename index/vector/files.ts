/**
 * The files of an index folder: `store.sqlite` (items, vectors, generation) and `vectors.<generation>.hnsw`,
 * the HNSW graph saved after each commit under the generation it matches.
 */
import hnswlib from 'hnswlib-node';
import { closeSync, fstatSync, openSync, readdirSync, readSync, rmSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { environmentError, KbCorruptError } from '../../src/core/errors/index.js';
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
 * Writes `file` atomically: `write(tmp)` fills a temp file, which then replaces `file`. The default is
 * the core atomic write (fsync, rename, fsync of the folder); tests inject a failing one (a full disk).
 */
export type AtomicFileWriter = (file: string, write: (tmp: string) => void) => void;

export const atomicFileWriter: AtomicFileWriter = (file, write) => void withAtomicFileSync(file, write);

/** hnswlib's file header: offsets of cur_element_count, size_data_per_element and maxM, and its length. */
const HEADER = { count: 16, dataPerElement: 24, maxM: 56, length: 96 };

/**
 * Checks that an HNSW file is complete: hnswlib's writer ignores write errors, so a full disk leaves a
 * truncated file without any error. Walks the header and the per-element link lists (reading only the
 * small tail after the level-0 block) and throws an ENOSPC- or EIO-coded error when the file stops short.
 */
export function checkHnswFile(file: string, expectedCount: number): void {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const fail = (what: string): never => {
      let free = Infinity;
      try {
        const st = statfsSync(file);
        free = st.bavail * st.bsize;
      } catch {
        // No statfs: say what we know.
      }
      // A short file on a (nearly) full filesystem is the write that did not fit.
      const code = free < 1 << 20 ? 'ENOSPC' : 'EIO';
      throw Object.assign(new Error(`${code === 'ENOSPC' ? 'no space left on device' : 'incomplete write'}: ${file} ${what}`), { code });
    };
    if (size < HEADER.length) fail(`is ${size} bytes, shorter than its header`);
    const header = Buffer.alloc(HEADER.length);
    readSync(fd, header, 0, HEADER.length, 0);
    const count = Number(header.readBigUInt64LE(HEADER.count));
    const perElement = Number(header.readBigUInt64LE(HEADER.dataPerElement));
    if (count !== expectedCount) fail(`holds ${count} points instead of ${expectedCount}`);
    const linksAt = HEADER.length + count * perElement;
    if (size < linksAt) fail(`stops inside its vectors (${size} of at least ${linksAt} bytes)`);
    const tail = Buffer.alloc(size - linksAt);
    readSync(fd, tail, 0, tail.length, linksAt);
    let pos = 0;
    for (let i = 0; i < count; i++) {
      if (pos + 4 > tail.length) fail(`stops inside its links (element ${i} of ${count})`);
      pos += 4 + tail.readUInt32LE(pos);
    }
    if (pos !== tail.length) fail(`has ${tail.length - pos} bytes too many or too few after its links`);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes the graph as the file of `generation` (atomically, checked complete), then removes older files
 * except the previous generation's, which a reader that read the old generation a moment ago may still
 * be opening. A full disk is a DiskFullError, a read-only folder a NotWritableError; the old files stay.
 */
export function writeHnswFile(hnsw: Hnsw, dir: string, generation: number, writer: AtomicFileWriter = atomicFileWriter): void {
  const target = indexFilePath(dir, generation);
  try {
    writer(target, (tmp) => {
      hnsw.writeIndexSync(tmp);
      checkHnswFile(tmp, hnsw.getCurrentCount());
    });
  } catch (err) {
    throw environmentError(err, target, 'writing the HNSW index file') ?? new KbCorruptError(target, `cannot write the index file (${(err as Error).message})`, err);
  }
  for (const g of indexFilesIn(dir)) {
    if (g !== generation && g !== generation - 1) rmSync(indexFilePath(dir, g), { force: true });
  }
}
