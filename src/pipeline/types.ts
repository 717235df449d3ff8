/** The shapes the pipeline's stages hand each other, and what `alignVideo` returns. */
import type { ProjectionHeads } from '../../encoders/heads.js';
import type { Dtype, Encoder } from '../../encoders/types.js';
import type { FfmpegBinaries } from '../core/ffmpeg/index.js';
import type { Logger, Progress } from '../core/progress.js';
import type { ModelRecord, Modality, Warning } from '../core/types.js';
import type { AlignedPair, ExportFormat } from './dataset.js';
import type { SamplingMode } from './frames/plan.js';
import type { SyncRecord } from './stages/sync.js';

/** Pipeline stages, in order; `seconds` in the result has one entry per stage. */
export type AlignStage = 'probe' | 'subtitles' | 'sync' | 'frames' | 'audio' | 'align' | 'embed' | 'export';
export const ALIGN_STAGES: readonly AlignStage[] = Object.freeze(['probe', 'subtitles', 'sync', 'frames', 'audio', 'align', 'embed', 'export'] as const);

/**
 * Creates an encoder; injectable so tests and callers can bring their own models. `model` and `dtype`
 * are this modality's (already picked out of the per-modality options).
 */
export type EncoderFactory = (
  modality: Modality,
  options: { model?: string; dtype?: Dtype; allowRemote?: boolean; modelsDir?: string; device?: string; heads?: string | ProjectionHeads; logger?: Logger },
) => Promise<Encoder>;

/** A vector the pipeline computed, keyed like the rows of embeddings.json. */
export interface PipelineVector {
  /** `frame:t000012.500`, `text:3` or `audio:3` (3 = the cue's index in the subtitle file). */
  id: string;
  modality: Modality;
  vector: Float32Array;
}

/** A {@link PipelineVector} with the content key it is cached under (text hash, frame sha1, audio span). */
export interface KeyedVector extends PipelineVector {
  key: string;
}

/** Per modality, what the vectors came from: model id, dtype, device, ONNX file fingerprint and heads version. */
export type ModelsUsed = Partial<Record<Modality, ModelRecord>>;

/**
 * Where aligned output can go besides DIR, e.g. a knowledge base (`--kb`). Called once per run,
 * after embedding and before the dataset files are written; a throw fails the run. Newly sampled
 * frames are moved into `frames/` only after the sink returns: their paths in `pairs` exist once the run completes.
 */
export type AlignedSink = (batch: {
  video: string;
  pairs: readonly AlignedPair[];
  vectors: readonly PipelineVector[];
  /** Per modality, the model (id, dtype, device, file fingerprint) and projection-heads version the vectors came from. */
  models: Readonly<ModelsUsed>;
}) => Promise<void>;

/** A frame as the pipeline carries it: its bytes are on disk (staging or DIR/frames), never kept in memory. */
export interface FrameRecord {
  time: number;
  /** Where the frame lives once the run completes: `DIR/frames/<name>`. */
  file: string;
  sha1: string;
  bytes: number;
}

/** What every stage may use: the run's shared I/O, progress and warnings. */
export interface StageContext {
  binaries: FfmpegBinaries;
  progress: Progress;
  log: (message: string) => void;
  /** Non-fatal problems, in the order they were found; returned with the result. */
  warnings: Warning[];
  /** Clock in ms (stage timings, audio decode time). */
  now: () => number;
  signal?: AbortSignal;
}

export interface AlignVideoResult {
  video: string;
  /** The subtitle file, or `VIDEO#stream=N` when the video's own subtitle stream N was used. */
  subtitles: string;
  /** How the cue times were checked against the speech and whether they moved. */
  sync: SyncRecord;
  out: string;
  mode: SamplingMode;
  format: ExportFormat;
  /** Video duration in seconds. */
  duration: number;
  frames: number;
  pairs: number;
  unpairedFrames: number;
  unpairedCues: number;
  dropped: { duplicates: number; emptyText: number };
  train: number;
  dev: number;
  /** True when the frames from an earlier run in DIR matched and were reused. */
  framesReused: boolean;
  /** Vectors taken from an earlier run in DIR (same content, model file, dtype and heads) instead of recomputed. */
  embeddingsReused: number;
  hasAudio: boolean;
  embedded: boolean;
  warnings: Warning[];
  seconds: Record<AlignStage, number>;
  files: OutputFiles;
}

/** The files of an align output folder (absolute paths; null where this run wrote none). */
export interface OutputFiles {
  frames: string;
  pairs: string;
  train: string;
  dev: string;
  manifest: string;
  embeddings: string | null;
  embeddingsIndex: string | null;
  /** LLaMA-Factory's dataset card, written with the `glm41v` format. */
  datasetInfo: string | null;
  /** The sync stage's mapping, cue times and speech curve (the identity and why, when sync was skipped). */
  sync: string;
  /** The subtitle stream extracted from the video, when it was the source of the cues; else null. */
  subtitles: string | null;
}
