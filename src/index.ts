/**
 * mmalign public API. Kept short on purpose: what is exported here is the supported surface.
 */
export * from './errors.js';
export { EMBED_DIM, MODALITIES, type Modality, type Cue, type FrameRef, type Warning } from './types.js';
export {
  parseSubtitles,
  readSubtitleFile,
  formatSrt,
  formatVtt,
  writeSubtitleFile,
  alignByTimestamp,
  framesForCues,
  type SubtitleDocument,
  type SubtitleFormat,
  type FrameMatch,
  type CueFrames,
  type CueFramesMode,
} from '../alignment/index.js';
export {
  VectorIndex,
  KnowledgeBase,
  defaultEmbedders,
  incomingWins,
  type VectorIndexOptions,
  type VectorRecord,
  type IndexedItem,
  type SearchFilter,
  type SearchOptions,
  type SearchHit,
  type Embedder,
  type EmbedderProvider,
  type KnowledgeBaseOptions,
  type SyncOptions,
  type SyncResult,
  type KbVersion,
  type KbChange,
  type KbQuery,
  type KbSearchHit,
  type VerifyReport,
  type VerifyProblem,
  type Evaluation,
} from '../index/index.js';
