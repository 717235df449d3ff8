import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SEARCH_EF, SEARCH_K } from '../../src/core/defaults.js';
import { environmentError, InputFileError, InvalidOptionError } from '../../src/core/errors/index.js';
import { blobToVector, getMeta, openDatabase, setMeta, storeError, type Db } from '../store.js';
import { checkVector, compareGraph, positiveInt } from './check.js';
import { checkOpenOptions, graphShape } from './shape.js';
import { atomicFileWriter, DB_FILE, indexFilePath, indexFilesIn, writeHnswFile, type AtomicFileWriter } from './files.js';
import { allowedLabels, exactScan, isActiveFilter, type FilterEntry } from './filters.js';
import { applyOps, buildGraph, loadGraph, type Graph, type GraphShape, type GraphSource, type Op } from './graph.js';
import { rowToItem, type ItemRow } from './rows.js';
import type { IndexedItem, IndexWriter, RebuildReason, SearchHit, SearchOptions, VectorIndexOptions, VectorRecord } from './types.js';
import { createWriter } from './writer.js';

/**
 * An HNSW vector index (hnswlib-node, cosine) whose metadata, ids and vectors live in SQLite.
 *
 * Every write is one SQLite transaction that also bumps a generation number; the HNSW graph is then
 * saved as `vectors.<generation>.hnsw` (temp file, fsync, rename). On open the generation in SQLite
 * picks the file; if that file is missing (a crash between commit and save) or unreadable, the graph is
 * rebuilt from the vectors in SQLite. So a reader always sees one committed state, never half of one.
 *
 * @example
 * const index = VectorIndex.open('/data/idx');
 * index.upsert([{ id: 'a', vector, modality: 'text', source: 'notes', contentHash: 'h1', modelVersion: 'm@1' }]);
 * const hits = index.search(queryVector, { k: 5, filter: { modality: 'image' } });
 * index.close();
 */
export class VectorIndex {
  readonly dir: string;
  readonly dims: number;
  readonly m: number;
  readonly efConstruction: number;
  readonly seed: number;
  readonly readonly: boolean;
  #ef: number;
  #db: Db;
  #clock: () => number;
  #graph!: Graph;
  #source: GraphSource;
  #rebuilt: RebuildReason | null = null;
  #filterCache: FilterEntry | null = null;
  #exactFilterMax: number;
  #closed = false;
  #refreshIntervalMs: number;
  #lastRefresh = -Infinity;
  #generationStmt: { get(): unknown };
  #writeFile: AtomicFileWriter;

  private constructor(
    dir: string,
    db: Db,
    shape: GraphShape,
    opts: { ef: number; clock: () => number; readonly: boolean; refreshIntervalMs: number; exactFilterMax: number; writeIndexFile: AtomicFileWriter },
  ) {
    this.dir = dir;
    this.#db = db;
    this.#clock = opts.clock;
    this.readonly = opts.readonly;
    this.dims = shape.dims;
    this.m = shape.m;
    this.efConstruction = shape.efConstruction;
    this.seed = shape.seed;
    this.#ef = opts.ef;
    this.#refreshIntervalMs = opts.refreshIntervalMs;
    this.#exactFilterMax = opts.exactFilterMax;
    this.#writeFile = opts.writeIndexFile;
    this.#generationStmt = db.prepare("SELECT value FROM meta WHERE key = 'generation'").pluck();
    this.#source = { dir, db, shape, generation: () => this.#dbGeneration() };
  }

