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
export {
  KnowledgeBase,
  defaultEmbedders,
  incomingWins,
  alignedSink,
  alignedModelVersions,
  type IngestItem,
  type AlignedBatch,
  type AlignVideoFn,
  type Embedder,
  type EmbedderProvider,
  type KnowledgeBaseOptions,
  type SyncOptions,
  type SyncResult,
  type KbVersion,
  type KbChange,
  type ChangeKind,
  type KbQuery,
  type KbSearchHit,
  type VerifyReport,
  type VerifyProblem,
  type VerifyProblemKind,
  type Evaluation,
} from './kb.js';
export { scanSource, splitMarkdown, splitParagraphs, SOURCE_EXTENSIONS, type SourceItem, type ScanResult } from './sources.js';
export { acquireLock, lockHolder, type HeldLock, type LockHolder, type LockOptions } from '../src/core/lock.js';
