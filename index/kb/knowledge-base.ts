import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ModelRecord, Modality } from '../../src/core/types.js';
import { KB_EMBED_BATCH, LOCK_TIMEOUT_MS, SEARCH_EF } from '../../src/core/defaults.js';
import { environmentError, InputFileError, InvalidOptionError, KbLockedError, KbModelMismatchError, UsageError } from '../../src/core/errors/index.js';
import type { EncoderOptions } from '../../encoders/encoder.js';
import { removeStaleTemps } from '../../src/core/fs.js';
import { acquireLock, type HeldLock } from '../../src/core/lock.js';
import { storeError, type Db } from '../store.js';
import { checkVector } from '../vector/check.js';
import { DB_FILE } from '../vector/files.js';
import type { IndexedItem, SearchOptions } from '../vector/types.js';
import { VectorIndex } from '../vector/vector-index.js';
import { currentVersion, LOCK_FILE, type KbContext } from './context.js';
import { defaultEmbedders, vectorKey } from './embedders.js';
import { describeRecord, readModels, recordKey, type KbModel } from './models.js';
import { ingestItems, syncSource } from './sync.js';
import type {
  AlignVideoFn,
  Embedder,
  EmbedderProvider,
  Evaluation,
  IngestItem,
  KbChange,
  KbQuery,
  KbSearchHit,
  KbVersion,
  KnowledgeBaseOptions,
  SyncOptions,
  SyncResult,
  VerifyReport,
} from './types.js';
import { verifyKb } from './verify.js';
import { changesSince, insertEvaluation, listChanges, listEvaluations, listVersions } from './versions.js';

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
  #alignVideo: AlignVideoFn | null;
  #ctx: KbContext;
  #closed = false;

  private constructor(
    dir: string,
    index: VectorIndex,
    { clock, provider, lockTimeoutMs, batchSize, encoderOptions, alignVideo }: {
      clock: () => number;
      provider: EmbedderProvider;
      lockTimeoutMs: number;
      batchSize: number;
      encoderOptions: EncoderOptions;
      alignVideo: AlignVideoFn | null;
    },
  ) {
    this.dir = dir;
    this.index = index;
    this.#clock = clock;
    this.#provider = provider;
    this.#lockTimeoutMs = lockTimeoutMs;
    this.#alignVideo = alignVideo;
    this.#ctx = {
      dir,
      index,
      db: index.db,
      clock,
      batchSize,
      encoderOptions,
      lockFile: join(dir, LOCK_FILE),
      embedder: (modality) => this.#embedder(modality),
    };
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
    {
      clock = Date.now,
      encoders,
      encoderOptions,
      lockTimeoutMs = LOCK_TIMEOUT_MS,
      readonly = false,
      ef = SEARCH_EF,
      batchSize = KB_EMBED_BATCH,
      repairOnOpen = true,
      alignVideo,
    }: KnowledgeBaseOptions = {},
  ): Promise<KnowledgeBase> {
    if (!(lockTimeoutMs >= 0)) throw new InvalidOptionError('lockTimeoutMs', lockTimeoutMs, 'milliseconds >= 0');
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new InvalidOptionError('batchSize', batchSize, 'a positive integer');
    if (alignVideo !== undefined && typeof alignVideo !== 'function') throw new InvalidOptionError('alignVideo', typeof alignVideo, 'a function (e.g. mmalign\'s alignVideo)');
    const abs = resolve(dir);
    if (readonly && !existsSync(join(abs, DB_FILE))) {
      throw new InputFileError(dir, 'no knowledge base here; create one with `mmalign kb sync SOURCE --kb DIR`');
    }
    const index = VectorIndex.open(abs, { clock, readonly, ef, persistRebuild: false });
    const kb = new KnowledgeBase(abs, index, {
      clock,
      provider: encoders ?? defaultEmbedders(encoderOptions),
      lockTimeoutMs,
      batchSize,
      encoderOptions: encoderOptions ?? {},
      alignVideo: alignVideo ?? null,
    });
    if (repairOnOpen) await kb.#repairOnOpen(readonly);
    return kb;
  }

  get #db(): Db {
    return this.index.db;
  }

  /** Number of the newest version (0 before the first sync). */
  get currentVersion(): number {
    return this.#read(() => currentVersion(this.#db));
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
    let lock: HeldLock;
    try {
      lock = await acquireLock(this.#ctx.lockFile, { timeoutMs: this.#lockTimeoutMs, purpose, clock: this.#clock });
    } catch (err) {
      throw environmentError(err, this.#ctx.lockFile, `taking the writer lock (${purpose})`) ?? err;
    }
    try {
      this.index.refresh();
      return await fn();
    } catch (err) {
      throw storeError(err, join(this.dir, DB_FILE), purpose) ?? err;
    } finally {
      lock.release();
    }
  }

  /**
   * Saves an index file that opening had to rebuild (a write was interrupted, or the file is gone or
   * unreadable), once, under the writer lock, without waiting for a busy writer (whose own save covers
   * it). A writer also removes temp files left by crashed writers. A reader does this only where it may
   * write, and writes only the HNSW file, never SQLite; where it cannot, it keeps the graph it rebuilt in
   * memory, which answers the same.
   */
  async #repairOnOpen(readonly: boolean): Promise<void> {
    if (readonly && this.index.rebuiltOnOpen === null) return;
    let lock: HeldLock;
    try {
      lock = await acquireLock(this.#ctx.lockFile, { timeoutMs: 0, purpose: readonly ? 'save the index a reader rebuilt' : 'open', clock: this.#clock });
    } catch (err) {
      // A busy writer saves a fresh file itself; a reader may be in a folder it cannot write.
      if (readonly || err instanceof KbLockedError) return;
      throw environmentError(err, this.#ctx.lockFile, 'taking the writer lock') ?? err;
    }
    try {
      if (!readonly) removeStaleTemps(this.dir);
      this.index.saveRebuilt();
    } catch (err) {
      // A reader's search must not fail because a repair it did not have to make could not be written.
      if (!readonly) throw err;
    } finally {
      lock.release();
    }
  }

  /**
   * Brings the knowledge base in line with a source (folder or JSONL manifest): new items are added,
   * changed ones replaced, items gone from the source deleted, unchanged ones left alone. All of it is one
   * version, committed in one transaction. Items owned by another source follow {@link incomingWins}.
   * `videos: 'align'` needs a video aligner, given here or to {@link KnowledgeBase.open}.
   *
   * @example
   * const r = await kb.sync('./notes', { sourceName: 'notes', priority: 2 });
   * console.log(`v${r.version}: +${r.added} ~${r.updated} -${r.deleted}`);
   */
  async sync(source: string, options: SyncOptions = {}): Promise<SyncResult> {
    const { priority, sourceName, videos = 'cues' } = options;
    if (videos !== 'cues' && videos !== 'align') throw new InvalidOptionError('videos', videos, "'cues' or 'align'");
    if (priority !== undefined && !Number.isInteger(priority)) throw new InvalidOptionError('priority', priority, 'an integer');
    if (sourceName !== undefined && sourceName.trim() === '') throw new InvalidOptionError('sourceName', sourceName, 'a non-empty name');
    const alignVideo = options.alignVideo ?? this.#alignVideo ?? undefined;
    if (videos === 'align' && typeof alignVideo !== 'function') {
      throw new UsageError(
        "sync with videos: 'align' needs a video aligner: pass { alignVideo } (mmalign's alignVideo, or your own) to KnowledgeBase.open or to sync. " +
          "Without one, use videos: 'cues' (the default), which indexes each cue's text.",
      );
    }
    return this.#withLock(`sync ${source}`, () => syncSource(this.#ctx, source, { ...options, videos, alignVideo }));
  }

  /**
   * Brings a source in line with items whose vectors are already computed (no encoder is called): the
   * same add / replace / delete / conflict rules and one version, like {@link sync}. What `mmalign align
   * --kb` uses through {@link alignedSink}.
   *
   * @example
   * await kb.ingest([{ id: 'clip.mp4#text:1', modality: 'text', vector, modelVersion: 'bert@h1', contentHash: 'h', text: 'Hi', start: 1, end: 2 }],
   *   { sourceName: '/videos/clip.mp4' });
   * // `models` records what made the vectors, keyed as recordKey(record) (alignedSink passes alignVideo's).
   */
  async ingest(
    items: readonly IngestItem[],
    options: { sourceName: string; priority?: number; location?: string; models?: Readonly<Partial<Record<Modality, ModelRecord>>> },
  ): Promise<SyncResult> {
    const { sourceName, priority, location, models = {} } = options;
    if (typeof sourceName !== 'string' || sourceName.trim() === '') throw new InvalidOptionError('sourceName', sourceName, 'a non-empty name');
    if (priority !== undefined && !Number.isInteger(priority)) throw new InvalidOptionError('priority', priority, 'an integer');
    const seen = new Set<string>();
    for (const it of items) {
      if (seen.has(it.id)) throw new InvalidOptionError('items', it.id, 'unique ids (this one is given twice)');
      seen.add(it.id);
      checkVector(it.vector, this.index.dims, it.id);
    }
    // A record describes the items whose model version is its key (what alignedSink gives them).
    const used = (Object.entries(models) as [Modality, ModelRecord][]).map(([modality, record]) => ({ key: recordKey(record), modality, record }));
    return this.#withLock(`ingest ${sourceName}`, () => ingestItems(this.#ctx, items, { sourceName, priority, location, models: used }));
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
      this.#assertSameSpace('text', embedder);
      [vector] = await embedder.embed([text]);
    } else if ('image' in query || 'audio' in query) {
      const modality: Modality = 'image' in query ? 'image' : 'audio';
      const file = resolve('image' in query ? query.image : query.audio);
      if (!existsSync(file)) throw new InputFileError(file, `no such ${modality} file`);
      const embedder = await this.#embedder(modality);
      this.#assertSameSpace(modality, embedder);
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
  #assertSameSpace(modality: Modality, embedder: Embedder): void {
    const version = vectorKey(embedder);
    const stored = this.#read(() => this.#db.prepare('SELECT DISTINCT model_version FROM items WHERE modality = ? LIMIT 8').pluck().all(modality) as string[]);
    if (stored.length > 0 && !stored.includes(version)) {
      const known = new Map<string, ModelRecord>(this.models().map((m) => [m.key, m]));
      if (embedder.model) known.set(version, embedder.model);
      const describe = (key: string): string => {
        const m = known.get(key);
        return m ? describeRecord(m) : key;
      };
      throw new KbModelMismatchError(this.dir, modality, version, stored, describe);
    }
  }

  /**
   * The models behind the stored vectors: per model version, the model id, dtype, device, ONNX file
   * fingerprint and heads, and the versions that stored vectors of it (recorded since mmalign kept them).
   *
   * @example
   * for (const m of kb.models()) console.log(m.modality, m.model, m.dtype, m.fingerprint);
   */
  models(): KbModel[] {
    return this.#read(() => readModels(this.#db));
  }

  /**
   * Every version, oldest first.
   *
   * @example
   * for (const v of kb.versions()) console.log(v.version, v.added, v.updated, v.deleted);
   */
  versions(): KbVersion[] {
    return this.#read(() => listVersions(this.#db));
  }

  /**
   * What one version changed (added, updated, deleted, and offered-but-skipped items).
   *
   * @example
   * kb.changes(3).filter((c) => c.change === 'deleted');
   */
  changes(version: number): KbChange[] {
    return this.#read(() => listChanges(this.#db, version));
  }

  /**
   * Items added, updated and deleted after `version` (for "enough new pairs to retrain?").
   *
   * @example
   * const { added } = kb.countChangesSince(lastTrainingVersion);
   */
  countChangesSince(version: number): { added: number; updated: number; deleted: number } {
    return this.#read(() => changesSince(this.#db, version));
  }

  /**
   * Stored items, optionally filtered (for exporting pairs or training heads).
   *
   * @example
   * for (const it of kb.items({ modality: 'text' })) console.log(it.id, it.text);
   */
  *items({ modality, source }: { modality?: Modality; source?: string } = {}): Generator<IndexedItem> {
    const ids = this.#read(
      () =>
        this.#db
          .prepare('SELECT id FROM items WHERE (@modality IS NULL OR modality = @modality) AND (@source IS NULL OR source = @source) ORDER BY id')
          .pluck()
          .all({ modality: modality ?? null, source: source ?? null }) as string[],
    );
    for (let i = 0; i < ids.length; i += 500) yield* this.index.getMany(ids.slice(i, i + 500));
  }

  /**
   * Records one evaluation of the projection heads (used to decide when to retrain).
   *
   * @example
   * kb.recordEvaluation({ metric: 'recall@1', value: 0.62, pairs: 8000, headsVersion: 'a1b2' });
   */
  recordEvaluation({ at = this.#clock(), ...rest }: Omit<Evaluation, 'at' | 'kbVersion'> & { at?: number }): Evaluation {
    this.#assertWritable();
    return this.#read(() => insertEvaluation(this.#db, { ...rest, at }), 'recording an evaluation');
  }

  /**
   * Recorded evaluations, oldest first; optionally of one metric.
   *
   * @example
   * const series = kb.listEvaluations({ metric: 'recall@1' }).map((e) => e.value);
   */
  listEvaluations({ metric }: { metric?: string } = {}): Evaluation[] {
    return this.#read(() => listEvaluations(this.#db, metric));
  }

  /** Runs `fn` on the open database; a damaged page, a full disk or a read-only file becomes its mmalign error. */
  #read<T>(fn: () => T, action = 'reading the knowledge base'): T {
    this.#assertOpen();
    try {
      return fn();
    } catch (err) {
      throw storeError(err, join(this.dir, DB_FILE), action) ?? err;
    }
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
    if (repair) return this.#withLock('verify --repair', () => verifyKb(this.#ctx, true));
    this.#assertOpen();
    return verifyKb(this.#ctx, false);
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
