/**
 * `alignVideo`'s options: their defaults (ALIGN_DEFAULTS, shared with the CLI's `.default()`), and
 * the one place they are checked. Everything behind the boundary trusts a {@link ResolvedAlignOptions}.
 */
import path from 'node:path';
import { forModality, type PerModality } from '../../encoders/choice.js';
import { resolveDtype } from '../../encoders/dtype.js';
import type { ProjectionHeads } from '../../encoders/heads.js';
import type { Device, Dtype, Encoder } from '../../encoders/types.js';
import { ALIGN_DEFAULTS } from '../core/defaults.js';
import { InvalidOptionError } from '../core/errors/index.js';
import { defaultBinaries, type FfmpegBinaries } from '../core/ffmpeg/index.js';
import { silentProgress, type Logger, type Progress } from '../core/progress.js';
import { MODALITIES } from '../core/types.js';
import { DEFAULT_PROMPT, EXPORT_FORMATS, toDatasetRecord, type ExportFormat } from './dataset.js';
import { checkJpegQuality, SAMPLING_MODES, validatePlan, type SamplingMode } from './frames/plan.js';
import { SYNC_MODES, type AlignSyncOptions, type SyncMode } from './stages/sync.js';
import type { AlignedSink, EncoderFactory } from './types.js';

export interface AlignVideoOptions {
  /** Output folder (created if missing). */
  out: string;
  /** Frame sampling: `fps` (default), `cue` or `scene`. */
  mode?: SamplingMode;
  /** Frames per second in `fps` mode. Default 1. */
  fps?: number;
  /** Frames per cue in `cue` mode, evenly inside it (1 = the midpoint). Default 1. */
  perCue?: number;
  /** Scene-change score (0–1) above which `scene` mode takes a frame. Default 0.3. */
  sceneThreshold?: number;
  /** Largest frame-to-cue gap in seconds that still pairs them. Default 0.5. */
  threshold?: number;
  /**
   * Seconds added to every cue time: positive delays the subtitles, negative makes them earlier (use a
   * negative value when subtitles appear late). Default 0.
   */
  offset?: number;
  /**
   * `auto` (default): synchronise the cues with the video's speech before pairing (after `offset`),
   * moving them when the mapping is trustworthy; `off`: use them as given, warning when speech and
   * cues clearly disagree.
   */
  sync?: SyncMode;
  /** Knobs of the sync search: maxOffset, framerate, splits, vad. */
  syncOptions?: AlignSyncOptions;
  /**
   * With no subtitle file (`subtitles` null): which subtitle stream of the video to use, by number
   * among its subtitle streams (0 = first) or by language (`eng`, `en`, `fre`...). Default: the
   * first text stream that is not forced.
   */
  subtitleStream?: number | string;
  /** Embed frames, cue texts and cue audio (default true). */
  embed?: boolean;
  device?: Device;
  /**
   * The model of each modality: a hub id or folder, e.g. `{ text: 'Xenova/all-MiniLM-L6-v2', image:
   * 'Xenova/resnet-50' }` (a string names one model for all). Default: the embedded tiny models (not semantic).
   */
  model?: PerModality<string>;
  /** ONNX variant, for all modalities (`'q8'`) or per modality (`{ text: 'q8' }`). Default fp32. */
  dtype?: PerModality<Dtype>;
  /** Download a model found nowhere locally from `$HF_ENDPOINT` (default the hub) into the cache. Default false. */
  allowRemote?: boolean;
  /** Folder of `<org>/<name>` model folders searched first (default `$MMALIGN_MODELS`). */
  modelsDir?: string;
  /** Projection heads (a heads file or loaded heads); default: the seeded heads of each model. */
  heads?: string | ProjectionHeads;
  /** Dataset format of train/dev.jsonl. Default `glm4v`. */
  format?: ExportFormat;
  prompt?: string;
  /** Fraction of cues in train.jsonl (the rest in dev.jsonl). Default 0.9. */
  split?: number;
  seed?: number;
  /** JPEG quality 1–100. Default 90. */
  jpegQuality?: number;
  binaries?: FfmpegBinaries;
  progress?: Progress;
  /** Verbose notes (which ffmpeg, what was resumed). */
  log?: (message: string) => void;
  /** Hears the encoders' notes (e.g. that the models in use are generated); their warnings go to the result's `warnings`. */
  logger?: Logger;
  createEncoder?: EncoderFactory;
  sink?: AlignedSink;
  /** Clock for stage timings (ms); injectable for tests. */
  now?: () => number;
  signal?: AbortSignal;
}

