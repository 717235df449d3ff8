/** THE ffmpeg driver: finding the binary, running it, probing, decoding and slicing audio, subtitle streams. */
export {
  resolveFfmpegBinary,
  resolveFfmpegBinaries,
  defaultBinary,
  defaultBinaries,
  type FfmpegTool,
  type BinarySource,
  type ResolvedBinary,
  type FfmpegBinaries,
  type ResolveBinariesOptions,
} from './binaries.js';
export { runFfmpeg, firstLines, damageDetail, DAMAGE, type FfmpegRun, type RunFfmpegOptions } from './run.js';
export { probeMedia, readInputDump, requireVideo, type MediaInfo, type VideoStreamInfo, type AudioStreamInfo } from './probe.js';
export { parseInputDump, channelCount, type InputDump, type DumpStream } from './dump.js';
export {
  decodePcm,
  decodeAudio,
  sliceAudio,
  AUDIO_SAMPLE_RATE,
  type AudioSource,
  type DecodePcmOptions,
  type PcmRun,
  type DecodedAudio,
  type DecodeAudioOptions,
} from './audio.js';
export {
  listSubtitleStreams,
  selectSubtitleStream,
  extractSubtitleStream,
  subtitleStreamExtension,
  subtitleStreamLabel,
  subtitleStreamsFromDump,
  withSubtitleStream,
  TEXT_SUBTITLE_CODECS,
  BITMAP_SUBTITLE_CODECS,
  type SubtitleStreamInfo,
  type SubtitleStreamKind,
} from './subtitles.js';
