import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Modality, Warning } from '../src/core/types.js';
import { KB_EMBED_BATCH, LOCK_TIMEOUT_MS, SEARCH_EF } from '../src/core/defaults.js';
import { InputFileError, InvalidOptionError, KbModelMismatchError, MmalignError } from '../src/core/errors/index.js';
import type { EncoderOptions } from '../encoders/encoder.js';
import { ProjectionHeads } from '../encoders/heads.js';
import { blobToVector, getMeta, vectorToBlob, type Db } from './store.js';
import { removeStaleTemps, writeFileAtomic } from '../src/core/fs.js';
import { acquireLock, lockHolder, type HeldLock } from '../src/core/lock.js';
import { contentHashOfFile, scanSource, type ScannedVideo, type SourceItem } from './sources.js';
import {
  checkVector,
  DB_FILE,
  VectorIndex,
  type IndexedItem,
  type SearchHit,
  type SearchOptions,
} from './vector-index.js';

/**
 * What the knowledge base needs from an encoder: a version string recorded with every vector (model id +
 * heads version; it keys the embedding cache) and batch embedding into the shared space. Text items are
 * given as their text, image and audio items as absolute file paths.
 */
export interface Embedder {
  readonly version: string;
  embed(batch: readonly string[]): Promise<Float32Array[]>;
  dispose?(): Promise<void>;
}

/** Gives the embedder of a modality; called at most once per modality per open knowledge base. */
export type EmbedderProvider = (modality: Modality) => Promise<Embedder>;

export interface KnowledgeBaseOptions {
  /** ms since epoch; injectable for tests. */
  clock?: () => number;
  /** Encoders to use (tests pass fakes). Default: {@link defaultEmbedders} with `encoderOptions`. */
  encoders?: EmbedderProvider;
  /** Options for the default encoders (model, device, modelsDir, heads...). */
  encoderOptions?: EncoderOptions;
  /** How long a writer waits for another writer's lock before {@link KbLockedError} (default 10 s). */
  lockTimeoutMs?: number;
  /** Open for searching and listing only. */
  readonly?: boolean;
  /** Default search breadth (default 64). */
  ef?: number;
  /** Items per encoder call (default 32). */
  batchSize?: number;
  /**
   * Write back an index file rebuilt on open, and remove temp files of crashed writers, when no other writer
   * holds the lock (default true). `verify` callers turn it off to see the damage in the report.
   */
  repairOnOpen?: boolean;
}

export interface SyncOptions {
  /** Conflict tie-breaker for this source (default: what it was last synced with, else 0). Higher wins. */
  priority?: number;
  /** Name the source's items are recorded under (default: its absolute path). */
  sourceName?: string;
  /** Called as work advances (for progress bars). */
  onProgress?: (stage: 'scan' | 'align' | 'encode' | 'commit', done: number, total: number) => void;
  /**
   * Videos with sidecar subtitles: `cues` (default) indexes each cue as a text item with its times;
   * `align` runs the align pipeline (`alignVideo`, cue mode, real encoders) and indexes per cue its text,
   * its frame and its audio. An aligned video whose file and subtitles are unchanged is not re-aligned.
   */
  videos?: 'cues' | 'align';
  /** Runs the align pipeline for `videos: 'align'` (injectable for tests; default: `alignVideo`). */
  alignVideo?: AlignVideoFn;
}

/** What sync needs from the align pipeline: run it into `out`, handing pairs and vectors to `sink`. */
export type AlignVideoFn = (
  video: string,
  subtitles: string,
  options: { out: string; sink: (batch: AlignedBatch) => Promise<void>; device?: EncoderOptions['device']; modelsDir?: string; heads?: EncoderOptions['heads'] },
) => Promise<{ warnings: Warning[]; files: { embeddingsIndex: string | null } }>;

export type ChangeKind = 'added' | 'updated' | 'deleted' | 'skipped';

export interface SyncResult {
  version: number;
  source: string;
  added: number;
  updated: number;
  deleted: number;
  unchanged: number;
  /** Items this source offered but another source's copy won (see the conflict rule). */
  skipped: number;
  /** Items sent to an encoder; the rest came from the embedding cache or were unchanged. */
  encoded: number;
  warnings: Warning[];
}

export interface KbVersion {
  version: number;
  createdAt: number;
  kind: 'sync' | 'repair';
  source: string | null;
  added: number;
  updated: number;
  deleted: number;
  skipped: number;
  generation: number;
}

export interface KbChange {
  version: number;
  id: string;
  change: ChangeKind;
  modality: Modality | null;
  source: string | null;
  contentHash: string | null;
  reason: string | null;
}

export interface KbSearchHit extends SearchHit {
  item: IndexedItem;
}

/** A search query: text, an image or audio file, or a vector already in the shared space. */
export type KbQuery = string | { text: string } | { image: string } | { audio: string } | { vector: ArrayLike<number> };

export type VerifyProblemKind =
  | 'sqlite-integrity'
  | 'index-file-missing'
  | 'index-file-unreadable'
  | 'generation-mismatch'
  | 'index-out-of-sync'
  | 'stale-temp-file'
  | 'bad-vector'
  | 'source-file-missing'
  | 'source-file-changed';

export interface VerifyProblem {
  kind: VerifyProblemKind;
  message: string;
  id?: string;
  path?: string;
  repaired: boolean;
}

export interface VerifyReport {
  ok: boolean;
  items: number;
  filesChecked: number;
  generation: number;
  problems: VerifyProblem[];
  /** Version recorded for the repair, when repairing deleted items. */
  repairVersion: number | null;
}

export interface Evaluation {
  metric: string;
  value: number;
  pairs: number;
  headsVersion: string;
  /** ms since epoch. */
  at: number;
  /** Knowledge-base version current when it was recorded. */
  kbVersion: number;
}

const LOCK_FILE = 'writer.lock';

/**
 * Embedders backed by the ONNX encoders (`createEncoder`), loaded on first use so opening a knowledge
 * base for listing never loads a model. The recorded version is `<modelId>@<heads version>`.
 *
 * @example
 * const kb = await KnowledgeBase.open('./kb', { encoders: defaultEmbedders({ device: 'cpu' }) });
 */
