import hnswlib from 'hnswlib-node';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { EMBED_DIM, MODALITIES, type Modality } from '../src/core/types.js';
import { SEARCH_EF, SEARCH_K } from '../src/core/defaults.js';
import { InputFileError, InvalidOptionError, InvalidVectorError, KbCorruptError, VectorDimensionError } from '../src/core/errors/index.js';
import { withAtomicFileSync } from '../src/core/fs.js';
import { blobToVector, getMeta, openDatabase, setMeta, vectorToBlob, type Db } from './store.js';

const { HierarchicalNSW } = hnswlib;
type Hnsw = InstanceType<typeof HierarchicalNSW>;

/** File names inside an index folder. The HNSW file carries its generation in its name. */
export const DB_FILE = 'store.sqlite';
const INDEX_FILE_RE = /^vectors\.(\d+)\.hnsw$/;
/** Deleted points tolerated before the graph is rebuilt without them. */
const COMPACT_MIN_DELETED = 1024;
const indexFileName = (generation: number): string => `vectors.${generation}.hnsw`;

/** What an item carries besides its vector. Times are seconds (media time); `timestamp` is ms since epoch. */
export interface ItemFields {
  modality: Modality;
  /** Name of the source the item came from (a folder, a manifest, an `align` run). */
  source: string;
  /** File the item was read from, when there is one. */
  path?: string | null;
  start?: number | null;
  end?: number | null;
  text?: string | null;
  /** Hash of what was embedded; equal hashes + equal model version mean the vector need not be recomputed. */
  contentHash: string;
  /** Model + heads the vector was made with, e.g. `bert-tiny@heads-3f2a`. */
  modelVersion: string;
  tags?: readonly string[];
  /** When the item's content was last changed at its source (ms since epoch); decides conflicts. */
  timestamp?: number | null;
  /** Tie-breaker for conflicts on equal timestamps: higher wins. */
  priority?: number;
}

/** An item to add or replace. */
export interface VectorRecord extends ItemFields {
  /** Stable string id; hnswlib's numeric labels stay internal. */
  id: string;
  vector: ArrayLike<number>;
}

/** An item as stored. */
export interface IndexedItem {
  id: string;
  modality: Modality;
  source: string;
  path: string | null;
  start: number | null;
  end: number | null;
  text: string | null;
  contentHash: string;
  modelVersion: string;
  tags: string[];
  timestamp: number | null;
  priority: number;
  createdAt: number;
  updatedAt: number;
}

/**
 * Restricts a search. All given fields must hold (AND); a list means any of its values (OR), except
 * `tags`, where an item must carry every listed tag. `from`/`to` (seconds) keep items whose
 * [start, end] overlaps the range; items without times are left out when a range is given.
 */
export interface SearchFilter {
  modality?: Modality | readonly Modality[];
  source?: string | readonly string[];
  from?: number;
  to?: number;
  tags?: readonly string[];
}

export interface SearchOptions {
  /** Number of neighbours (default 10). */
  k?: number;
  /** HNSW search breadth; higher is slower and more exact. Raised to `k` when smaller. Default: the index's `ef`. */
  ef?: number;
  filter?: SearchFilter;
}

export interface SearchHit {
  id: string;
  /** Cosine distance, 1 − cosine similarity. */
  distance: number;
  /** Cosine similarity. */
  score: number;
}

export interface VectorIndexOptions {
  /** Vector width; fixed when the index is created (default 256, the shared space). */
  dims?: number;
  /** HNSW graph degree (default 16); fixed at creation. */
  m?: number;
  /** HNSW build breadth (default 200); fixed at creation. */
  efConstruction?: number;
  /** Seed of hnswlib's level generator, so builds are reproducible (default 100). */
  seed?: number;
  /** Default search breadth (default 64). */
  ef?: number;
  /** Slots allocated for a new index; it doubles whenever full (default 1024). */
  initialCapacity?: number;
  /** Milliseconds since epoch; injectable for tests. */
  clock?: () => number;
  /** Open without writing anything; the folder must already hold an index. */
  readonly?: boolean;
  /** After rebuilding a missing or stale HNSW file on open, write it back (default true). */
  persistRebuild?: boolean;
  /**
   * Searches look for other processes' commits at most this often (default 50 ms; 0 = before every
   * search). The check is a SQLite read that costs about as much as 5-10% of a fast search.
   */
  refreshIntervalMs?: number;
  /**
   * A filter that lets at most this many items through is answered by an exact scan of those items
   * (default 1024; 0 = always HNSW with the filter callback). hnswlib's filtered search has to walk most of
   * the graph when few items pass (measured: 10.5 ms vs 0.17 ms per query for 50 of 20k items); the scan is
   * exact and far cheaper there.
   */
  exactFilterMax?: number;
}

