/**
 * mmalign public API. Kept short on purpose: what is exported here is the supported surface.
 */
export * from './core/errors/index.js';
export { EMBED_DIM, MODALITIES, type Modality, type Cue, type FrameRef, type Warning } from './core/types.js';
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
export { createEncoder, type EncoderOptions, type EncoderOf, type AudioEncoderApi } from '../encoders/encoder.js';
export { similarity, similarityMatrix } from '../encoders/similarity.js';
export { ProjectionHeads, type HeadDef, type HeadSpec, type HeadsMetadata } from '../encoders/heads.js';
export { resolveDevice, DEVICE_PROVIDERS, type ExecutionProvider } from '../encoders/device.js';
export type { Logger } from './core/progress.js';
export type { AudioWindowEmbedding } from '../encoders/audio.js';
export type { Encoder, Device, Dtype, ImageInput, AudioInput, RawImage, PcmAudio, InputOf, EmbedOutcome } from '../encoders/types.js';
export { trainHeads, TRAIN_HEADS_DEFAULTS, type TrainHeadsOptions, type TrainHeadsResult, type EpochReport, type HeadsTrainingRecord } from '../encoders/train-heads.js';
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
export {
  VectorIndex,
  KnowledgeBase,
  defaultEmbedders,
  incomingWins,
  alignedSink,
  alignedModelVersions,
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
export { resolveModel, type ResolvedModel, type ResolveModelOptions, type ModelSource } from '../encoders/models.js';
export { pullModel, type PullModelOptions, type PulledModel } from '../encoders/pull.js';
export { listModels, type ModelListing } from '../encoders/model-list.js';
export { checkOnnxFile } from '../encoders/onnx-check.js';
export { defaultCacheDir } from '../encoders/model-places.js';
export { MODALITY_REGISTRY, getModalitySpec, EMBEDDED_MODELS_DIR, type ModalitySpec, type ModelConfigJson } from '../encoders/registry.js';
export {
  buildModel,
  buildModels,
  generatedModelId,
  MODEL_FAMILIES,
  MODEL_PRESETS,
  type ModelFamily,
  type ModelPreset,
  type BuildModelOptions,
  type BuildModelsOptions,
  type BuiltModel,
} from '../encoders/onnx/build.js';
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
export {
  probeMedia,
  decodeAudio,
  sliceAudio,
  resolveFfmpegBinaries,
  listSubtitleStreams,
  selectSubtitleStream,
  extractSubtitleStream,
  withSubtitleStream,
  subtitleStreamExtension,
  type SubtitleStreamInfo,
  type MediaInfo,
  type DecodedAudio,
  type FfmpegBinaries,
} from './core/ffmpeg/index.js';
export { sampleFrames, SAMPLING_MODES, type SamplingMode, type SamplingPlan, type SampledFrame } from './pipeline/frames/index.js';
export { writeReport, readVideoReport, readCorpusReport, type WriteReportOptions, type WriteReportResult, type VideoReport, type CorpusReport } from './report/index.js';
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
export { syncSubtitles, defaultSyncedPath, type SyncSubtitlesOptions, type SyncSubtitlesResult } from './sync/index.js';
export {
  synchroniseAudio,
  synchroniseCues,
  referenceSpeech,
  applyMapping,
  mapTime,
  isSpokenText,
  pairCuesWithShots,
  shotsFromFrames,
  toSyncJson,
  createVad,
  VAD_NAMES,
  SYNC_DEFAULTS,
  NoAudioTrackError,
  NoSpokenCuesError,
  SyncNotConfidentError,
  VadModelError,
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