/** The options after the boundary: defaults applied, every value checked, paths absolute. */
export interface ResolvedAlignOptions {
  video: string;
  /** Null: the video's own subtitle stream (`subtitleStream`). */
  subtitles: string | null;
  subtitleStream: number | string | undefined;
  sync: SyncMode;
  syncOptions: AlignSyncOptions;
  out: string;
  mode: SamplingMode;
  fps: number;
  perCue: number;
  sceneThreshold: number;
  threshold: number;
  offset: number;
  embed: boolean;
  device: Device;
  model: PerModality<string> | undefined;
  dtype: PerModality<Dtype> | undefined;
  allowRemote: boolean;
  modelsDir: string | undefined;
  heads: string | ProjectionHeads | undefined;
  format: ExportFormat;
  prompt: string;
  split: number;
  seed: number;
  jpegQuality: number;
  binaries: FfmpegBinaries;
  progress: Progress;
  log: (message: string) => void;
  logger: Logger | undefined;
  createEncoder: EncoderFactory;
  sink: AlignedSink | undefined;
  now: () => number;
  signal: AbortSignal | undefined;
}

// Loaded lazily so `--no-embed` runs never load onnxruntime (seconds of start-up on a small machine).
async function defaultEncoderFactory(...args: Parameters<EncoderFactory>): Promise<Encoder> {
  const { createEncoder } = await import('../../encoders/encoder.js');
  const [modality, o] = args;
  return createEncoder(modality, { model: o.model, dtype: o.dtype, allowRemote: o.allowRemote, modelsDir: o.modelsDir, device: o.device as Device | undefined, heads: o.heads, logger: o.logger });
}

/**
 * Applies the defaults and checks every option once, before any work starts.
 *
 * @example
 * const o = resolveAlignOptions('talk.mp4', 'talk.srt', { out: 'out', fps: 2 });
 * const embedded = resolveAlignOptions('film.mkv', null, { out: 'out', subtitleStream: 'fre' });
 */
