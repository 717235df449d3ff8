import Database from 'better-sqlite3';
import { accessSync, constants as fsConstants, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { environmentError, InputFileError, KbCorruptError, MmalignError, systemErrorCode } from '../src/core/errors/index.js';
import { describeFsError } from '../src/core/fs.js';

/** better-sqlite3's connection type, re-exported so callers need not import the package. */
export type Db = Database.Database;

/**
 * Schema migrations, applied in order inside one transaction each. `PRAGMA user_version` records how
 * many ran, so an older database is brought forward on open and a newer one is refused rather than
 * misread. Append only: never edit a migration that shipped.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;

  -- One row per vector. label is hnswlib's numeric id: internal, never reused, so a stale index file can
  -- never make a label point at a different item. vector is float32 little-endian, kept so the HNSW file
  -- can always be rebuilt from here.
  CREATE TABLE items (
    id            TEXT PRIMARY KEY,
    label         INTEGER NOT NULL UNIQUE,
    modality      TEXT NOT NULL CHECK (modality IN ('text', 'image', 'audio')),
    source        TEXT NOT NULL,
    path          TEXT,
    start         REAL,
    end           REAL,
    text          TEXT,
    content_hash  TEXT NOT NULL,
    model_version TEXT NOT NULL,
    tags          TEXT NOT NULL DEFAULT '[]',
    timestamp     INTEGER,
    priority      INTEGER NOT NULL DEFAULT 0,
    vector        BLOB NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX items_modality ON items (modality);
  CREATE INDEX items_source ON items (source);
  CREATE INDEX items_start ON items (start);

  -- Tags get their own table so a tag filter is an indexed lookup, not a JSON scan of every row.
  CREATE TABLE item_tags (id TEXT NOT NULL REFERENCES items (id) ON DELETE CASCADE, tag TEXT NOT NULL,
                          PRIMARY KEY (tag, id)) STRICT, WITHOUT ROWID;
  CREATE INDEX item_tags_id ON item_tags (id);

  CREATE TABLE versions (
    version    INTEGER PRIMARY KEY,
    created_at INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    source     TEXT,
    added      INTEGER NOT NULL,
    updated    INTEGER NOT NULL,
    deleted    INTEGER NOT NULL,
    skipped    INTEGER NOT NULL DEFAULT 0,
    generation INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE changes (
    version      INTEGER NOT NULL REFERENCES versions (version),
    id           TEXT NOT NULL,
    change       TEXT NOT NULL CHECK (change IN ('added', 'updated', 'deleted', 'skipped')),
    modality     TEXT,
    source       TEXT,
    content_hash TEXT,
    reason       TEXT,
    PRIMARY KEY (version, id)
  ) STRICT;

  -- Embeddings by what was embedded and with which model + heads: a renamed, moved or re-synced item
  -- with the same content is never sent to the encoder again.
  CREATE TABLE embed_cache (
    content_hash  TEXT NOT NULL,
    model_version TEXT NOT NULL,
    vector        BLOB NOT NULL,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (content_hash, model_version)
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE sources (
    name        TEXT PRIMARY KEY,
    location    TEXT NOT NULL,
    priority    INTEGER NOT NULL,
    last_version INTEGER
  ) STRICT;

  CREATE TABLE evaluations (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    metric        TEXT NOT NULL,
    value         REAL NOT NULL,
    pairs         INTEGER NOT NULL,
    heads_version TEXT NOT NULL,
    at            INTEGER NOT NULL,
    kb_version    INTEGER NOT NULL
  ) STRICT;
  `,
];

/** Number of migrations this build knows; also the `user_version` of an up-to-date database. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** What a damaged SQLite file needs: `kb verify --repair` rebuilds the index *from* it, so it cannot help. */
export const DAMAGED_DB_ADVICE =
  'The SQLite file itself is damaged, so `kb verify --repair` cannot rebuild from it: restore the folder from a backup, ' +
  'or salvage what is readable with `sqlite3 store.sqlite ".recover" | sqlite3 recovered.sqlite` and sync the sources into a new knowledge base.';

const CORRUPT = /^SQLITE_(CORRUPT|NOTADB)/;
/** Codes of a read-only open that failed because SQLite could not set up WAL access in place (no -shm, read-only folder). */
const NOT_IN_PLACE = new Set(['SQLITE_CANTOPEN', 'SQLITE_READONLY', 'SQLITE_READONLY_DIRECTORY', 'SQLITE_READONLY_CANTINIT', 'SQLITE_READONLY_RECOVERY', 'SQLITE_READONLY_CANTLOCK']);

/**
 * True for the error of a damaged SQLite file (SQLITE_CORRUPT*, SQLITE_NOTADB), raw or as the cause
 * of the {@link KbCorruptError} {@link storeError} made of it.
 *
 * @example
 * if (isDamagedDatabase(err)) report = corruptReport(dir, err);
 */
export function isDamagedDatabase(err: unknown): err is Error {
  const code = systemErrorCode(err);
  return code !== null && CORRUPT.test(code);
}

/**
 * The mmalign error for a failure of the store: damaged pages or not a database → {@link KbCorruptError}
 * (with what to do), full disk → DiskFullError, read-only or forbidden → NotWritableError; mmalign errors
 * pass through; anything else gives null (the caller decides).
 *
 * @example
 * try { db.prepare(sql).all(); } catch (err) { throw storeError(err, file, 'reading items') ?? err; }
 */
export function storeError(err: unknown, file: string, action: string): MmalignError | null {
  if (err instanceof MmalignError) return err;
  const code = systemErrorCode(err);
  if (code !== null && CORRUPT.test(code)) {
    return new KbCorruptError(file, `the database is damaged (SQLite: ${(err as Error).message})`, err, DAMAGED_DB_ADVICE);
  }
  return environmentError(err, file, action);
}

/**
 * Opens (creating if needed) the SQLite database of an index or knowledge base, in WAL mode so readers
 * keep reading a consistent snapshot while one writer commits.
 *
 * Read-only opens work where nothing may be written (a read-only mount, a folder of another user): SQLite
 * reads a WAL database in place when its `-shm` file is there; when it is not (the last writer closed
 * cleanly) and cannot be created, the database is read into memory as a snapshot, folding in a leftover
 * `-wal` through a private temp copy. Nothing is ever written next to the database by a reader.
 * Writable opens check first that the folder and the database's files may be written
 * (NotWritableError naming the one that may not, e.g. a `-wal` left by another user).
 *
 * @example
 * const db = openDatabase('/data/kb/kb.sqlite');
 * db.prepare('SELECT count(*) FROM items').pluck().get();
 */
export function openDatabase(file: string, { readonly = false, busyTimeoutMs = 10_000 }: { readonly?: boolean; busyTimeoutMs?: number } = {}): Db {
  const db = readonly ? openForReading(file) : openForWriting(file);
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    if (!readonly) {
      db.pragma('journal_mode = WAL');
      // FULL: a committed sync survives power loss, not just a process crash; syncs are few and large.
      db.pragma('synchronous = FULL');
    }
    db.pragma('foreign_keys = ON');
    migrate(db, file, readonly);
  } catch (err) {
    db.close();
    throw storeError(err, file, readonly ? 'reading the knowledge base' : 'opening the knowledge base for writing') ??
      new KbCorruptError(file, `not a usable mmalign database (${(err as Error).message})`, err);
  }
  return db;
}

