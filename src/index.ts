/**
 * mmalign's public API: what is exported here is the supported surface, grouped by job; everything else
 * may change between releases. The CLI (`mmalign`) is built on these same functions.
 *
 * Not exported, and why:
 * - the ffmpeg driver's internals (`runFfmpeg`, `sliceAudio`, `parseInputDump`): `probeMedia`,
 *   `decodeAudio` and the subtitle-stream functions are the stable ways in;
 * - the ONNX file check, generated-model ids and graph builders (`checkOnnxFile`, `generatedModelId`,
 *   `buildModel`): `resolveModel` checks a model and `buildModels` makes the seeded ones;
 * - the knowledge base's merge rule and model bookkeeping (`incomingWins`, `alignedModelVersions`,
 *   `defaultEmbedders`): `KnowledgeBase` applies them; pass `embedders` to change how items are embedded;
 * - the synchroniser's building blocks (`mapTime`, `referenceSpeech`, `toSyncJson`, shot pairing):
 *   `syncSubtitles`, `synchroniseAudio`, `synchroniseCues` and `applyMapping` cover its uses;
 * - the CLI's plumbing (`environmentError`, exit statuses, option builders, terminal sanitising);
 * - test and benchmark helpers.
 *
 * @example
 * import { alignVideo } from 'mmalign';
 * const r = await alignVideo('talk.mp4', 'talk.srt', { out: 'talk-out' });
 */
