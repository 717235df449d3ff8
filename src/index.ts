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