export function resolveAlignOptions(
  video: string,
  subtitles: string | null,
  {
    out,
    mode = ALIGN_DEFAULTS.mode,
    fps = ALIGN_DEFAULTS.fps,
    perCue = ALIGN_DEFAULTS.perCue,
    sceneThreshold = ALIGN_DEFAULTS.sceneThreshold,
    threshold = ALIGN_DEFAULTS.threshold,
    offset = ALIGN_DEFAULTS.offset,
    sync = ALIGN_DEFAULTS.sync,
    syncOptions = {},
    subtitleStream,
    embed = ALIGN_DEFAULTS.embed,
    device = ALIGN_DEFAULTS.device,
    model,
    dtype,
    allowRemote = false,
    modelsDir,
    heads,
    format = ALIGN_DEFAULTS.format,
    prompt = DEFAULT_PROMPT,
    split = ALIGN_DEFAULTS.split,
    seed = ALIGN_DEFAULTS.seed,
    jpegQuality = ALIGN_DEFAULTS.jpegQuality,
    binaries = defaultBinaries(),
    progress = silentProgress,
    log = () => {},
    logger,
    createEncoder = defaultEncoderFactory,
    sink,
    now = () => performance.now(),
    signal,
  }: AlignVideoOptions,
): ResolvedAlignOptions {
  if (!out) throw new InvalidOptionError('out', out, 'an output folder path');
  if (!SAMPLING_MODES.includes(mode)) throw new InvalidOptionError('mode', mode, `one of ${SAMPLING_MODES.join(', ')}`);
  if (!EXPORT_FORMATS.includes(format)) throw new InvalidOptionError('format', format, `one of ${EXPORT_FORMATS.join(', ')}`);
  if (!(threshold >= 0)) throw new InvalidOptionError('threshold', threshold, 'a number of seconds >= 0');
  if (!Number.isFinite(offset)) throw new InvalidOptionError('offset', offset, 'a finite number of seconds');
  if (!SYNC_MODES.includes(sync)) throw new InvalidOptionError('sync', sync, `one of ${SYNC_MODES.join(', ')}`);
  const { maxOffset } = syncOptions;
  if (maxOffset !== undefined && !(Number.isFinite(maxOffset) && maxOffset > 0)) throw new InvalidOptionError('maxOffset', maxOffset, 'a number of seconds > 0');
  if (subtitles !== null && subtitleStream !== undefined) {
    throw new InvalidOptionError('subtitle-stream', subtitleStream, 'no value when a subtitle file is given (it chooses a stream inside the video instead of a file)');
  }
  if (typeof subtitleStream === 'number' && !(Number.isInteger(subtitleStream) && subtitleStream >= 0)) {
    throw new InvalidOptionError('subtitle-stream', subtitleStream, 'a stream number (0 = the first subtitle stream) or a language such as eng');
  }
  if (!(split >= 0 && split <= 1)) throw new InvalidOptionError('split', split, 'a train fraction from 0 to 1');
  if (!Number.isInteger(seed)) throw new InvalidOptionError('seed', seed, 'an integer');
  checkJpegQuality(jpegQuality);
  for (const m of MODALITIES) {
    const id = forModality(model, m, 'model');
    if (id !== undefined && (typeof id !== 'string' || id === '')) throw new InvalidOptionError(`model (${m})`, id, 'a hub id or a folder path');
    const d = forModality(dtype, m, 'dtype');
    if (d !== undefined) resolveDtype(d, `dtype (${m})`);
  }
  // Formatting a dummy record validates the prompt for the format.
  toDatasetRecord({ video: '', frame: '', frame_time: 0, cue_index: 0, start: 0, end: 0, text: '', distance: 0 }, format, prompt);
  // Every plan's numbers, whichever mode is chosen: a wrong value is wrong even where it is unused.
  // (Cue mode's cues are only known after the subtitles are read.)
  validatePlan({ mode: 'fps', fps });
  validatePlan({ mode: 'cue', perCue, cues: [] });
  validatePlan({ mode: 'scene', threshold: sceneThreshold });
  return {
    video: path.resolve(video),
    subtitles: subtitles === null ? null : path.resolve(subtitles),
    subtitleStream,
    sync,
    syncOptions,
    out: path.resolve(out),
    mode,
    fps,
    perCue,
    sceneThreshold,
    threshold,
    offset,
    embed,
    device,
    model,
    dtype,
    allowRemote,
    modelsDir,
    heads,
    format,
    prompt,
    split,
    seed,
    jpegQuality,
    binaries,
    progress,
    log,
    logger,
    createEncoder,
    sink,
    now,
    signal,
  };
}

/** The options as run.json records them. */
export function recordedOptions(o: ResolvedAlignOptions): Record<string, unknown> {
  return {
    mode: o.mode,
    fps: o.fps,
    perCue: o.perCue,
    sceneThreshold: o.sceneThreshold,
    threshold: o.threshold,
    offset: o.offset,
    sync: o.sync,
    ...(o.subtitleStream !== undefined ? { subtitleStream: o.subtitleStream } : {}),
    ...(Object.keys(o.syncOptions).length > 0
      ? { syncOptions: { ...o.syncOptions, ...(o.syncOptions.vad !== undefined ? { vad: typeof o.syncOptions.vad === 'string' ? o.syncOptions.vad : o.syncOptions.vad.name } : {}) } }
      : {}),
    embed: o.embed,
    device: o.device,
    model: o.model ?? null,
    dtype: o.dtype ?? null,
    allowRemote: o.allowRemote,
    modelsDir: o.modelsDir ?? null,
    heads: typeof o.heads === 'string' ? o.heads : (o.heads?.metadata.version ?? null),
    format: o.format,
    prompt: o.prompt,
    split: o.split,
    seed: o.seed,
    jpegQuality: o.jpegQuality,
  };
}
