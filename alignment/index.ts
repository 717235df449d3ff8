/** Subtitle I/O and timestamp alignment: everything here works without a model. */
export {
  parseSubtitles,
  readSubtitleFile,
  formatSrt,
  formatVtt,
  formatSubtitles,
  writeSubtitleFile,
  decodeSubtitleBytes,
  subtitleFormatFromPath,
  SUBTITLE_FORMATS,
  type SubtitleDocument,
  type SubtitleFormat,
  type ParseSubtitlesOptions,
} from './subtitles.js';
export {
  alignByTimestamp,
  alignTimesTyped,
  framesForCues,
  CUE_FRAMES_MODES,
  type FrameMatch,
  type TypedFrameMatches,
  type CueFrames,
  type CueFramesMode,
  type AlignOptions,
  type FramesForCuesOptions,
  type TimeSpan,
} from './align.js';
export { cueTargets, matchCueTargets } from './cue-targets.js';