/** Why the in-memory HNSW graph was rebuilt from SQLite instead of read from its file, if it was. */
export type RebuildReason = 'index-file-missing' | 'index-file-unreadable' | 'generation-mismatch';

/** Handle given to {@link VectorIndex.transaction}; everything done through it commits or rolls back together. */
export interface IndexWriter {
  /** Adds or replaces one item; returns which it was. */
  upsert(record: VectorRecord): 'added' | 'updated';
  /** Deletes one item; `false` when there was none. */
  delete(id: string): boolean;
  /** The SQLite connection, for callers that keep their own tables in the same transaction. */
  readonly db: Db;
  /** Time of this transaction (the injected clock, read once). */
  readonly now: number;
}

/** Labels a filter allows; for small sets also their unit vectors, for an exact scan. */
interface FilterEntry {
  key: string;
  generation: number;
  allowed: Uint8Array;
  count: number;
  exact: { labels: number[]; vectors: Float32Array } | null;
}

type Op =
  | { kind: 'put'; label: number; id: string; vector: Float32Array; oldLabel: number | null }
  | { kind: 'del'; label: number; id: string }
  | { kind: 'meta' };

interface ItemRow {
  id: string;
  label: number;
  modality: Modality;
  source: string;
  path: string | null;
  start: number | null;
  end: number | null;
  text: string | null;
  content_hash: string;
  model_version: string;
  tags: string;
  timestamp: number | null;
  priority: number;
  created_at: number;
  updated_at: number;
}