  /**
   * Opens the index in `dir`, creating it when absent (unless `readonly`).
   *
   * @example
   * const index = VectorIndex.open('./idx', { dims: 256, ef: 128 });
   */
  static open(
    dir: string,
    {
      dims,
      m,
      efConstruction,
      seed,
      ef = SEARCH_EF,
      initialCapacity = 1024,
      clock = Date.now,
      readonly = false,
      persistRebuild = true,
      refreshIntervalMs = 50,
      exactFilterMax = 1024,
      writeIndexFile = atomicFileWriter,
    }: VectorIndexOptions = {},
  ): VectorIndex {
    checkOpenOptions({ dims, m, efConstruction, seed, ef, initialCapacity, refreshIntervalMs, exactFilterMax });
    const dbFile = join(dir, DB_FILE);
    if (readonly && !existsSync(dbFile)) {
      throw new InputFileError(dir, 'no index or knowledge base here (store.sqlite is missing); create one first, e.g. with `mmalign kb sync`');
    }
    if (!readonly) {
      try {
        mkdirSync(dir, { recursive: true });
      } catch (err) {
        throw environmentError(err, dir, 'creating the index folder') ?? err;
      }
    }
    const db = openDatabase(dbFile, { readonly });
    try {
      const shape = graphShape(db, { dims, m, efConstruction, seed }, readonly);
      const index = new VectorIndex(dir, db, shape, { ef, clock, readonly, refreshIntervalMs, exactFilterMax, writeIndexFile });
      index.#load(initialCapacity);
      if (index.#rebuilt !== null && persistRebuild && !readonly) index.save();
      return index;
    } catch (err) {
      db.close();
      throw storeError(err, dbFile, readonly ? 'reading the index' : 'opening the index for writing') ?? err;
    }
  }

  /** Number of committed writes so far; names the HNSW file that matches the SQLite state. */
  get generation(): number {
    return this.#graph.generation;
  }

  /** Number of live items. */
  get size(): number {
    return this.#graph.live;
  }

  /**
   * Points in the HNSW graph, and how many of them are deleted (kept until compaction).
   *
   * @example
   * const { points, deleted } = index.graphStats();
   */
  graphStats(): { points: number; deleted: number } {
    return { points: this.#graph.hnsw.getCurrentCount(), deleted: this.#graph.deleted };
  }

  /** Default search breadth. */
  get ef(): number {
    return this.#ef;
  }
  set ef(value: number) {
    this.#ef = positiveInt('ef', value);
  }

  /** Set when opening (or the last refresh) had to rebuild the graph from SQLite, with why. */
  get rebuiltOnOpen(): RebuildReason | null {
    return this.#rebuilt;
  }

  /** The SQLite connection (shared with the knowledge base, which keeps its tables next to the items). */
  get db(): Db {
    return this.#db;
  }

  /**
   * Path of the HNSW file for a generation (default: the current one).
   *
   * @example
   * existsSync(index.indexFile()); // false right after a crash between commit and save
   */
  indexFile(generation = this.#graph.generation): string {
    return indexFilePath(this.dir, generation);
  }

  /**
   * Generations that have an HNSW file on disk, newest first.
   *
   * @example
   * index.indexFilesOnDisk(); // [7, 6]
   */
  indexFilesOnDisk(): number[] {
    return indexFilesIn(this.dir);
  }

  #dbGeneration(): number {
    const v = this.#generationStmt.get();
    return v === undefined ? 0 : Number(v);
  }

  /** Loads the graph of the committed generation (from its file, or rebuilt from SQLite). */
  #load(initialCapacity: number): void {
    let loaded: ReturnType<typeof loadGraph>;
    try {
      loaded = loadGraph(this.#source, initialCapacity);
    } catch (err) {
      throw this.#storeError(err, 'loading the index');
    }
    const { graph, rebuilt } = loaded;
    // Just loaded: the next searches need not check again before refreshIntervalMs.
    this.#lastRefresh = performance.now();
    this.#graph = graph;
    this.#rebuilt = rebuilt;
    this.#filterCache = null;
  }

  #rebuildFromDb(): void {
    try {
      this.#graph = buildGraph(this.#source, 1024);
    } catch (err) {
      throw this.#storeError(err, 'rebuilding the index');
    }
    this.#filterCache = null;
  }

