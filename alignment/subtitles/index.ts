/** Subtitle reading (SRT, WebVTT, ASS/SSA, SBV, TTML/DFXP, MicroDVD), cue text sanitising, SRT/WebVTT writing. */
export { parseSubtitles, readSubtitleFile } from './parse.js';
export { decodeSubtitleBytes, type DecodedText } from './encoding.js';
export { sanitizeCueText, cleanCueText, decodeEntities, stripControls, type CueMarkup } from './text.js';
export { formatSrt, formatVtt, formatSubtitles, writeSubtitleFile, subtitleFormatFromPath } from './write.js';
export { sniffBinary, type BinarySniff } from './sniff.js';
export {
  SUBTITLE_FORMATS,
  WRITABLE_SUBTITLE_FORMATS,
  SUBTITLE_DEFAULTS,
  type SubtitleFormat,
  type WritableSubtitleFormat,
  type SubtitleDocument,
  type ParseSubtitlesOptions,
  type ReadSubtitleOptions,
} from './types.js';