export function defaultEmbedders(options: EncoderOptions = {}): EmbedderProvider {
  return async (modality) => {
    const { createEncoder } = await import('../encoders/encoder.js');
    const enc = await createEncoder(modality, options);
    const heads = (enc as unknown as { heads?: { metadata?: { version?: string } } }).heads;
    return {
      version: `${enc.modelId}@${heads?.metadata?.version ?? 'default'}`,
      embed: (batch) => enc.embed(batch),
      dispose: () => enc.dispose(),
    };
  };
}

interface ExistingRow {
  id: string;
  source: string;
  content_hash: string;
  model_version: string;
  timestamp: number | null;
  priority: number;
  path: string | null;
  start: number | null;
  end: number | null;
  text: string | null;
  tags: string;
  modality: Modality;
}

/** An item offered by a source, with the model version its vector has (or will have). */
type PlanItem = SourceItem & { modelVersion: string };

type Plan =
  | { kind: 'add' | 'update'; item: PlanItem; priority: number; existing?: ExistingRow; reason?: string }
  | { kind: 'unchanged'; item: PlanItem }
  | { kind: 'skip'; item: PlanItem; reason: string }
  | { kind: 'delete'; existing: ExistingRow };

/** An item with its vector already computed (e.g. by the align pipeline), for {@link KnowledgeBase.ingest}. */
export interface IngestItem {
  id: string;
  modality: Modality;
  vector: ArrayLike<number>;
  /** Model + heads version of the vector. */
  modelVersion: string;
  /** Hash of what was embedded; unchanged hash + version on a re-ingest leaves the item alone. */
  contentHash: string;
  text?: string | null;
  path?: string | null;
  start?: number | null;
  end?: number | null;
  tags?: readonly string[];
  /** ms since epoch (default: now). */
  timestamp?: number;
  priority?: number;
}

/**
 * Conflict rule between an item a source offers and the copy another source put there: the newer
 * timestamp wins; on equal timestamps the higher priority wins; on a full tie the copy already there
 * stays (so two syncs never flip-flop).
 *
 * @example
 * incomingWins({ timestamp: 2, priority: 0 }, { timestamp: 1, priority: 9 }); // true
 */
export function incomingWins(incoming: { timestamp: number; priority: number }, current: { timestamp: number | null; priority: number }): boolean {
  const ct = current.timestamp ?? -Infinity;
  if (incoming.timestamp !== ct) return incoming.timestamp > ct;
  return incoming.priority > current.priority;
}

/**
 * A knowledge base: a folder with a {@link VectorIndex} (HNSW + SQLite) fed by syncs of folders and
 * manifests. Each sync is one version; unchanged items are never re-encoded (embedding cache keyed by
 * content hash + model/heads version); one writer at a time (a lock file), any number of readers.
 *
 * @example
 * const kb = await KnowledgeBase.open('./kb');
 * const r = await kb.sync('./photos', { priority: 1 });
 * const hits = await kb.search('a dog on a beach', { k: 5, filter: { modality: 'image' } });
 * await kb.close();
 */
export class KnowledgeBase {
  readonly dir: string;
  readonly index: VectorIndex;
  #clock: () => number;
  #provider: EmbedderProvider;
  #embedders = new Map<Modality, Promise<Embedder>>();
  #lockTimeoutMs: number;
  #batchSize: number;
  #encoderOptions: EncoderOptions;
  #closed = false;

  private constructor(
    dir: string,
    index: VectorIndex,
    clock: () => number,
    provider: EmbedderProvider,
    lockTimeoutMs: number,
    batchSize: number,
    encoderOptions: EncoderOptions,
  ) {
    this.#encoderOptions = encoderOptions;
    this.dir = dir;
    this.index = index;
    this.#clock = clock;
    this.#provider = provider;
    this.#lockTimeoutMs = lockTimeoutMs;
    this.#batchSize = batchSize;
  }

  /**
   * Opens (creating unless `readonly`) the knowledge base in `dir`. If the HNSW file does not match the
   * database (a writer crashed between commit and save) the graph is rebuilt from the stored vectors, and
   * written back when no other writer holds the lock.
   *
   * @example
   * const kb = await KnowledgeBase.open('./kb', { lockTimeoutMs: 30_000 });
   */
  static async open(
    dir: string,
    { clock = Date.now, encoders, encoderOptions, lockTimeoutMs = LOCK_TIMEOUT_MS, readonly = false, ef = SEARCH_EF, batchSize = KB_EMBED_BATCH, repairOnOpen = true }: KnowledgeBaseOptions = {},
  ): Promise<KnowledgeBase> {
    if (!(lockTimeoutMs >= 0)) throw new InvalidOptionError('lockTimeoutMs', lockTimeoutMs, 'milliseconds >= 0');
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new InvalidOptionError('batchSize', batchSize, 'a positive integer');
    const abs = resolve(dir);
    if (readonly && !existsSync(join(abs, DB_FILE))) {
      throw new InputFileError(dir, 'no knowledge base here; create one with `mmalign kb sync SOURCE --kb DIR`');
    }
    const index = VectorIndex.open(abs, { clock, readonly, ef, persistRebuild: false });
    const kb = new KnowledgeBase(abs, index, clock, encoders ?? defaultEmbedders(encoderOptions), lockTimeoutMs, batchSize, encoderOptions ?? {});
    if (!readonly && repairOnOpen) {
      let lock: HeldLock | null = null;
      try {
        lock = await acquireLock(kb.#lockFile, { timeoutMs: 0, purpose: 'open', clock });
      } catch {
        // Another writer is active; it will save a fresh index file itself.
      }
      if (lock) {
        try {
          removeStaleTemps(abs);
          if (index.rebuiltOnOpen !== null) index.save();
        } finally {
          lock.release();
        }
      }
    }
    return kb;
  }

  get #lockFile(): string {
    return join(this.dir, LOCK_FILE);
  }

