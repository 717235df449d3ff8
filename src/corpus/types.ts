/**
 * Shapes shared by the corpus pieces: an input entry, the serialisable align settings a job carries,
 * the plan a coordinator writes for its workers, and the per-video job record in the output folder.
 * Everything here crosses a process boundary (a pool child, a BullMQ job), so it is plain JSON.
 */
import type { ModelIdentity } from '../../encoders/choice.js';
import type { Device, Dtype } from '../../encoders/types.js';
import type { Modality } from '../core/types.js';
import type { ExportFormat } from '../pipeline/dataset.js';
import type { SamplingMode } from '../pipeline/frames/index.js';
import type { SyncMode } from '../pipeline/stages/sync.js';

/** A JSON value, as manifest columns carry them into sample metadata. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** How corpus train/dev are split: `video` keeps each video on one side; `cue` is each video's own per-cue split. */
export type SplitBy = 'video' | 'cue';
export const SPLIT_BY: readonly SplitBy[] = Object.freeze(['video', 'cue'] as const);

/** One video of the corpus as the input describes it. */
export interface CorpusEntry {
  /** Stable sample-key prefix and folder name under `videos/`: letters, digits, `_` and `-` only (no dots). */
  key: string;
  /** Absolute path of the video. */
  video: string;
  /** Absolute path of the subtitle file, or null: use the video's embedded subtitle stream. */
  subtitles: string | null;
  /** The manifest's per-video prompt, else null (the run's `--prompt`). */
  prompt: string | null;
  /** Every other manifest column, carried into each sample's metadata. */
  metadata: Record<string, JsonValue>;
  /** Where the entry came from, for messages: `manifest.csv:12` or the path relative to the input folder. */
  origin: string;
}

/** The `align` options a video job runs with: the serialisable part of `AlignVideoOptions`. */
export interface VideoAlignSettings {
  mode: SamplingMode;
  fps: number;
  perCue: number;
  sceneThreshold: number;
  threshold: number;
  offset: number;
  /** `align --sync`; absent (plans of earlier versions): `auto`. */
  sync?: SyncMode;
  embed: boolean;
  device: Device;
  /** Hub id or folder (absolute) of each modality's model; a modality left out uses its embedded tiny model. */
  model?: Partial<Record<Modality, string>>;
  /** ONNX variant per modality; a modality left out loads fp32. */
  dtype?: Partial<Record<Modality, Dtype>>;
  /** Workers may download a model found nowhere locally (the coordinator fetches it first). Default false. */
  allowRemote?: boolean;
  modelsDir: string | null;
  heads: string | null;
  format: ExportFormat;
  prompt: string;
  split: number;
  seed: number;
  jpegQuality: number;
}

/** Settings of the whole corpus run: the align options plus the corpus-level steps. */
export interface CorpusSettings {
  align: VideoAlignSettings;
  splitBy: SplitBy;
  shardSize: number;
  withAudio: boolean;
  /** Knowledge base the finalize step ingests into (absolute), or null. */
  kb: string | null;
  /** Preferred subtitle language (sidecar `name.<lang>.srt`, embedded stream tag), or null. */
  subLang: string | null;
}

/** What the plan knows about an entry before any job runs. */
export type PlannedState = 'pending' | 'complete' | 'failed' | 'duplicate';

export interface PlannedVideo extends CorpusEntry {
  /** Hash of the video's content, its subtitles' content and the align settings: equal hash, equal output. */
  jobHash: string;
  /** BullMQ job id: corpus id + job hash, so a resubmission adds nothing twice. */
  jobId: string;
  state: PlannedState;
  /** For `duplicate`: the key of the entry with the same content that is aligned instead. */
  duplicateOf?: string;
  /** For an entry that failed before any job (a missing video): why. */
  planError?: { message: string; code: string };
}

/** Everything a worker or the finalize step needs, written to `DIR/.mmalign/plans/<hash>.json`. */
export interface CorpusPlan {
  version: 1;
  corpusId: string;
  /** The input folder or manifest (absolute). */
  input: string;
  /** The corpus output folder (absolute, as the coordinator sees it). */
  out: string;
  settings: CorpusSettings;
  /**
   * Per modality, the model file the videos are embedded with, as the coordinator found it (null with
   * embedding off): part of every job hash, so another model, dtype or file realigns.
   */
  models: Partial<Record<Modality, ModelIdentity>> | null;
  entries: PlannedVideo[];
  /** Hash of the settings and every entry's identity (not of what is done yet). */
  planHash: string;
}

/** One video job, as a pool child or a BullMQ worker receives it. */
export interface VideoJobSpec {
  corpusId: string;
  out: string;
  entry: CorpusEntry;
  jobHash: string;
  align: VideoAlignSettings;
  subLang: string | null;
}

/** `DIR/.mmalign/jobs/<key>.json`: the outcome of a video's job; `complete` is written last, after the align output. */
export type VideoJobRecord =
  | {
      version: 1;
      status: 'complete';
      key: string;
      jobHash: string;
      video: string;
      /** The subtitle file aligned (for embedded subtitles: the one extracted into the video's folder). */
      subtitles: string;
      duration: number;
      frames: number;
      pairs: number;
      train: number;
      dev: number;
      hasAudio: boolean;
      embedded: boolean;
      /** The alignment's warnings (the first ten). */
      warnings: string[];
      /** Wall seconds the alignment took. */
      seconds: number;
      /** `host:pid` of the process that aligned it. */
      worker: string;
      finishedAt: string;
    }
  | {
      version: 1;
      status: 'failed';
      key: string;
      jobHash: string;
      video: string;
      error: string;
      code: string;
      attempts: number;
      /** False for bad input (retrying cannot help: a rerun with the same content skips it too). */
      retryable: boolean;
      worker: string;
      finishedAt: string;
    };

export type CompleteRecord = Extract<VideoJobRecord, { status: 'complete' }>;
export type FailedRecord = Extract<VideoJobRecord, { status: 'failed' }>;

/** How a video ended, as progress and the summary report it. */
export interface VideoOutcome {
  key: string;
  video: string;
  status: 'ok' | 'reused' | 'failed' | 'duplicate';
  /** Media seconds (0 when unknown). */
  duration: number;
  pairs: number;
  /** Wall seconds of this run's work on it. */
  seconds: number;
  error?: string;
  code?: string;
  attempts?: number;
}

/** An error as it crosses a process boundary. */
export interface SerializedError {
  name: string;
  message: string;
  code: string;
  retryable: boolean;
  stack?: string;
}
