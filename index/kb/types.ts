/** The knowledge base's public shapes: embedders, options, sync and verify results, versions and changes. */
import type { ModelRecord, Modality, Warning } from '../../src/core/types.js';
import type { EncoderOptions } from '../../encoders/encoder.js';
import type { IndexedItem, SearchHit } from '../vector/types.js';

/**
 * What the knowledge base needs from an encoder: a version string recorded with every vector (model id +
 * heads version, plus the model file's fingerprint when given; it keys the embedding cache) and batch embedding into the shared space. Text items are
 * given as their text, image and audio items as absolute file paths.
 */
export interface Embedder {
  readonly version: string;
  /**
   * A fingerprint of the model file behind `version` (e.g. a hash of its bytes), when the embedder can
   * tell: vectors are keyed by version + fingerprint, so a model file replaced under the same name is
   * re-encoded instead of served from the cache.
   */
  readonly fingerprint?: string;
  /** What the vectors come from (id, dtype, device, fingerprint, heads), recorded in the knowledge base when given. */
  readonly model?: ModelRecord;
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
  /** Options for the default encoders (model and dtype, each per modality or for all; device, modelsDir, allowRemote, heads...). */
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
   * Write back an index file that opening had to rebuild (a sync was interrupted between commit and save,
   * or the file is gone), once, under the writer lock, when no other writer holds it (default true). A
   * writer also removes temp files of crashed writers. A read-only open does it too where the folder is
   * writable, writing only the HNSW file (never SQLite), so the next readers load it instead of rebuilding;
   * on a read-only folder it keeps the rebuilt graph in memory. `verify` callers turn it off to see the
   * state in the report.
   */
  repairOnOpen?: boolean;
  /**
   * The video aligner `sync(..., { videos: 'align' })` runs (the app passes mmalign's `alignVideo`; the
   * knowledge base does not import the pipeline). A sync's own `alignVideo` takes precedence.
   */
  alignVideo?: AlignVideoFn;
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
   * `align` runs the given video aligner (cue mode) and indexes per cue its text, its frame and its
   * audio. An aligned video whose file and subtitles are unchanged is not re-aligned.
   */
  videos?: 'cues' | 'align';
  /**
   * The video aligner for `videos: 'align'` (default: the one given to {@link KnowledgeBase.open});
   * without either, `videos: 'align'` is a {@link UsageError}.
   */
  alignVideo?: AlignVideoFn;
}

/**
 * What sync needs from a video aligner (mmalign's `alignVideo` fits): align `video` with `subtitles`
 * into `out`, one frame per cue (`mode: 'cue'`), handing pairs and vectors to `sink`.
 *
 * @example
 * const kb = await KnowledgeBase.open('./kb', { alignVideo });  // alignVideo from 'mmalign'
 * await kb.sync('./lectures', { videos: 'align' });
 */
export type AlignVideoFn = (
  video: string,
  subtitles: string,
  options: {
    out: string;
    mode: 'cue';
    sink: (batch: AlignedBatch) => Promise<void>;
    device?: EncoderOptions['device'];
    model?: EncoderOptions['model'];
    dtype?: EncoderOptions['dtype'];
    allowRemote?: boolean;
    modelsDir?: string;
    heads?: EncoderOptions['heads'];
    /** Hears the encoders' notes (e.g. that a model is generated). */
    logger?: EncoderOptions['logger'];
  },
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
  /** Per modality, the model behind this source's vectors (as {@link KnowledgeBase.models} records it), when known. */
  models: Partial<Record<Modality, ModelRecord>>;
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
  | 'database-corrupt'
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
  /** What is wrong and what to do about it. */
  message: string;
  id?: string;
  path?: string;
  repaired: boolean;
  /**
   * Nothing is lost and nothing needs doing: readers work around it (an index file one write behind is
   * rebuilt in memory) and the next writer fixes it. Such a problem alone leaves the report `ok`.
   */
  recoverable: boolean;
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

/** The batch the align pipeline hands to its sink (structurally `AlignedSink`'s argument in src/pipeline/types.ts). */
export interface AlignedBatch {
  video: string;
  pairs: readonly { frame: string; frame_time: number; cue_index: number; start: number; end: number; text: string }[];
  vectors: readonly { id: string; modality: Modality; vector: Float32Array }[];
  /**
   * What each modality's vectors came from, as `alignVideo` reports them (model, heads, and in records of
   * mmalign's encoders dtype, device and file fingerprint).
   */
  models?: Readonly<Partial<Record<Modality, Pick<ModelRecord, 'model' | 'heads'> & Partial<ModelRecord>>>>;
}