/** Throws NotWritableError unless the folder and every existing file of the database may be written. */
function assertWritable(file: string, action: string): void {
  const check = (path: string, mode: number): void => {
    try {
      accessSync(path, mode);
    } catch (err) {
      throw environmentError(err, path, action) ?? err;
    }
  };
  check(dirname(file), fsConstants.W_OK);
  for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) check(f, fsConstants.R_OK | fsConstants.W_OK);
}

function openForWriting(file: string): Db {
  const action = 'opening the knowledge base for writing';
  assertWritable(file, action);
  try {
    return new Database(file);
  } catch (err) {
    throw storeError(err, file, action) ?? new KbCorruptError(file, `cannot open the SQLite database (${(err as Error).message})`, err);
  }
}

function openForReading(file: string): Db {
  let db: Db | null = null;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    // SQLite opens lazily: the first read is where a missing -shm in a read-only folder shows.
    db.prepare('SELECT count(*) FROM sqlite_master').pluck().get();
    return db;
  } catch (err) {
    db?.close();
    const code = systemErrorCode(err);
    if (code === null || !NOT_IN_PLACE.has(code)) {
      throw storeError(err, file, 'reading the knowledge base') ?? new KbCorruptError(file, `cannot open the SQLite database (${(err as Error).message})`, err);
    }
  }
  return openSnapshot(file);
}

