/** The vector index and knowledge base: HNSW (hnswlib-node) + SQLite metadata, crash-safe, versioned. */
export { VectorIndex } from './vector/vector-index.js';
export { checkVector } from './vector/check.js';
export type {
  VectorIndexOptions,
  VectorRecord,
  ItemFields,
  IndexedItem,
  SearchFilter,
  SearchOptions,
  SearchHit,
  IndexWriter,
  RebuildReason,
} from './vector/types.js';
export { KnowledgeBase } from './kb/knowledge-base.js';
export { defaultEmbedders } from './kb/embedders.js';
export { incomingWins } from './kb/plan.js';
export { alignedSink, alignedModelVersions } from './kb/aligned.js';
export type {
  IngestItem,
  AlignedBatch,
  AlignVideoFn,
  Embedder,
  EmbedderProvider,
  KnowledgeBaseOptions,
  SyncOptions,
  SyncResult,
  KbVersion,
  KbChange,
  ChangeKind,
  KbQuery,
  KbSearchHit,
  VerifyReport,
  VerifyProblem,
  VerifyProblemKind,
  Evaluation,
} from './kb/types.js';
export { scanSource, splitMarkdown, splitParagraphs, SOURCE_EXTENSIONS, type SourceItem, type ScanResult } from './kb/sources.js';
export { acquireLock, lockHolder, type HeldLock, type LockHolder, type LockOptions } from '../src/core/lock.js';