  /** Runs a read of the store, turning a damaged page into KbCorruptError. */
  #read<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw this.#storeError(err, 'reading the index');
    }
  }

  /** The mmalign error for a failure of the store (damage, full disk, read-only), else `err` itself. */
  #storeError(err: unknown, action: string): unknown {
    return storeError(err, join(this.dir, DB_FILE), action) ?? err;
  }

  /**
   * Rebuilds the graph from SQLite and saves it (what `verify --repair` does for a bad index file).
   *
   * @example
   * index.rebuild();
   */
  rebuild(): void {
    this.#assertOpen();
    this.#rebuildFromDb();
    if (!this.readonly) this.save();
  }

  /**
   * Catches up with commits made by other processes since this one loaded; cheap when nothing changed.
   * Returns whether anything was reloaded.
   *
   * @example
   * if (index.refresh()) console.log('now at generation', index.generation);
   */
  refresh(): boolean {
    this.#assertOpen();
    let generation: number;
    try {
      generation = this.#dbGeneration();
    } catch (err) {
      throw this.#storeError(err, 'reading the index');
    }
    if (generation === this.#graph.generation) return false;
    this.#load(1024);
    return true;
  }

  /**
   * Writes the HNSW graph as `vectors.<generation>.hnsw`: temp file, fsync, rename, fsync of the folder.
   * Older files are removed, except the previous generation's, which a reader that read the old generation
   * a moment ago may still be opening.
   *
   * @example
   * index.save();
   */
  save(): void {
    this.#assertWritable();
    writeHnswFile(this.#graph.hnsw, this.dir, this.#graph.generation, this.#writeFile);
  }

  /**
   * Writes the graph that opening had to rebuild (the file was missing, stale or unreadable) as the file
   * of its generation, also from a read-only handle: only the HNSW file is written, never SQLite. Call
   * it holding the writer lock. Does nothing, and returns false, when nothing was rebuilt or a writer has
   * committed since (its own save covers that generation).
   *
   * @example
   * const lock = await acquireLock(join(dir, 'writer.lock'), { timeoutMs: 0 });
   * try { index.saveRebuilt(); } finally { lock.release(); }
   */
  saveRebuilt(): boolean {
    this.#assertOpen();
    if (this.#rebuilt === null || this.#dbGeneration() !== this.#graph.generation) return false;
    writeHnswFile(this.#graph.hnsw, this.dir, this.#graph.generation, this.#writeFile);
    return true;
  }

  /**
   * Runs `fn` as one SQLite transaction: every upsert/delete in it (and anything `fn` writes through
   * `writer.db`) commits together or not at all. Then the graph is updated and saved under the new generation.
   *
   * @example
   * index.transaction((w) => { w.upsert(recA); w.delete('old'); });
   */
  transaction<T>(fn: (writer: IndexWriter) => T): T {
    this.#assertWritable();
    const db = this.#db;
    const ops: Op[] = [];
    const labels = { next: 0 };
    const writer = createWriter(db, this.dims, this.#clock(), labels, ops);
    let graphTouched = false;
    try {
      return db
        .transaction(() => {
          // Read under the write lock: another process may have committed since we loaded.
          const baseGeneration = this.#dbGeneration();
          labels.next = Number(getMeta(db, 'next_label') ?? 0);
          const r = fn(writer);
          if (ops.length === 0) return r;
          const generation = baseGeneration + 1;
          setMeta(db, 'generation', generation);
          setMeta(db, 'next_label', labels.next);
          // The graph file of the new generation is written before the commit, so a commit is never ahead
          // of its file: a crash or a full disk up to here leaves the database at the old generation and
          // its file, and a crash after the commit finds the file already there.
          graphTouched = true;
          if (baseGeneration !== this.#graph.generation) {
            // Our graph predates someone else's commit: applying only our ops would lose theirs.
            this.#graph = buildGraph(this.#source, 1024);
          } else if (applyOps(this.#graph, ops)) {
            this.#graph = buildGraph(this.#source, 1024);
          }
          this.#graph.generation = generation;
          this.#filterCache = null;
          writeHnswFile(this.#graph.hnsw, this.dir, generation, this.#writeFile);
          return r;
        })
        .immediate();
    } catch (err) {
      // Rolled back: the in-memory graph may hold the ops of a transaction that never committed.
      if (graphTouched) this.#load(1024);
      throw this.#storeError(err, 'committing to the index');
    }
  }

  /**
   * Adds or replaces items in one transaction.
   *
   * @example
   * const { added, updated } = index.upsert(records);
   */
  upsert(records: readonly VectorRecord[]): { added: number; updated: number } {
    let added = 0;
    let updated = 0;
    this.transaction((w) => {
      for (const r of records) (w.upsert(r) === 'added' ? added++ : updated++);
    });
    return { added, updated };
  }

  /**
   * Deletes items by id in one transaction; returns how many existed.
   *
   * @example
   * index.delete(['a', 'b']);
   */
  delete(ids: readonly string[]): number {
    let n = 0;
    this.transaction((w) => {
      for (const id of ids) if (w.delete(id)) n++;
    });
    return n;
  }

  /**
   * k nearest neighbours by cosine similarity. A filter is applied inside hnswlib's search through its
   * label callback (a precomputed bitmap of allowed labels from SQLite), so it returns the k best
   * matching items, not the matching few among k unfiltered ones.
   *
   * @example
   * index.search(q, { k: 10, ef: 128, filter: { modality: 'image', from: 30, to: 90, tags: ['news'] } });
   */
  search(query: ArrayLike<number>, { k = SEARCH_K, ef = this.#ef, filter }: SearchOptions = {}): SearchHit[] {
    this.#assertOpen();
    positiveInt('k', k);
    positiveInt('ef', ef);
    const q = checkVector(query, this.dims, null);
    const now = performance.now();
    if (now - this.#lastRefresh >= this.#refreshIntervalMs) {
      this.#lastRefresh = now;
      this.refresh();
    }
    const graph = this.#graph;
    let callback: ((label: number) => boolean) | undefined;
    let limit = graph.live;
    if (isActiveFilter(filter)) {
      const entry = this.#allowed(filter);
      if (entry.exact) return exactScan(graph, this.dims, q, Math.min(k, entry.count), entry.exact);
      const bits = entry.allowed;
      // A filter that lets everything through needs no callback (each call crosses from C++ into JS).
      if (entry.count < graph.live) callback = (label) => bits[label] === 1;
      limit = Math.min(limit, entry.count);
    }
    const n = Math.min(k, limit, graph.hnsw.getMaxElements());
    if (n <= 0) return [];
    graph.hnsw.setEf(Math.max(ef, n));
    const res = graph.hnsw.searchKnn(q, n, callback);
    const hits: SearchHit[] = [];
    for (let i = 0; i < res.neighbors.length; i++) {
      const id = graph.labelToId[res.neighbors[i]];
      if (id === undefined) continue;
      const distance = res.distances[i];
      hits.push({ id, distance, score: 1 - distance });
    }
    return hits;
  }

  /** The filter's allowed labels; cached for repeated searches with the same filter on the same generation. */
  #allowed(filter: NonNullable<SearchOptions['filter']>): FilterEntry {
    const cached = this.#filterCache;
    if (cached && cached.generation === this.#graph.generation && cached.key === JSON.stringify(filter)) return cached;
    try {
      return (this.#filterCache = allowedLabels(this.#db, this.#graph, this.dims, filter, this.#exactFilterMax));
    } catch (err) {
      throw this.#storeError(err, 'filtering the search');
    }
  }

  /**
   * Metadata of one item, or undefined.
   *
   * @example
   * index.get('clip.mp4#cue3')?.text;
   */
  get(id: string): IndexedItem | undefined {
    this.#assertOpen();
    const row = this.#read(() => this.#db.prepare('SELECT * FROM items WHERE id = ?').get(id) as ItemRow | undefined);
    return row ? rowToItem(row) : undefined;
  }

  /**
   * Metadata of several items at once, in the order asked (missing ones left out).
   *
   * @example
   * index.getMany(hits.map((h) => h.id));
   */
  getMany(ids: readonly string[]): IndexedItem[] {
    this.#assertOpen();
    if (ids.length === 0) return [];
    const rows = new Map<string, IndexedItem>();
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const found = this.#read(() => this.#db.prepare(`SELECT * FROM items WHERE id IN (${chunk.map(() => '?').join(', ')})`).all(...chunk) as ItemRow[]);
      for (const r of found) rows.set(r.id, rowToItem(r));
    }
    return ids.map((id) => rows.get(id)).filter((r): r is IndexedItem => r !== undefined);
  }

  /**
   * The stored vector of an item (as given, before hnswlib's normalisation), or undefined.
   *
   * @example
   * const v = index.getVector('a');
   */
  getVector(id: string): Float32Array | undefined {
    this.#assertOpen();
    const blob = this.#read(() => this.#db.prepare('SELECT vector FROM items WHERE id = ?').pluck().get(id) as Buffer | undefined);
    return blob ? blobToVector(blob) : undefined;
  }

  /**
   * Compares the loaded graph with SQLite: labels missing from or extra in the graph, and points whose
   * vector differs from the stored one. Used by `verify`.
   *
   * @example
   * const { missing, extra, mismatched } = index.checkGraph();
   */
  checkGraph(): { missing: string[]; extra: number[]; mismatched: string[] } {
    this.#assertOpen();
    return this.#read(() => compareGraph(this.#graph, this.#db));
  }

  /**
   * Closes the SQLite connection; the index cannot be used afterwards.
   *
   * @example
   * index.close();
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new InvalidOptionError('index', this.dir, 'an open index (this one was closed)');
  }

  #assertWritable(): void {
    this.#assertOpen();
    if (this.readonly) throw new InvalidOptionError('index', this.dir, 'an index opened for writing (this one is read-only)');
  }
}
