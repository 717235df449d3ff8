/** Every error class of mmalign, one base and its subclasses split by area. */
export { MmalignError, type ErrorCode } from './base.js';
export { UsageError, InvalidOptionError } from './usage.js';
export { InputFileError, SubtitleParseError, SubtitlesOutsideVideoError, OutputError, OutputNotOwnedError } from './input.js';
export {
  FfmpegNotFoundError,
  MediaDecodeError,
  NoVideoStreamError,
  NoSubtitleStreamError,
  BitmapSubtitlesError,
  SubtitleStreamNotFoundError,
  type SubtitleStreamRef,
} from './media.js';
export { ModelNotFoundError, ModelDownloadError, ModelLoadError } from './models.js';
export { HeadsMismatchError, EncodeInputError, EmbedBatchError, EmbeddingDimensionError, TrainingDataError } from './encode.js';
export { VectorDimensionError, InvalidVectorError, KbLockedError, KbCorruptError, KbVerifyError, KbModelMismatchError } from './kb.js';
export {
  DiskFullError,
  NotWritableError,
  OutputLockedError,
  InterruptedError,
  INTERRUPT_EXIT_CODES,
  environmentError,
  systemErrorCode,
  type InterruptSignal,
} from './system.js';
export { CorpusFailuresError, QueueError, WorkerCrashedError } from './corpus.js';
export { NoAudioTrackError, NoSpokenCuesError, VadModelError, SyncNotConfidentError } from './sync.js';
