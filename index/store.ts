import Database from 'better-sqlite3';
import { KbCorruptError } from '../src/core/errors/index.js';

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

/**
 * Opens (creating if needed) the SQLite database of an index or knowledge base, in WAL mode so readers
 * keep reading a consistent snapshot while one writer commits.
 *
 * @example
 * const db = openDatabase('/data/kb/kb.sqlite');
 * db.prepare('SELECT count(*) FROM items').pluck().get();
 */
export function openDatabase(file: string, { readonly = false, busyTimeoutMs = 10_000 }: { readonly?: boolean; busyTimeoutMs?: number } = {}): Db {
  let db: Db;
  try {
    db = new Database(file, { readonly, fileMustExist: readonly });
  } catch (err) {
    throw new KbCorruptError(file, `cannot open the SQLite database (${(err as Error).message})`, err);
  }
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
    if (err instanceof KbCorruptError) throw err;
    throw new KbCorruptError(file, `not a usable mmalign database (${(err as Error).message})`, err);
  }
  return db;
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