/** The database as one in-memory snapshot: its bytes (with a leftover WAL folded in), marked as a rollback-journal database. */
function openSnapshot(file: string): Db {
  const read = (path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new InputFileError(path, `cannot read the knowledge base's database (${describeFsError(err, 'read')})`, err);
    }
  };
  const wal = `${file}-wal`;
  let bytes: Buffer;
  if (existsSync(wal) && statSync(wal).size > 0) {
    // The newest commits are in the log, which SQLite only reads through a -shm file: replay a private copy.
    const tmp = mkdtempSync(join(tmpdir(), 'mmalign-kb-snapshot-'));
    try {
      const copy = join(tmp, 'store.sqlite');
      writeFileSync(copy, read(file));
      writeFileSync(`${copy}-wal`, read(wal));
      const c = new Database(copy);
      try {
        c.pragma('wal_checkpoint(TRUNCATE)');
      } finally {
        c.close();
      }
      bytes = readFileSync(copy);
    } catch (err) {
      throw storeError(err, file, 'reading the knowledge base') ?? new KbCorruptError(file, `cannot read the database with its write-ahead log (${(err as Error).message})`, err);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  } else {
    bytes = read(file);
  }
  // Header bytes 18-19 say "WAL"; an in-memory database cannot be WAL, and this copy is never written.
  if (bytes.length >= 20 && bytes[18] === 2) bytes[18] = bytes[19] = 1;
  try {
    const db = new Database(bytes, { readonly: true });
    db.prepare('SELECT count(*) FROM sqlite_master').pluck().get();
    return db;
  } catch (err) {
    throw storeError(err, file, 'reading the knowledge base') ?? new KbCorruptError(file, `cannot open the SQLite database (${(err as Error).message})`, err);
  }
}

function migrate(db: Db, file: string, readonly: boolean): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new KbCorruptError(file, `schema version ${current} is newer than this mmalign understands (${SCHEMA_VERSION}); upgrade mmalign`);
  }
  if (current === SCHEMA_VERSION) return;
  if (readonly) throw new KbCorruptError(file, `schema version ${current} needs migrating; open it once for writing`);
  for (let v = current; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}

/** Reads one `meta` value. */
export function getMeta(db: Db, key: string): string | undefined {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value;
}

/** Writes one `meta` value (inside the caller's transaction, if any). */
export function setMeta(db: Db, key: string, value: string | number): void {
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, String(value));
}

/** float32 little-endian bytes of a vector (a copy, so the caller's array can change afterwards). */
export function vectorToBlob(v: ArrayLike<number>): Buffer {
  const f = Float32Array.from(v as ArrayLike<number>);
  return Buffer.from(f.buffer, f.byteOffset, f.byteLength);
}

/** The inverse of {@link vectorToBlob}; copies so the result is aligned and owned. */
export function blobToVector(b: Uint8Array): Float32Array {
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}
