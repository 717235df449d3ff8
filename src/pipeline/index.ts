/** The align pipeline: `alignVideo`, its options and result, and the dataset formats it writes. */
export { alignVideo } from './align-video.js';
export { resolveAlignOptions, type AlignVideoOptions, type ResolvedAlignOptions } from './options.js';
export {
  ALIGN_STAGES,
  type AlignStage,
  type AlignVideoResult,
  type AlignedSink,
  type EncoderFactory,
  type PipelineVector,
  type OutputFiles,
} from './types.js';
export { SYNC_MODES, type SyncMode, type SyncRecord, type AlignSyncOptions } from './stages/sync.js';