/**
 * Checks a vector and returns it as the plain Array hnswlib wants. Throws {@link VectorDimensionError} or
 * {@link InvalidVectorError}; `id` is null for queries.
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

function asList<T>(v: T | readonly T[] | undefined): readonly T[] | undefined {
  if (v === undefined) return undefined;
  return Array.isArray(v) ? (v as readonly T[]) : [v as T];
}

function positiveInt(name: string, v: number, min = 1): number {
  if (!Number.isInteger(v) || v < min) throw new InvalidOptionError(name, v, `an integer >= ${min}`);
  return v;
}

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
  #hnsw!: Hnsw;
  #generation = 0;
  #labelToId: (string | undefined)[] = [];
  #live = 0;
  #deleted = 0;
  #rebuilt: RebuildReason | null = null;
  #filterCache: FilterEntry | null = null;
  #exactFilterMax: number;
  #closed = false;
  #refreshIntervalMs: number;
  #lastRefresh = -Infinity;
  #stmts: {
    generation: { get(): unknown };
  };

  private constructor(dir: string, db: Db, opts: Required<Omit<VectorIndexOptions, 'initialCapacity' | 'persistRebuild' | 'refreshIntervalMs' | 'exactFilterMax'>> & {
      initialCapacity: number;
      persistRebuild: boolean;
      refreshIntervalMs: number;
      exactFilterMax: number;
    }) {
    this.dir = dir;
    this.#db = db;
    this.#clock = opts.clock;
    this.readonly = opts.readonly;
    this.dims = opts.dims;
    this.m = opts.m;
    this.efConstruction = opts.efConstruction;
    this.seed = opts.seed;
    this.#ef = opts.ef;
    this.#refreshIntervalMs = opts.refreshIntervalMs;
    this.#exactFilterMax = opts.exactFilterMax;
    this.#stmts = { generation: db.prepare("SELECT value FROM meta WHERE key = 'generation'").pluck() };
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
    }: VectorIndexOptions = {},
  ): VectorIndex {
    positiveInt('ef', ef);
    positiveInt('initialCapacity', initialCapacity);
    if (!Number.isInteger(exactFilterMax) || exactFilterMax < 0) throw new InvalidOptionError('exactFilterMax', exactFilterMax, 'an integer >= 0');
    if (!(refreshIntervalMs >= 0)) throw new InvalidOptionError('refreshIntervalMs', refreshIntervalMs, 'milliseconds >= 0');
    if (dims !== undefined) positiveInt('dims', dims);
    if (m !== undefined) positiveInt('m', m, 2);
    if (efConstruction !== undefined) positiveInt('efConstruction', efConstruction);
    if (seed !== undefined && !Number.isInteger(seed)) throw new InvalidOptionError('seed', seed, 'an integer');
    const dbFile = join(dir, DB_FILE);
    if (readonly && !existsSync(dbFile)) {
      throw new InputFileError(dir, 'no index or knowledge base here (store.sqlite is missing); create one first, e.g. with `mmalign kb sync`');
    }
    if (!readonly) mkdirSync(dir, { recursive: true });
    const db = openDatabase(dbFile, { readonly });
    try {
      // The shape of the graph is fixed at creation; later opens read it back so callers need not repeat it.
      const stored = {
        dims: getMeta(db, 'dims'),
        m: getMeta(db, 'm'),
        efConstruction: getMeta(db, 'ef_construction'),
        seed: getMeta(db, 'seed'),
      };
      if (stored.dims !== undefined && dims !== undefined && Number(stored.dims) !== dims) {
        throw new InvalidOptionError('dims', dims, `${stored.dims}, the width this index was created with`);
      }
      const shape = {
        dims: stored.dims !== undefined ? Number(stored.dims) : (dims ?? EMBED_DIM),
        m: stored.m !== undefined ? Number(stored.m) : (m ?? 16),
        efConstruction: stored.efConstruction !== undefined ? Number(stored.efConstruction) : (efConstruction ?? 200),
        seed: stored.seed !== undefined ? Number(stored.seed) : (seed ?? 100),
      };
      if (stored.dims === undefined && !readonly) {
        db.transaction(() => {
          setMeta(db, 'dims', shape.dims);
          setMeta(db, 'm', shape.m);
          setMeta(db, 'ef_construction', shape.efConstruction);
          setMeta(db, 'seed', shape.seed);
          setMeta(db, 'generation', 0);
          setMeta(db, 'next_label', 0);
        }).immediate();
      }
      const index = new VectorIndex(dir, db, { ...shape, ef, initialCapacity, clock, readonly, persistRebuild, refreshIntervalMs, exactFilterMax });
      index.#load(initialCapacity);
      if (index.#rebuilt !== null && persistRebuild && !readonly) index.save();
      return index;
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /** Number of committed writes so far; names the HNSW file that matches the SQLite state. */
  get generation(): number {
    return this.#generation;
  }

  /** Number of live items. */
  get size(): number {
    return this.#live;
  }

  /**
   * Points in the HNSW graph, and how many of them are deleted (kept until compaction).
   *
   * @example
   * const { points, deleted } = index.graphStats();
   */
  graphStats(): { points: number; deleted: number } {
    return { points: this.#hnsw.getCurrentCount(), deleted: this.#deleted };
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
  indexFile(generation = this.#generation): string {
    return join(this.dir, indexFileName(generation));
  }

  /**
   * Generations that have an HNSW file on disk, newest first.
   *
   * @example
   * index.indexFilesOnDisk(); // [7, 6]
   */
  indexFilesOnDisk(): number[] {
    return readdirSync(this.dir)
      .map((f) => INDEX_FILE_RE.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => b - a);
  }

  #dbGeneration(): number {
    const v = this.#stmts.generation.get();
    return v === undefined ? 0 : Number(v);
  }

  /** Reads the id map and the HNSW file for one consistent SQLite snapshot; rebuilds the graph if needed. */
  #load(initialCapacity: number): void {
    const db = this.#db;
    const snapshot = db.transaction(() => {
      const generation = this.#dbGeneration();
      const rows = db.prepare('SELECT label, id FROM items').raw().all() as [number, string][];
      return { generation, rows };
    })();
    // Just loaded: the next searches need not check again before refreshIntervalMs.
    this.#lastRefresh = performance.now();
    const labelToId: (string | undefined)[] = [];
    for (const [label, id] of snapshot.rows) labelToId[label] = id;
    const file = this.indexFile(snapshot.generation);
    let hnsw: Hnsw | null = null;
    let reason: RebuildReason | null = null;
    if (existsSync(file)) {
      try {
        hnsw = new HierarchicalNSW('cosine', this.dims);
        hnsw.readIndexSync(file, false);
        if (hnsw.getNumDimensions() !== this.dims) throw new Error('width differs');
      } catch {
        hnsw = null;
        reason = 'index-file-unreadable';
      }
    } else {
      const others = existsSync(this.dir) ? this.indexFilesOnDisk() : [];
      if (snapshot.rows.length === 0 && snapshot.generation === 0 && others.length === 0) {
        hnsw = new HierarchicalNSW('cosine', this.dims);
        hnsw.initIndex(initialCapacity, this.m, this.efConstruction, this.seed, false);
      } else {
        reason = others.length > 0 ? 'generation-mismatch' : 'index-file-missing';
      }
    }
    this.#labelToId = labelToId;
    this.#live = snapshot.rows.length;
    this.#generation = snapshot.generation;
    if (hnsw === null) {
      this.#rebuildFromDb(initialCapacity, snapshot.generation);
      this.#rebuilt = reason;
    } else {
      this.#hnsw = hnsw;
      this.#deleted = Math.max(0, hnsw.getCurrentCount() - this.#live);
      this.#rebuilt = null;
    }
    this.#filterCache = null;
  }

  /** Builds a fresh graph from the vectors SQLite holds (one snapshot), e.g. after a crash. */
  #rebuildFromDb(initialCapacity: number, expectGeneration?: number): void {
    const db = this.#db;
    db.transaction(() => {
      const generation = this.#dbGeneration();
      if (expectGeneration !== undefined && generation !== expectGeneration) {
        // Another writer committed between our two reads: take its state instead, all of it.
        this.#generation = generation;
      }
      const count = db.prepare('SELECT count(*) FROM items').pluck().get() as number;
      const hnsw = new HierarchicalNSW('cosine', this.dims);
      hnsw.initIndex(Math.max(initialCapacity, Math.ceil(count * 1.25)), this.m, this.efConstruction, this.seed, false);
      const labelToId: (string | undefined)[] = [];
      let live = 0;
      for (const row of db.prepare('SELECT label, id, vector FROM items ORDER BY label').raw().iterate() as Iterable<[number, string, Buffer]>) {
        const [label, id, blob] = row;
        const v = blobToVector(blob);
        if (v.length !== this.dims) throw new KbCorruptError(join(this.dir, DB_FILE), `item ${JSON.stringify(id)} has a ${v.length}-d vector in a ${this.dims}-d index`);
        hnsw.addPoint(Array.from(v), label, false);
        labelToId[label] = id;
        live++;
      }
      this.#hnsw = hnsw;
      this.#labelToId = labelToId;
      this.#live = live;
      this.#deleted = 0;
      this.#generation = generation;
    })();
    this.#filterCache = null;
  }

  /**
   * Rebuilds the graph from SQLite and saves it (what `verify --repair` does for a bad index file).
   *
   * @example
   * index.rebuild();
   */
  rebuild(): void {
    this.#assertOpen();
    this.#rebuildFromDb(1024);
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
    if (this.#dbGeneration() === this.#generation) return false;
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
    const target = this.indexFile();
    try {
      withAtomicFileSync(target, (tmp) => this.#hnsw.writeIndexSync(tmp));
    } catch (err) {
      throw new KbCorruptError(target, `cannot write the index file (${(err as Error).message})`, err);
    }
    for (const g of this.indexFilesOnDisk()) {
      if (g !== this.#generation && g !== this.#generation - 1) rmSync(this.indexFile(g), { force: true });
    }
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
    const stmts = {
      find: db.prepare('SELECT label, created_at FROM items WHERE id = ?'),
      insert: db.prepare(`INSERT INTO items (id, label, modality, source, path, start, end, text, content_hash, model_version, tags, timestamp, priority, vector, created_at, updated_at)
        VALUES (@id, @label, @modality, @source, @path, @start, @end, @text, @contentHash, @modelVersion, @tags, @timestamp, @priority, @vector, @createdAt, @updatedAt)`),
      vector: db.prepare('SELECT vector FROM items WHERE id = ?').pluck(),
      update: db.prepare(`UPDATE items SET label = @label, modality = @modality, source = @source, path = @path, start = @start, end = @end, text = @text,
        content_hash = @contentHash, model_version = @modelVersion, tags = @tags, timestamp = @timestamp, priority = @priority, vector = @vector, updated_at = @updatedAt WHERE id = @id`),
      delete: db.prepare('DELETE FROM items WHERE id = ?'),
      deleteTags: db.prepare('DELETE FROM item_tags WHERE id = ?'),
      insertTag: db.prepare('INSERT OR IGNORE INTO item_tags (id, tag) VALUES (?, ?)'),
    };
    let nextLabel = 0;
    const now = this.#clock();
    const writer: IndexWriter = {
      db,
      now,
      upsert: (rec) => {
        // Kept as float32 until applied: a 100k-item transaction would otherwise hold 100k boxed arrays at once.
        const vector = blobToVector(vectorToBlob(this.#checkRecord(rec)));
        const tags = [...new Set(rec.tags ?? [])].sort();
        const existing = stmts.find.get(rec.id) as { label: number; created_at: number } | undefined;
        const row = {
          id: rec.id,
          modality: rec.modality,
          source: rec.source,
          path: rec.path ?? null,
          start: rec.start ?? null,
          end: rec.end ?? null,
          text: rec.text ?? null,
          contentHash: rec.contentHash,
          modelVersion: rec.modelVersion,
          tags: JSON.stringify(tags),
          timestamp: rec.timestamp == null ? null : Math.round(rec.timestamp),
          priority: Math.round(rec.priority ?? 0),
          vector: Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength),
          updatedAt: now,
        };
        if (existing) {
          const before = stmts.vector.get(rec.id) as Buffer;
          // A changed vector gets a fresh label (old point marked deleted, new one inserted): hnswlib's
          // in-place update and replace-deleted paths keep the old slot's links, and a point moved far
          // away then becomes unreachable (measured: exact-vector queries missing it at any ef).
          const label = before.equals(row.vector) ? existing.label : nextLabel++;
          stmts.update.run({ ...row, label });
          stmts.deleteTags.run(rec.id);
          ops.push(label === existing.label ? { kind: 'meta' } : { kind: 'put', label, id: rec.id, vector, oldLabel: existing.label });
        } else {
          const label = nextLabel++;
          stmts.insert.run({ ...row, label, createdAt: now });
          ops.push({ kind: 'put', label, id: rec.id, vector, oldLabel: null });
        }
        for (const t of tags) stmts.insertTag.run(rec.id, t);
        return existing ? 'updated' : 'added';
      },
      delete: (id) => {
        const existing = stmts.find.get(id) as { label: number } | undefined;
        if (!existing) return false;
        stmts.deleteTags.run(id);
        stmts.delete.run(id);
        ops.push({ kind: 'del', label: existing.label, id });
        return true;
      },
    };
    let baseGeneration = 0;
    let newGeneration = 0;
    const result = db
      .transaction(() => {
        // Read under the write lock: another process may have committed since we loaded.
        baseGeneration = this.#dbGeneration();
        nextLabel = Number(getMeta(db, 'next_label') ?? 0);
        const r = fn(writer);
        newGeneration = baseGeneration;
        if (ops.length > 0) {
          newGeneration = baseGeneration + 1;
          setMeta(db, 'generation', newGeneration);
          setMeta(db, 'next_label', nextLabel);
        }
        return r;
      })
      .immediate();
    if (ops.length === 0) return result;
    if (baseGeneration !== this.#generation) {
      // Our graph predates someone else's commit: applying only our ops would lose theirs.
      this.#load(1024);
    } else {
      this.#apply(ops);
      this.#generation = newGeneration;
    }
    this.save();
    return result;
  }

  #apply(ops: readonly Op[]): void {
    const hnsw = this.#hnsw;
    const drop = (label: number): void => {
      if (this.#labelToId[label] === undefined) return;
      hnsw.markDelete(label);
      this.#labelToId[label] = undefined;
      this.#deleted++;
      this.#live--;
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
          this.#labelToId[op.label] = op.id;
          this.#live++;
          break;
        default:
          throw new Error(`unknown op ${(op as { kind: string }).kind}`);
      }
    }
    // Deleted points still cost memory and search time: once they outnumber the live ones, start afresh.
    if (this.#deleted > Math.max(COMPACT_MIN_DELETED, this.#live)) this.#rebuildFromDb(1024);
    this.#filterCache = null;
  }

  #checkRecord(rec: VectorRecord): number[] {
    if (typeof rec.id !== 'string' || rec.id.length === 0) throw new InvalidOptionError('id', rec.id, 'a non-empty string');
    if (!MODALITIES.includes(rec.modality)) throw new InvalidOptionError(`modality of ${rec.id}`, rec.modality, MODALITIES.join(' | '));
    if (typeof rec.source !== 'string') throw new InvalidOptionError(`source of ${rec.id}`, rec.source, 'a string');
    if (typeof rec.contentHash !== 'string' || typeof rec.modelVersion !== 'string') {
      throw new InvalidOptionError(`contentHash/modelVersion of ${rec.id}`, [rec.contentHash, rec.modelVersion], 'strings');
    }
    for (const t of [rec.start, rec.end, rec.timestamp, rec.priority]) {
      if (t != null && !Number.isFinite(t)) throw new InvalidOptionError(`times/priority of ${rec.id}`, t, 'finite numbers');
    }
    return checkVector(rec.vector, this.dims, rec.id);
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
    let callback: ((label: number) => boolean) | undefined;
    let limit = this.#live;
    if (filter && Object.values(filter).some((v) => v !== undefined)) {
      const entry = this.#allowedLabels(filter);
      if (entry.exact) return this.#exactScan(q, Math.min(k, entry.count), entry.exact);
      const bits = entry.allowed;
      // A filter that lets everything through needs no callback (each call crosses from C++ into JS).
      if (entry.count < this.#live) callback = (label) => bits[label] === 1;
      limit = Math.min(limit, entry.count);
    }
    const n = Math.min(k, limit, this.#hnsw.getMaxElements());
    if (n <= 0) return [];
    this.#hnsw.setEf(Math.max(ef, n));
    const res = this.#hnsw.searchKnn(q, n, callback);
    const hits: SearchHit[] = [];
    for (let i = 0; i < res.neighbors.length; i++) {
      const id = this.#labelToId[res.neighbors[i]];
      if (id === undefined) continue;
      const distance = res.distances[i];
      hits.push({ id, distance, score: 1 - distance });
    }
    return hits;
  }

  /** Exact cosine top-n over a small allowed set (unit vectors in one matrix). */
  #exactScan(q: number[], n: number, { labels, vectors }: { labels: number[]; vectors: Float32Array }): SearchHit[] {
    if (n <= 0) return [];
    const d = this.dims;
    let norm = 0;
    for (let i = 0; i < d; i++) norm += q[i] * q[i];
    const inv = 1 / Math.sqrt(norm);
    const scores = new Float64Array(labels.length);
    for (let r = 0; r < labels.length; r++) {
      let dot = 0;
      const off = r * d;
      for (let i = 0; i < d; i++) dot += vectors[off + i] * q[i];
      scores[r] = dot * inv;
    }
    const order = Array.from(labels.keys()).sort((a, b) => scores[b] - scores[a] || labels[a] - labels[b]);
    const hits: SearchHit[] = [];
    for (const r of order) {
      const id = this.#labelToId[labels[r]];
      if (id === undefined) continue;
      hits.push({ id, distance: 1 - scores[r], score: scores[r] });
      if (hits.length === n) break;
    }
    return hits;
  }

  /** Allowed-label bitmap for a filter, from one SQL query; cached for repeated searches with the same filter. */
  #allowedLabels(filter: SearchFilter): FilterEntry {
    const key = JSON.stringify(filter);
    const cached = this.#filterCache;
    if (cached && cached.key === key && cached.generation === this.#generation) return cached;
    const where: string[] = [];
    const params: unknown[] = [];
    const modalities = asList(filter.modality);
    if (modalities) {
      for (const m of modalities) if (!MODALITIES.includes(m)) throw new InvalidOptionError('filter.modality', m, MODALITIES.join(' | '));
      where.push(`modality IN (${modalities.map(() => '?').join(', ') || 'NULL'})`);
      params.push(...modalities);
    }
    const sources = asList(filter.source);
    if (sources) {
      where.push(`source IN (${sources.map(() => '?').join(', ') || 'NULL'})`);
      params.push(...sources);
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
      params.push(...tags, tags.length);
    }
    const sql = `SELECT label FROM items${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
    const labels = this.#db.prepare(sql).pluck().all(...params) as number[];
    const allowed = new Uint8Array(Math.max(this.#labelToId.length, 1));
    let count = 0;
    for (const l of labels) {
      // Only labels present in the loaded graph count, so k is never more than the graph can return.
      if (l < allowed.length && this.#labelToId[l] !== undefined) {
        allowed[l] = 1;
        count++;
      }
    }
    let exact: FilterEntry['exact'] = null;
    if (count <= this.#exactFilterMax) {
      const kept = labels.filter((l) => l < allowed.length && allowed[l] === 1);
      const vectors = new Float32Array(kept.length * this.dims);
      const stmt = this.#db.prepare('SELECT vector FROM items WHERE label = ?').pluck();
      const found: number[] = [];
      for (const l of kept) {
        const blob = stmt.get(l) as Buffer | undefined;
        if (!blob) continue;
        const v = blobToVector(blob);
        let nn = 0;
        for (let i = 0; i < v.length; i++) nn += v[i] * v[i];
        const inv = 1 / Math.sqrt(nn);
        const off = found.length * this.dims;
        for (let i = 0; i < this.dims; i++) vectors[off + i] = v[i] * inv;
        found.push(l);
      }
      exact = { labels: found, vectors: vectors.subarray(0, found.length * this.dims) };
    }
    const entry: FilterEntry = { key, generation: this.#generation, allowed, count, exact };
    this.#filterCache = entry;
    return entry;
  }

  /**
   * Metadata of one item, or undefined.
   *
   * @example
   * index.get('clip.mp4#cue3')?.text;
   */
  get(id: string): IndexedItem | undefined {
    this.#assertOpen();
    const row = this.#db.prepare('SELECT * FROM items WHERE id = ?').get(id) as ItemRow | undefined;
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
      const found = this.#db.prepare(`SELECT * FROM items WHERE id IN (${chunk.map(() => '?').join(', ')})`).all(...chunk) as ItemRow[];
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
    const blob = this.#db.prepare('SELECT vector FROM items WHERE id = ?').pluck().get(id) as Buffer | undefined;
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
    const missing: string[] = [];
    const mismatched: string[] = [];
    const inGraph = new Set<number>();
    const graphLabels = this.#hnsw.getIdsList();
    for (const l of graphLabels) inGraph.add(l);
    const dbLabels = new Set<number>();
    for (const [label, id, blob] of this.#db.prepare('SELECT label, id, vector FROM items').raw().iterate() as Iterable<[number, string, Buffer]>) {
      dbLabels.add(label);
      if (!inGraph.has(label) || this.#labelToId[label] !== id) {
        missing.push(id);
        continue;
      }
      const stored = blobToVector(blob);
      let point: number[];
      try {
        point = this.#hnsw.getPoint(label);
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
    for (const l of graphLabels) if (!dbLabels.has(l) && this.#labelToId[l] !== undefined) extra.push(l);
    return { missing, extra, mismatched };
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

function rowToItem(r: ItemRow): IndexedItem {
  return {
    id: r.id,
    modality: r.modality,
    source: r.source,
    path: r.path,
    start: r.start,
    end: r.end,
    text: r.text,
    contentHash: r.content_hash,
    modelVersion: r.model_version,
    tags: JSON.parse(r.tags) as string[],
    timestamp: r.timestamp,
    priority: r.priority,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
