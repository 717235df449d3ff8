/** Subtitle I/O and timestamp alignment: everything here works without a model. */
export {
  parseSubtitles,
  readSubtitleFile,
  formatSrt,
  formatVtt,
  formatSubtitles,
  writeSubtitleFile,
  decodeSubtitleBytes,
  sanitizeCueText,
  subtitleFormatFromPath,
  SUBTITLE_FORMATS,
  WRITABLE_SUBTITLE_FORMATS,
  SUBTITLE_DEFAULTS,
  type SubtitleDocument,
  type SubtitleFormat,
  type WritableSubtitleFormat,
  type ParseSubtitlesOptions,
  type ReadSubtitleOptions,
  type CueMarkup,
} from './subtitles/index.js';
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
export { pairCuesWithShots, shotsFromFrames, type ShotPair } from './sync/intervals.js';