  get #db(): Db {
    return this.index.db;
  }

  /** Number of the newest version (0 before the first sync). */
  get currentVersion(): number {
    return (this.#db.prepare('SELECT coalesce(max(version), 0) FROM versions').pluck().get() as number) ?? 0;
  }

  /** Number of items. */
  get size(): number {
    this.index.refresh();
    return this.index.size;
  }

  async #embedder(modality: Modality): Promise<Embedder> {
    let e = this.#embedders.get(modality);
    if (!e) {
      e = this.#provider(modality);
      this.#embedders.set(modality, e);
      e.catch(() => this.#embedders.delete(modality));
    }
    return e;
  }

  async #withLock<T>(purpose: string, fn: () => Promise<T>): Promise<T> {
    this.#assertWritable();
    const lock = await acquireLock(this.#lockFile, { timeoutMs: this.#lockTimeoutMs, purpose, clock: this.#clock });
    try {
      this.index.refresh();
      return await fn();
    } finally {
      lock.release();
    }
  }

  /**
   * Brings the knowledge base in line with a source (folder or JSONL manifest): new items are added,
   * changed ones replaced, items gone from the source deleted, unchanged ones left alone. All of it is one
   * version, committed in one transaction. Items owned by another source follow {@link incomingWins}.
   *
   * @example
   * const r = await kb.sync('./notes', { sourceName: 'notes', priority: 2 });
   * console.log(`v${r.version}: +${r.added} ~${r.updated} -${r.deleted}`);
   */
  async sync(source: string, { priority, sourceName, onProgress, videos = 'cues', alignVideo }: SyncOptions = {}): Promise<SyncResult> {
    if (videos !== 'cues' && videos !== 'align') throw new InvalidOptionError('videos', videos, "'cues' or 'align'");
    if (priority !== undefined && !Number.isInteger(priority)) throw new InvalidOptionError('priority', priority, 'an integer');
    if (sourceName !== undefined && sourceName.trim() === '') throw new InvalidOptionError('sourceName', sourceName, 'a non-empty name');
    return this.#withLock(`sync ${source}`, async () => {
      onProgress?.('scan', 0, 1);
      const scan = await scanSource(source, { exclude: [this.dir] });
      onProgress?.('scan', 1, 1);
      const name = sourceName ?? scan.location;
      const db = this.#db;
      const storedPriority = db.prepare('SELECT priority FROM sources WHERE name = ?').pluck().get(name) as number | undefined;
      const sourcePriority = priority ?? storedPriority ?? 0;

      const warnings: Warning[] = [...scan.warnings];
      const vectors = new Map<string, Float32Array>(); // key: hash \0 version
      let items = scan.items;
      const aligned: PlanItem[] = [];
      const fingerprints: { file: string; value: string }[] = [];
      if (videos === 'align' && scan.videos.length > 0) {
        let done = 0;
        onProgress?.('align', 0, scan.videos.length);
        for (const v of scan.videos) {
          const r = await this.#alignedItems(v, name, alignVideo);
          items = items.filter((it) => !it.id.startsWith(`${v.id}#cue`));
          warnings.push(...r.warnings);
          for (const it of r.items) {
            aligned.push(it.item);
            if (it.vector) vectors.set(`${it.item.contentHash}\0${it.item.modelVersion}`, it.vector);
          }
          fingerprints.push(r.fingerprint);
          onProgress?.('align', ++done, scan.videos.length);
        }
      }

      // Versions of the encoders this scan needs: they decide "unchanged" and key the cache.
      const versions = new Map<Modality, string>();
      for (const m of new Set(items.map((i) => i.modality))) versions.set(m, (await this.#embedder(m)).version);

      const plans = this.#plan(name, [...items.map((it) => ({ ...it, modelVersion: versions.get(it.modality) as string })), ...aligned], sourcePriority);

      // Vectors: the embedding cache first (covers metadata-only changes and moved/duplicated content), then the encoders.
      const cacheStmt = db.prepare('SELECT vector FROM embed_cache WHERE content_hash = ? AND model_version = ?').pluck();
      const todo = new Map<Modality, Map<string, PlanItem>>();
      for (const p of plans) {
        if (p.kind !== 'add' && p.kind !== 'update') continue;
        const version = p.item.modelVersion;
        const key = `${p.item.contentHash}\0${version}`;
        if (vectors.has(key)) continue;
        if (p.existing && p.existing.content_hash === p.item.contentHash && p.existing.model_version === version) {
          // Metadata-only change (tags, times, owner): the stored vector is still right.
          const stored = this.index.getVector(p.item.id);
          if (stored) {
            vectors.set(key, stored);
            continue;
          }
        }
        const cached = cacheStmt.get(p.item.contentHash, version) as Buffer | undefined;
        if (cached && cached.byteLength === this.index.dims * 4) {
          vectors.set(key, blobToVector(cached));
          continue;
        }
        let byModality = todo.get(p.item.modality);
        if (!byModality) todo.set(p.item.modality, (byModality = new Map()));
        byModality.set(key, p.item);
      }
      const fresh = new Map<string, { hash: string; version: string; vector: Float32Array }>();
      const total = [...todo.values()].reduce((n, m) => n + m.size, 0);
      let done = 0;
      onProgress?.('encode', 0, total);
      for (const [modality, byKey] of todo) {
        const embedder = await this.#embedder(modality);
        const entries = [...byKey.entries()];
        for (let i = 0; i < entries.length; i += this.#batchSize) {
          const batch = entries.slice(i, i + this.#batchSize);
          const results = await this.#embedBatch(embedder, batch.map(([, it]) => it), warnings);
          batch.forEach(([key, it], j) => {
            const v = results[j];
            if (v === null) return; // reported as a warning; the item keeps its old copy, if any
            vectors.set(key, v);
            fresh.set(key, { hash: it.contentHash, version: it.modelVersion, vector: v });
          });
          done += batch.length;
          onProgress?.('encode', done, total);
        }
      }

      onProgress?.('commit', 0, 1);
      const { version, counts } = this.#commit(name, scan.location, sourcePriority, plans, (it) => vectors.get(`${it.contentHash}\0${it.modelVersion}`), [...fresh.values()]);
      // Only after the commit: a crash before it must make the next sync align again.
      for (const f of fingerprints) await writeFileAtomic(f.file, f.value);
      onProgress?.('commit', 1, 1);
      return { version, source: name, ...counts, encoded: fresh.size, warnings };
    });
  }

  /**
   * Brings a source in line with items whose vectors are already computed (no encoder is called): the
   * same add / replace / delete / conflict rules and one version, like {@link sync}. What `mmalign align
   * --kb` uses through {@link alignedSink}.
   *
   * @example
   * await kb.ingest([{ id: 'clip.mp4#text:1', modality: 'text', vector, modelVersion: 'bert@h1', contentHash: 'h', text: 'Hi', start: 1, end: 2 }],
   *   { sourceName: '/videos/clip.mp4' });
   */
  async ingest(items: readonly IngestItem[], { sourceName, priority, location = sourceName }: { sourceName: string; priority?: number; location?: string }): Promise<SyncResult> {
    if (typeof sourceName !== 'string' || sourceName.trim() === '') throw new InvalidOptionError('sourceName', sourceName, 'a non-empty name');
    if (priority !== undefined && !Number.isInteger(priority)) throw new InvalidOptionError('priority', priority, 'an integer');
    const seen = new Set<string>();
    for (const it of items) {
      if (seen.has(it.id)) throw new InvalidOptionError('items', it.id, 'unique ids (this one is given twice)');
      seen.add(it.id);
      checkVector(it.vector, this.index.dims, it.id);
    }
    return this.#withLock(`ingest ${sourceName}`, async () => {
      const storedPriority = this.#db.prepare('SELECT priority FROM sources WHERE name = ?').pluck().get(sourceName) as number | undefined;
      const sourcePriority = priority ?? storedPriority ?? 0;
      const now = this.#clock();
      const vectors = new Map<string, Float32Array>();
      const planItems: PlanItem[] = items.map((it) => {
        vectors.set(it.id, Float32Array.from(it.vector));
        return {
          id: it.id,
          modality: it.modality,
          path: it.path ?? null,
          text: it.text ?? null,
          start: it.start ?? null,
          end: it.end ?? null,
          tags: [...(it.tags ?? [])],
          timestamp: Math.round(it.timestamp ?? now),
          priority: it.priority ?? null,
          contentHash: it.contentHash,
          modelVersion: it.modelVersion,
        };
      });
      const plans = this.#plan(sourceName, planItems, sourcePriority);
      const { version, counts } = this.#commit(sourceName, location, sourcePriority, plans, (it) => vectors.get(it.id), []);
      return { version, source: sourceName, ...counts, encoded: 0, warnings: [] };
    });
  }

  /**
   * A video's items from the align pipeline: per cue its text, frame and audio, ids `<video id>#text:3`,
   * `#frame:t000012.500`, `#audio:3`. When the video and subtitles match the fingerprint of the last
   * aligned sync, the stored items are offered again as they are (nothing re-aligned or re-encoded).
   */
  async #alignedItems(
    v: ScannedVideo,
    sourceName: string,
    alignFn: AlignVideoFn | undefined,
  ): Promise<{ items: { item: PlanItem; vector?: Float32Array }[]; warnings: Warning[]; fingerprint: { file: string; value: string } }> {
    const out = join(this.dir, 'aligned', createHash('sha256').update(v.video).digest('hex').slice(0, 16));
    const [vs, ss] = await Promise.all([stat(v.video), stat(v.subtitles)]);
    const { heads, modelsDir: models } = this.#encoderOptions;
    const value = JSON.stringify({
      video: v.video,
      size: vs.size,
      mtime: vs.mtimeMs,
      subtitles: await contentHashOfFile('text', v.subtitles),
      mode: 'cue',
      // Other models or heads give other vectors: re-align.
      models: models ?? null,
      // The weights' version, not the path: heads retrained in place (heads watch) must re-align.
      heads: typeof heads === 'string' ? (await ProjectionHeads.load(heads)).metadata.version : (heads?.metadata.version ?? null),
    });
    const fingerprint = { file: join(out, 'kb-fingerprint.json'), value };
    const timestamp = Math.round(Math.max(vs.mtimeMs, ss.mtimeMs));
    const previous = await readFile(fingerprint.file, 'utf8').catch(() => null);
    if (previous === value) {
      const rows = this.#db
        .prepare("SELECT id, modality, path, text, start, end, tags, timestamp, priority, content_hash, model_version FROM items WHERE source = ? AND id LIKE ? ESCAPE '\\'")
        .all(sourceName, `${v.id.replace(/[\\%_]/g, (c) => `\\${c}`)}#%`) as {
        id: string; modality: Modality; path: string | null; text: string | null; start: number | null; end: number | null; tags: string;
        timestamp: number | null; priority: number; content_hash: string; model_version: string;
      }[];
      const reused = rows.filter((r) => /#(text|frame|audio):/.test(r.id));
      if (reused.length > 0) {
        return {
          items: reused.map((r) => ({
            item: { id: r.id, modality: r.modality, path: r.path, text: r.text, start: r.start, end: r.end, tags: JSON.parse(r.tags) as string[],
              timestamp: r.timestamp ?? timestamp, priority: null, contentHash: r.content_hash, modelVersion: r.model_version },
          })),
          warnings: [],
          fingerprint,
        };
      }
    }
    let batch: AlignedBatch | null = null;
    const run = alignFn ?? (async (video, subtitles, options) => (await import('../src/pipeline/index.js')).alignVideo(video, subtitles, { ...options, mode: 'cue' }));
    const { device, modelsDir } = this.#encoderOptions;
    const result = await run(v.video, v.subtitles, { out, device, modelsDir, heads, sink: async (b) => void (batch = b) });
    if (batch === null) return { items: [], warnings: [...result.warnings, { file: v.video, message: 'alignment produced no vectors; video skipped' }], fingerprint };
    const versions = result.files.embeddingsIndex ? await alignedModelVersions(result.files.embeddingsIndex) : {};
    const versionOf = (m: Modality): string => versions[m] ?? 'align';
    const items = alignedToItems(batch, v.id, versionOf).map((it) => ({
      item: { id: it.id, modality: it.modality, path: it.path ?? null, text: it.text ?? null, start: it.start ?? null, end: it.end ?? null,
        tags: [...(it.tags ?? [])], timestamp, priority: null, contentHash: it.contentHash, modelVersion: it.modelVersion },
      vector: Float32Array.from(it.vector),
    }));
    return { items, warnings: result.warnings, fingerprint };
  }

  /** Decides, per offered item, add / update / unchanged / skip (conflict rule), and what this source no longer offers. */
  #plan(name: string, items: readonly PlanItem[], sourcePriority: number): Plan[] {
    const db = this.#db;
    const cols = 'id, source, content_hash, model_version, timestamp, priority, path, start, end, text, tags, modality';
    const findStmt = db.prepare(`SELECT ${cols} FROM items WHERE id = ?`);
    const plans: Plan[] = [];
    const offered = new Set<string>();
    for (const item of items) {
      offered.add(item.id);
      const existing = findStmt.get(item.id) as ExistingRow | undefined;
      const itemPriority = item.priority ?? sourcePriority;
      if (!existing) {
        plans.push({ kind: 'add', item, priority: itemPriority });
        continue;
      }
      if (existing.source !== name) {
        if (!incomingWins({ timestamp: item.timestamp, priority: itemPriority }, existing)) {
          plans.push({ kind: 'skip', item, reason: `kept the copy from ${existing.source} (newer, or same time and priority ≥ ${itemPriority})` });
          continue;
        }
        plans.push({ kind: 'update', item, priority: itemPriority, existing, reason: `replaced the copy from ${existing.source}` });
        continue;
      }
      const same =
        existing.content_hash === item.contentHash &&
        existing.model_version === item.modelVersion &&
        existing.modality === item.modality &&
        existing.path === item.path &&
        existing.start === item.start &&
        existing.end === item.end &&
        existing.text === item.text &&
        existing.timestamp === item.timestamp &&
        existing.priority === itemPriority &&
        existing.tags === JSON.stringify([...new Set(item.tags)].sort());
      plans.push(same ? { kind: 'unchanged', item } : { kind: 'update', item, priority: itemPriority, existing });
    }
    const owned = db.prepare(`SELECT ${cols} FROM items WHERE source = ?`).all(name) as ExistingRow[];
    for (const existing of owned) if (!offered.has(existing.id)) plans.push({ kind: 'delete', existing });
    return plans;
  }

  /** Applies plans as one version in one transaction (items, cache, version row, change list, source row). */
  #commit(
    name: string,
    location: string,
    sourcePriority: number,
    plans: readonly Plan[],
    vectorOf: (item: PlanItem) => Float32Array | undefined,
    fresh: readonly { hash: string; version: string; vector: Float32Array }[],
  ): { version: number; counts: { added: number; updated: number; deleted: number; unchanged: number; skipped: number } } {
    const db = this.#db;
    const counts = { added: 0, updated: 0, deleted: 0, unchanged: 0, skipped: 0 };
    const version = this.index.transaction((w) => {
      const now = w.now;
      const v = ((db.prepare('SELECT coalesce(max(version), 0) FROM versions').pluck().get() as number) ?? 0) + 1;
      const changes: Omit<KbChange, 'version'>[] = [];
      for (const p of plans) {
        switch (p.kind) {
          case 'unchanged':
            counts.unchanged++;
            break;
          case 'skip':
            counts.skipped++;
            changes.push({ id: p.item.id, change: 'skipped', modality: p.item.modality, source: name, contentHash: p.item.contentHash, reason: p.reason });
            break;
          case 'delete':
            w.delete(p.existing.id);
            counts.deleted++;
            changes.push({ id: p.existing.id, change: 'deleted', modality: p.existing.modality, source: name, contentHash: p.existing.content_hash, reason: null });
            break;
          case 'add':
          case 'update': {
            const mv = p.item.modelVersion;
            const vec = vectorOf(p.item);
            if (!vec) break; // encoder failed for it: reported as a warning, old copy (if any) kept
            const kind = w.upsert({
              id: p.item.id,
              vector: vec,
              modality: p.item.modality,
              source: name,
              path: p.item.path,
              start: p.item.start,
              end: p.item.end,
              text: p.item.text,
              contentHash: p.item.contentHash,
              modelVersion: mv,
              tags: p.item.tags,
              timestamp: p.item.timestamp,
              priority: p.priority,
            });
            counts[kind]++;
            changes.push({ id: p.item.id, change: kind, modality: p.item.modality, source: name, contentHash: p.item.contentHash, reason: p.reason ?? null });
            break;
          }
          default:
            throw new Error(`unknown plan ${(p as { kind: string }).kind}`);
        }
      }
      const putCache = db.prepare('INSERT OR REPLACE INTO embed_cache (content_hash, model_version, vector, created_at) VALUES (?, ?, ?, ?)');
      for (const f of fresh) putCache.run(f.hash, f.version, vectorToBlob(f.vector), now);
      const anyIndexChange = counts.added + counts.updated + counts.deleted > 0;
      const generation = Number(getMeta(db, 'generation') ?? 0) + (anyIndexChange ? 1 : 0);
      db.prepare('INSERT INTO versions (version, created_at, kind, source, added, updated, deleted, skipped, generation) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
        v, now, 'sync', name, counts.added, counts.updated, counts.deleted, counts.skipped, generation,
      );
      const putChange = db.prepare('INSERT INTO changes (version, id, change, modality, source, content_hash, reason) VALUES (?, ?, ?, ?, ?, ?, ?)');
      for (const c of changes) putChange.run(v, c.id, c.change, c.modality, c.source, c.contentHash, c.reason);
      db.prepare('INSERT INTO sources (name, location, priority, last_version) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET location = excluded.location, priority = excluded.priority, last_version = excluded.last_version').run(
        name, location, sourcePriority, v,
      );
      return v;
    });
    return { version, counts };
  }

  /** Embeds a batch; when the batch fails, retries one by one so one bad file costs only itself. */
  async #embedBatch(embedder: Embedder, items: readonly SourceItem[], warnings: Warning[]): Promise<(Float32Array | null)[]> {
    const input = (it: SourceItem): string => (it.modality === 'text' ? (it.text as string) : (it.path as string));
    const check = (v: Float32Array, it: SourceItem): Float32Array => {
      checkVector(v, this.index.dims, it.id);
      return v;
    };
    try {
      const out = await embedder.embed(items.map(input));
      if (out.length !== items.length) throw new Error(`encoder returned ${out.length} vectors for ${items.length} inputs`);
      return out.map((v, i) => check(v, items[i]));
    } catch (err) {
      if (items.length === 1) {
        warnings.push({ file: items[0].path ?? undefined, message: `${items[0].id}: not embedded (${(err as Error).message}); skipped` });
        return [null];
      }
      const out: (Float32Array | null)[] = [];
      for (const it of items) out.push(...(await this.#embedBatch(embedder, [it], warnings)));
      return out;
    }
  }

  /**
   * Nearest items to a query (text, an image/audio file, or a vector), from any modality to any.
   *
   * @example
   * await kb.search({ image: 'frame.jpg' }, { k: 5, filter: { modality: 'text', tags: ['lecture'] } });
   */
  async search(query: KbQuery, options: SearchOptions = {}): Promise<KbSearchHit[]> {
    this.#assertOpen();
    let vector: ArrayLike<number>;
    if (typeof query === 'string' || 'text' in query) {
      const text = typeof query === 'string' ? query : query.text;
      if (text.trim() === '') throw new InvalidOptionError('query', text, 'non-empty text');
      const embedder = await this.#embedder('text');
      this.#assertSameSpace('text', embedder.version);
      [vector] = await embedder.embed([text]);
    } else if ('image' in query || 'audio' in query) {
      const modality: Modality = 'image' in query ? 'image' : 'audio';
      const file = resolve('image' in query ? query.image : query.audio);
      if (!existsSync(file)) throw new InputFileError(file, `no such ${modality} file`);
      const embedder = await this.#embedder(modality);
      this.#assertSameSpace(modality, embedder.version);
      [vector] = await embedder.embed([file]);
    } else {
      vector = query.vector;
    }
    const hits = this.index.search(vector, options);
    const items = new Map(this.index.getMany(hits.map((h) => h.id)).map((i) => [i.id, i]));
    // An item deleted by a writer between the graph load and this lookup is left out rather than shown stale.
    return hits.filter((h) => items.has(h.id)).map((h) => ({ ...h, item: items.get(h.id) as IndexedItem }));
  }

  /**
   * A query embedded with other models or heads than every stored item of its modality would be
   * scored in another space: fail loudly instead of returning confident-looking noise.
   */
  #assertSameSpace(modality: Modality, version: string): void {
    const stored = this.#db.prepare('SELECT DISTINCT model_version FROM items WHERE modality = ? LIMIT 8').pluck().all(modality) as string[];
    if (stored.length > 0 && !stored.includes(version)) throw new KbModelMismatchError(this.dir, modality, version, stored);
  }

  /**
   * Every version, oldest first.
   *
   * @example
   * for (const v of kb.versions()) console.log(v.version, v.added, v.updated, v.deleted);
   */
  versions(): KbVersion[] {
    this.#assertOpen();
    return (
      this.#db.prepare('SELECT version, created_at, kind, source, added, updated, deleted, skipped, generation FROM versions ORDER BY version').all() as {
        version: number;
        created_at: number;
        kind: 'sync' | 'repair';
        source: string | null;
        added: number;
        updated: number;
        deleted: number;
        skipped: number;
        generation: number;
      }[]
    ).map(({ created_at, ...rest }) => ({ ...rest, createdAt: created_at }));
  }

  /**
   * What one version changed (added, updated, deleted, and offered-but-skipped items).
   *
   * @example
   * kb.changes(3).filter((c) => c.change === 'deleted');
   */
  changes(version: number): KbChange[] {
    this.#assertOpen();
    if (!Number.isInteger(version) || version < 1) throw new InvalidOptionError('version', version, 'a version number >= 1');
    const exists = this.#db.prepare('SELECT 1 FROM versions WHERE version = ?').get(version);
    if (!exists) throw new InvalidOptionError('version', version, `an existing version (1..${this.currentVersion})`);
    return (
      this.#db.prepare('SELECT version, id, change, modality, source, content_hash, reason FROM changes WHERE version = ? ORDER BY change, id').all(version) as {
        version: number;
        id: string;
        change: ChangeKind;
        modality: Modality | null;
        source: string | null;
        content_hash: string | null;
        reason: string | null;
      }[]
    ).map(({ content_hash, ...rest }) => ({ ...rest, contentHash: content_hash }));
  }

  /**
   * Items added, updated and deleted after `version` (for "enough new pairs to retrain?").
   *
   * @example
   * const { added } = kb.countChangesSince(lastTrainingVersion);
   */
  countChangesSince(version: number): { added: number; updated: number; deleted: number } {
    this.#assertOpen();
    const row = this.#db
      .prepare('SELECT coalesce(sum(added), 0) AS added, coalesce(sum(updated), 0) AS updated, coalesce(sum(deleted), 0) AS deleted FROM versions WHERE version > ?')
      .get(version) as { added: number; updated: number; deleted: number };
    return row;
  }

  /**
   * Stored items, optionally filtered (for exporting pairs or training heads).
   *
   * @example
   * for (const it of kb.items({ modality: 'text' })) console.log(it.id, it.text);
   */
  *items({ modality, source }: { modality?: Modality; source?: string } = {}): Generator<IndexedItem> {
    this.#assertOpen();
    const ids = this.#db
      .prepare('SELECT id FROM items WHERE (@modality IS NULL OR modality = @modality) AND (@source IS NULL OR source = @source) ORDER BY id')
      .pluck()
      .all({ modality: modality ?? null, source: source ?? null }) as string[];
    for (let i = 0; i < ids.length; i += 500) yield* this.index.getMany(ids.slice(i, i + 500));
  }

  /**
   * Records one evaluation of the projection heads (used to decide when to retrain).
   *
   * @example
   * kb.recordEvaluation({ metric: 'recall@1', value: 0.62, pairs: 8000, headsVersion: 'a1b2' });
   */
  recordEvaluation({ metric, value, pairs, headsVersion, at = this.#clock() }: Omit<Evaluation, 'at' | 'kbVersion'> & { at?: number }): Evaluation {
    this.#assertWritable();
    if (typeof metric !== 'string' || metric === '') throw new InvalidOptionError('metric', metric, 'a metric name');
    if (!Number.isFinite(value)) throw new InvalidOptionError('value', value, 'a finite number');
    if (!Number.isInteger(pairs) || pairs < 0) throw new InvalidOptionError('pairs', pairs, 'an integer >= 0');
    if (typeof headsVersion !== 'string') throw new InvalidOptionError('headsVersion', headsVersion, 'a string');
    const kbVersion = this.currentVersion;
    this.#db.prepare('INSERT INTO evaluations (metric, value, pairs, heads_version, at, kb_version) VALUES (?, ?, ?, ?, ?, ?)').run(metric, value, pairs, headsVersion, at, kbVersion);
    return { metric, value, pairs, headsVersion, at, kbVersion };
  }

  /**
   * Recorded evaluations, oldest first; optionally of one metric.
   *
   * @example
   * const series = kb.listEvaluations({ metric: 'recall@1' }).map((e) => e.value);
   */
  listEvaluations({ metric }: { metric?: string } = {}): Evaluation[] {
    this.#assertOpen();
    return (
      this.#db
        .prepare('SELECT metric, value, pairs, heads_version, at, kb_version FROM evaluations WHERE (@metric IS NULL OR metric = @metric) ORDER BY at, seq')
        .all({ metric: metric ?? null }) as { metric: string; value: number; pairs: number; heads_version: string; at: number; kb_version: number }[]
    ).map((r) => ({ metric: r.metric, value: r.value, pairs: r.pairs, headsVersion: r.heads_version, at: r.at, kbVersion: r.kb_version }));
  }

  /**
   * Checks that the HNSW file, the graph, the SQLite rows and the source files agree. With `repair`,
   * rebuilds the index file from the stored vectors, removes leftover temp files, and deletes items whose
   * vector is unusable or whose file is gone (as one `repair` version). Files changed since their sync
   * are only reported: sync their source again.
   *
   * @example
   * const report = await kb.verify({ repair: true });
   * if (!report.ok) console.log(report.problems);
   */
  async verify({ repair = false }: { repair?: boolean } = {}): Promise<VerifyReport> {
    const run = async (): Promise<VerifyReport> => {
      this.index.refresh();
      const db = this.#db;
      const problems: VerifyProblem[] = [];
      const integrity = db.pragma('quick_check', { simple: true });
      if (integrity !== 'ok') {
        problems.push({ kind: 'sqlite-integrity', message: `SQLite quick_check: ${String(integrity)}`, path: join(this.dir, DB_FILE), repaired: false });
      }
      const generation = Number(getMeta(db, 'generation') ?? 0);
      const onDisk = this.index.indexFilesOnDisk();
      const items = db.prepare('SELECT count(*) FROM items').pluck().get() as number;
      let indexBad = false;
      if (!onDisk.includes(generation) && !(generation === 0 && items === 0)) {
        indexBad = true;
        problems.push(
          onDisk.length === 0
            ? { kind: 'index-file-missing', message: `no HNSW file for generation ${generation}`, path: this.index.indexFile(generation), repaired: false }
            : {
                kind: 'generation-mismatch',
                message: `the database is at generation ${generation} but the newest HNSW file is generation ${onDisk[0]} (a write was interrupted)`,
                path: this.index.indexFile(onDisk[0]),
                repaired: false,
              },
        );
      } else if (onDisk.includes(generation)) {
        // Load the file the way a new reader would, and compare it with the rows.
        let fresh: VectorIndex | null = null;
        try {
          fresh = VectorIndex.open(this.dir, { readonly: true, persistRebuild: false });
          if (fresh.rebuiltOnOpen !== null) {
            indexBad = true;
            problems.push({ kind: 'index-file-unreadable', message: `HNSW file for generation ${generation} cannot be read`, path: this.index.indexFile(generation), repaired: false });
          } else {
            const g = fresh.checkGraph();
            if (g.missing.length + g.extra.length + g.mismatched.length > 0) {
              indexBad = true;
              problems.push({
                kind: 'index-out-of-sync',
                message: `HNSW file differs from the database: ${g.missing.length} missing, ${g.extra.length} extra, ${g.mismatched.length} with another vector`,
                path: this.index.indexFile(generation),
                repaired: false,
              });
            }
          }
        } finally {
          fresh?.close();
        }
      }
      // A live writer's temp file looks like a leftover one: only report them when no writer is at work.
      const writerBusy = !repair && lockHolder(this.#lockFile) !== null;
      for (const f of writerBusy ? [] : removeStaleTemps(this.dir, { dryRun: true })) {
        problems.push({ kind: 'stale-temp-file', message: `leftover temp file ${f} from an interrupted write`, path: join(this.dir, f), repaired: false });
      }
      const toDelete = new Map<string, VerifyProblem>();
      let filesChecked = 0;
      const exists = new Map<string, boolean>();
      const fileHash = new Map<string, string | null>();
      for (const [id, modality, path, hash, blob, start] of db.prepare('SELECT id, modality, path, content_hash, vector, start FROM items ORDER BY id').raw().iterate() as Iterable<
        [string, Modality, string | null, string, Buffer, number | null]
      >) {
        try {
          checkVector(blobToVector(blob), this.index.dims, id);
        } catch (err) {
          const p: VerifyProblem = { kind: 'bad-vector', id, message: (err as MmalignError).message, repaired: false };
          problems.push(p);
          toDelete.set(id, p);
          continue;
        }
        if (path === null) continue;
        if (!exists.has(path)) {
          filesChecked++;
          exists.set(path, existsSync(path));
        }
        if (!exists.get(path)) {
          const p: VerifyProblem = { kind: 'source-file-missing', id, path, message: `${path} no longer exists`, repaired: false };
          problems.push(p);
          toDelete.set(id, p);
          continue;
        }
        // Only whole-file items carry the file's hash; a cue's audio or a frame of a video (items with a
        // time) carry their own, so for them the file's presence is all there is to check.
        if (modality === 'text' || start !== null) continue;
        if (!fileHash.has(path)) fileHash.set(path, await contentHashOfFile(modality, path).catch(() => null));
        if (fileHash.get(path) !== hash) {
          problems.push({ kind: 'source-file-changed', id, path, message: `${path} changed since it was synced; sync its source again`, repaired: false });
        }
      }
      let repairVersion: number | null = null;
      if (repair) {
        for (const f of removeStaleTemps(this.dir)) {
          for (const p of problems) if (p.kind === 'stale-temp-file' && p.path === join(this.dir, f)) p.repaired = true;
        }
        // Rebuild first: the delete transaction below saves the in-memory graph, which came from the bad file.
        if (indexBad) {
          this.index.rebuild();
          for (const p of problems) if (p.kind.startsWith('index-') || p.kind === 'generation-mismatch') p.repaired = true;
        }
        if (toDelete.size > 0) {
          repairVersion = this.index.transaction((w) => {
            const v = ((db.prepare('SELECT coalesce(max(version), 0) FROM versions').pluck().get() as number) ?? 0) + 1;
            const putChange = db.prepare('INSERT INTO changes (version, id, change, modality, source, content_hash, reason) VALUES (?, ?, ?, ?, ?, ?, ?)');
            const rows: [string, Modality, string, string][] = [];
            for (const id of toDelete.keys()) {
              const r = db.prepare('SELECT id, modality, source, content_hash FROM items WHERE id = ?').raw().get(id) as [string, Modality, string, string] | undefined;
              if (r && w.delete(id)) rows.push(r);
            }
            const generation = Number(getMeta(db, 'generation') ?? 0) + (rows.length > 0 ? 1 : 0);
            db.prepare('INSERT INTO versions (version, created_at, kind, source, added, updated, deleted, skipped, generation) VALUES (?, ?, ?, NULL, 0, 0, ?, 0, ?)').run(
              v, w.now, 'repair', rows.length, generation,
            );
            for (const [id, modality, source, hash] of rows) putChange.run(v, id, 'deleted', modality, source, hash, toDelete.get(id)?.message ?? null);
            return v;
          });
          for (const p of toDelete.values()) p.repaired = true;
        }
      }
      return {
        ok: problems.every((p) => p.repaired || p.kind === 'source-file-changed') && (repair || problems.length === 0),
        items,
        filesChecked,
        generation: this.index.generation,
        problems,
        repairVersion,
      };
    };
    if (repair) return this.#withLock('verify --repair', run);
    this.#assertOpen();
    return run();
  }

  /**
   * Releases the encoders and closes the database.
   *
   * @example
   * await kb.close();
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const embedders = [...this.#embedders.values()];
    this.#embedders.clear();
    for (const e of embedders) {
      try {
        await (await e).dispose?.();
      } catch {
        // A provider that failed to load has nothing to release.
      }
    }
    this.index.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new InvalidOptionError('knowledge base', this.dir, 'an open knowledge base (this one was closed)');
  }

  #assertWritable(): void {
    this.#assertOpen();
    if (this.index.readonly) throw new InvalidOptionError('knowledge base', this.dir, 'a knowledge base opened for writing (this one is read-only)');
  }
}


/** The batch the align pipeline hands to its sink (structurally `AlignedSink`'s argument in src/pipeline/types.ts). */
export interface AlignedBatch {
  video: string;
  pairs: readonly { frame: string; frame_time: number; cue_index: number; start: number; end: number; text: string }[];
  vectors: readonly { id: string; modality: Modality; vector: Float32Array }[];
  /** The encoder model and heads behind each modality's vectors, as `alignVideo` reports them. */
  models?: Readonly<Partial<Record<Modality, { model: string; heads: string | null }>>>;
}

/**
 * A sink for `alignVideo` that ingests a video's aligned output as one knowledge-base version, source =
 * the video's path: one text item per cue (`<video>#text:<cue>` with its times), one image item per frame
 * (`<video>#frame:t…`, the frame file, tagged `cue:<n>` when paired) and one audio item per cue
 * (`<video>#audio:<cue>`). Re-aligning the same video replaces what changed and deletes what is gone.
 *
 * @example
 * await alignVideo('talk.mp4', 'talk.srt', { out: 'out', sink: alignedSink(kb, { modelVersion: 'tiny@seeded' }) });
 */
export function alignedSink(
  kb: KnowledgeBase,
  { modelVersion, priority }: { modelVersion?: string | Partial<Record<Modality, string>>; priority?: number } = {},
): (batch: AlignedBatch) => Promise<SyncResult> {
  return async (batch) => {
    // Without an explicit version, key vectors on the model + heads the pipeline says produced them,
    // so a later sync with other models or trained heads re-encodes instead of trusting stale vectors.
    const versionOf = (m: Modality): string => {
      if (typeof modelVersion === 'string') return modelVersion;
      const given = modelVersion?.[m];
      if (given) return given;
      const info = batch.models?.[m];
      return info ? `${info.model}@${info.heads ?? 'default'}` : 'align';
    };
    // The video's mtime, not "now": re-aligning an unchanged video then leaves its items unchanged.
    const mtime = await stat(batch.video).then((st) => Math.round(st.mtimeMs), () => undefined);
    const items = alignedToItems(batch, batch.video, versionOf).map((it) => ({ ...it, timestamp: mtime }));
    return kb.ingest(items, { sourceName: batch.video, priority });
  };
}

/** Items of an aligned batch, ids `<prefix>#<pipeline id>`; content hash = hash of the vector. */
function alignedToItems({ video, pairs, vectors }: AlignedBatch, prefix: string, versionOf: (m: Modality) => string): IngestItem[] {
  const cues = new Map<number, { start: number; end: number; text: string }>();
  const frames = new Map<string, { cue: number; path: string }>();
  for (const p of pairs) {
    cues.set(p.cue_index, { start: p.start, end: p.end, text: p.text });
    frames.set(p.frame_time.toFixed(3), { cue: p.cue_index, path: p.frame });
  }
  const items: IngestItem[] = [];
  for (const v of vectors) {
    const [kind, key] = v.id.split(':', 2);
    const hash = createHash('sha256').update(new Uint8Array(v.vector.buffer, v.vector.byteOffset, v.vector.byteLength)).digest('hex');
    const base = { id: `${prefix}#${v.id}`, modality: v.modality, vector: v.vector, modelVersion: versionOf(v.modality), contentHash: hash };
    if (kind === 'frame') {
      const t = Number(key.replace(/^t/, ''));
      const f = frames.get(t.toFixed(3));
      items.push({ ...base, path: f?.path ?? null, start: t, end: t, tags: f === undefined ? [] : [`cue:${f.cue}`] });
    } else {
      const cue = cues.get(Number(key));
      items.push({ ...base, path: video, text: kind === 'text' ? (cue?.text ?? null) : null, start: cue?.start ?? null, end: cue?.end ?? null, tags: [`cue:${key}`] });
    }
  }
  return items;
}

/**
 * The `<model>@<heads>` version of each modality an align run embedded with, read from its
 * `embeddings.json` (the same form the default embedders record), for {@link alignedSink}'s `modelVersion`.
 *
 * @example
 * let batch; const r = await alignVideo(v, s, { out, sink: async (b) => void (batch = b) });
 * await alignedSink(kb, { modelVersion: await alignedModelVersions(r.files.embeddingsIndex!) })(batch);
 */
export async function alignedModelVersions(embeddingsIndex: string): Promise<Partial<Record<Modality, string>>> {
  let parsed: { models?: Partial<Record<Modality, { model?: string; heads?: string }>> };
  try {
    parsed = JSON.parse(await readFile(embeddingsIndex, 'utf8')) as typeof parsed;
  } catch (err) {
    throw new InputFileError(embeddingsIndex, `cannot read the embeddings index (${(err as Error).message})`, err);
  }
  const out: Partial<Record<Modality, string>> = {};
  for (const [m, info] of Object.entries(parsed.models ?? {}) as [Modality, { model?: string; heads?: string }][]) {
    if (info?.model) out[m] = `${info.model}@${info.heads ?? 'default'}`;
  }
  return out;
}