// Errors: one base class (`MmalignError`, with a `code`), one subclass per failure, each with the
// fields a caller needs (the file, the option, the path...). Catch the base, switch on `code`.
export {
  MmalignError,
  UsageError,
  InvalidOptionError,
  InputFileError,
  SubtitleParseError,
  SubtitlesOutsideVideoError,
  OutputError,
  OutputNotOwnedError,
  FfmpegNotFoundError,
  MediaDecodeError,
  NoVideoStreamError,
  NoSubtitleStreamError,
  BitmapSubtitlesError,
  SubtitleStreamNotFoundError,
  ModelNotFoundError,
  ModelDownloadError,
  ModelLoadError,
  HeadsMismatchError,
  EncodeInputError,
  EmbedBatchError,
  EmbeddingDimensionError,
  TrainingDataError,
  VectorDimensionError,
  InvalidVectorError,
  KbLockedError,
  KbCorruptError,
  KbVerifyError,
  KbModelMismatchError,
  DiskFullError,
  NotWritableError,
  OutputLockedError,
  InterruptedError,
  CorpusFailuresError,
  QueueError,
  WorkerCrashedError,
  NoAudioTrackError,
  NoSpokenCuesError,
  VadModelError,
  SyncNotConfidentError,
  type ErrorCode,
  type SubtitleStreamRef,
  type InterruptSignal,
} from './core/errors/index.js';
export { EMBED_DIM, MODALITIES, type Modality, type Cue, type FrameRef, type Warning } from './core/types.js';
// Subtitles: read any format (SRT, WebVTT, ASS/SSA, SBV, TTML, MicroDVD), write SRT/WebVTT, and pair frames with cues by time.
export {
  parseSubtitles,
  readSubtitleFile,
  formatSrt,
  formatVtt,
  writeSubtitleFile,
  sanitizeCueText,
  SUBTITLE_FORMATS,
  WRITABLE_SUBTITLE_FORMATS,
  SUBTITLE_DEFAULTS,
  alignByTimestamp,
  alignTimesTyped,
  framesForCues,
  type SubtitleDocument,
  type SubtitleFormat,
  type WritableSubtitleFormat,
  type ParseSubtitlesOptions,
  type ReadSubtitleOptions,
  type FrameMatch,
  type TypedFrameMatches,
  type CueFrames,
  type CueFramesMode,
} from '../alignment/index.js';
// Encoders: one per modality into the shared 256-d space, and the device map they run on.
export { createEncoder, type EncoderOptions, type EncoderOf, type AudioEncoderApi } from '../encoders/encoder.js';
export { similarity, similarityMatrix } from '../encoders/similarity.js';
export { ProjectionHeads, type HeadDef, type HeadSpec, type HeadsMetadata } from '../encoders/heads.js';
export { resolveDevice, DEVICE_PROVIDERS, type ExecutionProvider } from '../encoders/device.js';
export type { Logger } from './core/progress.js';
export type { AudioWindowEmbedding } from '../encoders/audio.js';
export type { Encoder, Device, Dtype, ImageInput, AudioInput, RawImage, PcmAudio, InputOf, EmbedOutcome } from '../encoders/types.js';
// Projection heads: train, evaluate and decide when to retrain them on your pairs.
export {
  trainHeads,
  TRAIN_HEADS_DEFAULTS,
  type TrainHeadsOptions,
  type TrainHeadsResult,
  type EpochReport,
  type HeadsTrainingRecord,
} from '../encoders/train-heads.js';
export {
  evaluateHeads,
  type EvaluateHeadsOptions,
  type HeadsEvaluation,
  type HeadsEvaluationReport,
  type KindEvaluation,
  type LabelEvaluation,
  type RetrievalScores,
} from '../encoders/eval-heads.js';
export type { NativePairs, NativePair, NativeVectors, PairKind } from '../encoders/native-pairs.js';
export { nativePairsFromFile, type NativePairsFromFileOptions } from './heads/pairs-sources.js';
export type { Matrix } from '../encoders/linalg.js';
export { shouldRetrain, type RetrainPolicy, type RetrainDecision, type EvaluationPoint } from '../encoders/retrain.js';
// The vector index and the knowledge base. `alignedSink(kb)` is what `align --kb` hands alignVideo.
export {
  VectorIndex,
  KnowledgeBase,
  alignedSink,
  type IngestItem,
  type AlignVideoFn,
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
// Models: resolve a hub id or folder, pull into the cache, list, and generate the seeded (not semantic) models.
export { resolveModel, type ResolvedModel, type ResolveModelOptions, type ModelSource } from '../encoders/models.js';
export { pullModel, type PullModelOptions, type PulledModel } from '../encoders/pull.js';
export { listModels, type ModelListing } from '../encoders/model-list.js';

export { defaultCacheDir } from '../encoders/model-places.js';
export {
  MODALITY_REGISTRY,
  getModalitySpec,
  EMBEDDED_MODELS_DIR,
  type ModalitySpec,
  type ModelConfigJson,
} from '../encoders/registry.js';
export {
  buildModels,
  MODEL_PRESETS,
  type ModelFamily,
  type ModelPreset,
  type BuildModelOptions,
  type BuildModelsOptions,
  type BuiltModel,
} from '../encoders/onnx/build.js';
// The main job: align a video with its subtitles into frames, pairs, vectors and a GLM dataset.
export {
  alignVideo,
  ALIGN_STAGES,
  type AlignVideoOptions,
  type AlignVideoResult,
  type AlignStage,
  type AlignedSink,
  type EncoderFactory,
  type PipelineVector,
  SYNC_MODES,
  type SyncMode,
  type SyncRecord,
  type AlignSyncOptions,
} from './pipeline/index.js';
// Dataset records in the GLM fine-tuning formats, for writing your own exporter.
export {
  toGlm4vRecord,
  toGlm41vRecord,
  toDatasetRecord,
  splitTrainDev,
  llamaFactoryDatasetInfo,
  DEFAULT_PROMPT,
  EXPORT_FORMATS,
  type ExportFormat,
  type AlignedPair,
  type Glm4vRecord,
  type Glm41vRecord,
  type SplitOptions,
} from './pipeline/dataset.js';
// Media through the one ffmpeg driver (no ffprobe needed): probe, decode audio, subtitle streams inside a video.
export {
  probeMedia,
  decodeAudio,
  resolveFfmpegBinaries,
  listSubtitleStreams,
  selectSubtitleStream,
  extractSubtitleStream,
  withSubtitleStream,
  type SubtitleStreamInfo,
  type MediaInfo,
  type DecodedAudio,
  type FfmpegBinaries,
} from './core/ffmpeg/index.js';
export { sampleFrames, SAMPLING_MODES, type SamplingMode, type SamplingPlan, type SampledFrame } from './pipeline/frames/index.js';
// The report page of an aligned video or a corpus.
export {
  writeReport,
  readVideoReport,
  readCorpusReport,
  type WriteReportOptions,
  type WriteReportResult,
  type VideoReport,
  type CorpusReport,
} from './report/index.js';
// Corpora: many videos on a local pool or BullMQ workers, WebDataset shards.
export {
  corpusSettings,
  planCorpus,
  runLocalCorpus,
  runQueuedCorpus,
  startCorpusWorker,
  finalizeCorpus,
  discoverInputs,
  readShard,
  type CorpusSettings,
  type CorpusSettingsInput,
  type CorpusPlan,
  type CorpusRunResult,
  type CorpusSummary,
  type QueuedRunOptions,
  type CorpusWorkerOptions,
} from './corpus/index.js';
// Subtitle synchronisation: the `mmalign sync` job, and the mapping on cues and a speech curve you already have.
export { syncSubtitles, defaultSyncedPath, type SyncSubtitlesOptions, type SyncSubtitlesResult } from './sync/index.js';
export {
  synchroniseAudio,
  synchroniseCues,
  applyMapping,
  createVad,
  VAD_NAMES,
  SYNC_DEFAULTS,
  type SubtitleSyncResult,
  type SyncStatus,
  type SyncMapping,
  type SyncSplit,
  type SyncMethod,
  type SyncedCue,
  type SpeechCurve,
  type SyncJson,
  type ShotPair,
  type VadName,
  type VoiceActivityDetector,
} from '../alignment/sync/index.js';
