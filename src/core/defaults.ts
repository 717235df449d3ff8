/**
 * Every default of mmalign, written once. Library signatures and the CLI's `.default()` calls both
 * read them here, so `mmalign align --help` and `alignVideo()` can never disagree.
 */

/** Where encoders run unless told otherwise: the first provider that works (see encoders/device.ts). */
export const DEFAULT_DEVICE = 'auto';

/** Largest frame-to-cue gap, in seconds, that still pairs a frame with a cue. */
export const PAIR_THRESHOLD_SECONDS = 0.5;

/** Seconds added to every cue time before pairing: positive delays the cues, negative makes them earlier (subtitles that appear late need a negative value). */
export const CUE_OFFSET_SECONDS = 0;

/**
 * Long audio is decoded this many seconds at a time (16 kHz f32: about 38 MB), by the audio stage
 * and by sync, so memory does not grow with the length of the video.
 */
export const AUDIO_WINDOW_SECONDS = 600;

/** JPEG quality (1–100) of sampled frames. */
export const JPEG_QUALITY = 90;

/** Share of cues (grouped, so a cue never straddles both files) that goes to train.jsonl. */
export const TRAIN_FRACTION = 0.9;

/** Seed of the train/dev split. */
export const SPLIT_SEED = 0;

/** The options of `alignVideo` and `mmalign align` that have a default. */
export const ALIGN_DEFAULTS = Object.freeze({
  mode: 'fps',
  fps: 1,
  perCue: 1,
  sceneThreshold: 0.3,
  threshold: PAIR_THRESHOLD_SECONDS,
  offset: CUE_OFFSET_SECONDS,
  embed: true,
  device: DEFAULT_DEVICE,
  format: 'glm4v',
  split: TRAIN_FRACTION,
  seed: SPLIT_SEED,
  jpegQuality: JPEG_QUALITY,
  /** `auto`: synchronise the subtitles with the speech before pairing; `off`: only check and warn. */
  sync: 'auto',
} as const);

/** `createEncoder` defaults: inputs per model run by modality (images and audio windows are big), audio window length. */
export const ENCODER_DEFAULTS = Object.freeze({
  device: DEFAULT_DEVICE,
  dtype: 'fp32',
  batchSize: Object.freeze({ text: 32, image: 16, audio: 4 }),
  /** Seconds per window of long audio. */
  windowSeconds: 10,
} as const);

/**
 * `trainHeads` and `mmalign heads train|watch` defaults, chosen by measurement (README, "Training the
 * shared space"): a fixed temperature, input noise and dropout carry heads from the voices (cameras,
 * microphones) they saw to ones they did not; early stopping is off because held-out items are often
 * not what the heads meet, and the refit on every pair keeps the held-out share from being lost.
 */
export const TRAIN_HEADS_DEFAULTS = Object.freeze({
  epochs: 100,
  batchSize: 256,
  lr: 1e-3,
  weightDecay: 0.01,
  /** Width of a hidden ReLU layer; 0: linear heads. */
  hidden: 512,
  seed: 0,
  valFraction: 0.1,
  /** Hold out by this label instead of the pairs' group; null: by group, else by connected items. */
  valBy: null as string | null,
  /** Early stopping's patience in epochs; null: off, every epoch runs. */
  patience: null as number | null,
  minDelta: 1e-4,
  /** Train again on every pair after the held-out run. */
  refit: true,
  /** Softmax temperature: fixed, or 'learned' (CLIP). */
  temperature: 0.07 as number | 'learned',
  initialTemperature: 0.07,
  maxLogitScale: 100,
  /** Gaussian noise (std) on standardised training inputs. */
  inputNoise: 0.5,
  /** Dropout on the hidden layer while training. */
  dropout: 0.1,
  standardize: true,
  backend: 'auto' as 'auto' | 'onnx' | 'js',
  threads: 1,
});

/** `shouldRetrain` and `mmalign heads watch` defaults. */
export const RETRAIN_DEFAULTS = Object.freeze({
  /** Evaluations the slope is fitted to. */
  window: 5,
  /** Retrain when recall@1 falls faster than this per evaluation. */
  slopeThreshold: -0.005,
  /** Retrain when new pairs exceed this share of the training set. */
  newFraction: 0.2,
} as const);

/** How long a knowledge-base writer waits for another writer's lock, in ms. */
export const LOCK_TIMEOUT_MS = 10_000;

/** Items a knowledge base hands its embedder per call while syncing. */
export const KB_EMBED_BATCH = 32;

/** Results a search returns. */
export const SEARCH_K = 10;

/** HNSW search breadth (higher: slower, more exact). */
export const SEARCH_EF = 64;

/** Branch, tag or commit models are pulled from. */
export const MODEL_REVISION = 'main';

/**
 * Limits and defaults of subtitle reading, written once. `maxBytes`: a subtitle file is text, and a
 * two-hour film's subtitles are well under 1 MB, so anything above 50 MiB is refused before it is decoded
 * (a video passed by mistake would otherwise be decoded into a string of hundreds of MB).
 */
export const SUBTITLE_DEFAULTS = Object.freeze({
  /** Largest subtitle file read, in bytes (raise with `maxBytes` / `--max-subtitle-size`). */
  maxBytes: 50 * 1024 * 1024,
  /** Bytes read first to tell a subtitle file from an image, a video or other binary data. */
  sniffBytes: 4096,
  /** A MicroDVD cue with an empty end frame ends at the next cue's start, but at most this many seconds after its own. */
  openEndSeconds: 5,
});

/** `mmalign corpus align|worker` defaults (the worker count defaults to the machine's cores, read at run time). */
export const CORPUS_DEFAULTS = Object.freeze({
  /** Samples per WebDataset shard (`--shard-size`). */
  shardSize: 1000,
  /** Retries of a video after its first failed attempt; bad input (an unreadable video) is not retried. */
  retries: 2,
  /** How corpus train/dev are split: whole videos, so no video straddles both. */
  splitBy: 'video',
  /** BullMQ queue name shared by the coordinator and its workers. */
  queueName: 'mmalign-corpus',
  /** Redis key prefix of that queue. */
  queuePrefix: 'mmalign',
  /** How long a worker's claim on a job lasts without renewal before the job counts as stalled (ms). */
  lockDurationMs: 30_000,
  /** How often workers look for stalled jobs, i.e. jobs of a worker that died (ms). */
  stalledIntervalMs: 30_000,
  /** Times a job may stall (its worker died) before it fails. */
  maxStalledCount: 2,
  /** First retry delay, doubled on each further retry (ms). */
  backoffMs: 2_000,
  /** Finished job records kept in Redis for inspection (seconds). */
  keepFinishedSeconds: 7 * 24 * 3600,
  /** Bytes hashed from the start, middle and end of a video for its content hash. */
  hashSampleBytes: 1 << 20,
});

// Subtitle synchronisation (alignment/sync/; alignment/sync/defaults.ts re-exports these).

/**
 * Fewest spoken cues `align` synchronises: one or two cues fit almost any stretch of speech (the
 * search slides them onto the nearest onsets, seconds away), so fewer is no evidence of a timing error.
 */
export const SYNC_MIN_SPOKEN_CUES = 3;

/** The voice activity detector sync listens with unless told otherwise (`--vad`). */
export const DEFAULT_VAD = 'silero';

/** NTSC film rate, exactly 24000/1001, which release notes round to 23.976. */
export const NTSC_FILM_FPS = 24000 / 1001;

/** Every tunable of the synchronisation search and gate. */
export interface SyncTuning {
  step: number;
  searchStep: number;
  maxOffset: number;
  onsetWeight: number;
  onsetWindow: number;
  gapWeight: number;
  maxGap: number;
  ratios: readonly number[];
  ratioMargin: number;
  fineRatioSpan: number;
  fineRatioMargin: number;
  splitPenalty: number;
  splitGridSize: number;
  splitChanceFactor: number;
  deadZone: number;
  minConfidence: number;
  minGain: number;
  reportStep: number;
  reportDecimateAfter: number;
}

export const SYNC_DEFAULTS: Readonly<SyncTuning> = Object.freeze({
  /** Grid of the speech and cue signals, seconds (the VAD curve is soft, one value per step). */
  step: 0.01,
  /** Grid of the FFT offset search, seconds; the offset is refined on `step` afterwards. */
  searchStep: 0.04,
  /** Largest offset searched either way, seconds (`--max-offset`). */
  maxOffset: 60,
  /**
   * Weight, in seconds of agreement, of "speech begins where the cue begins". The overlap term alone
   * is flat while a cue is wider than its speech (cues lead by 0.05-0.35 s and linger); this term
   * puts cue starts on speech onsets.
   */
  onsetWeight: 0.6,
  /** Half-width of the onset detector (mean speech after minus before the cue start), seconds. */
  onsetWindow: 0.2,
  /**
   * Weight of "nobody speaks in the gap before a cue". Without it a run of cues fits continuous
   * uncued speech (an advert in an inserted stretch) as well as its own dialogue.
   */
  gapWeight: 0.5,
  /** Longest gap before a cue that is scored as silence, seconds (longer pauses may hold uncued sound). */
  maxGap: 2,
  /**
   * Framerate ratios tried besides 1 (subtitle time × ratio = video time): 25 fps vs 24 and
   * 23.976, 24 vs 23.976, each way.
   */
  ratios: Object.freeze([
    25 / 24, 24 / 25, 25 / NTSC_FILM_FPS, NTSC_FILM_FPS / 25, 24 / NTSC_FILM_FPS, NTSC_FILM_FPS / 24,
  ]),
  /**
   * A ratio other than 1 must beat ratio 1 by this share of the spoken cue time (normalised score),
   * so a correctly timed file is never stretched.
   */
  ratioMargin: 0.05,
  /** The fine ratio search spans ±this relative change around the best candidate. */
  fineRatioSpan: 0.003,
  /** ...and must beat that candidate by this normalised score to be taken. */
  fineRatioMargin: 0.02,
  /** Cost of one split in the dynamic programme, in seconds of agreement. */
  splitPenalty: 6,
  /** Each split must gain this many times what one split gains on the speech played backwards (chance). */
  splitChanceFactor: 1.5,
  /** Most offsets the split search keeps per cue; wider --max-offset coarsens its grid. */
  splitGridSize: 12_001,
  /** Mappings that move no cue by more than this are "already in sync", seconds. */
  deadZone: 0.1,
  /** Below this confidence the mapping is not applied. */
  minConfidence: 0.5,
  /** The mapping must beat the original timing by this normalised score to be applied. */
  minGain: 0.02,
  /** Long videos get their speech curve decimated to this step in sync.json, seconds. */
  reportStep: 0.05,
  /** ...when longer than this, seconds. */
  reportDecimateAfter: 1800,
});

export const VAD_DEFAULTS = Object.freeze({
  sampleRate: 16_000,
  /** Silero v5 window at 16 kHz and the context the model expects before it (samples). */
  sileroWindow: 512,
  sileroContext: 64,
  /** Parallel streams run as one batch; each needs its own LSTM state. */
  sileroMaxBatch: 256,
  /** Windows each stream runs before its own segment so its state has settled (32 ms each). */
  sileroWarmup: 32,
  /** Streams are made no shorter than this many times the warm-up, so warm-up costs ≤ 1/8. */
  sileroMinStreamFactor: 8,
  /**
   * The Silero curve is read this many seconds early: a window's probability rises a little after the
   * speech onset. Measured on fixtures/sync: with 15 ms the exactly timed cues fit at +4 ms (0 ms: +19).
   */
  sileroLatency: 0.015,
  webrtcLatency: 0.0,
  /**
   * Audio decoded in windows (AUDIO_WINDOW_SECONDS) is read this many seconds early and that lead
   * dropped from the curve: the detector's state has settled when the window proper begins.
   */
  windowLead: 2,
  /** libfvad aggressiveness modes averaged into a soft probability (0 = least, 3 = most). */
  webrtcModes: Object.freeze([0, 1, 2, 3]),
  /** Window (seconds) and quantile of the running "no speech" level removed from the WebRTC curve. */
  webrtcBaselineWindow: 20,
  webrtcBaselineQuantile: 0.05,
});

/** How confidence is read off the fit (see alignment/sync/gate.ts). */
export interface GateTuning {
  contrastFloor: number;
  contrastSpan: number;
  supportFloor: number;
  supportSpan: number;
}

export const GATE_DEFAULTS: Readonly<GateTuning> = Object.freeze({
  /** Speech-in-cues minus speech-elsewhere that counts as no evidence, and the span to full evidence. */
  contrastFloor: 0.1,
  contrastSpan: 0.3,
  /** Share of cues agreeing with the mapping on their own that counts as chance, and the span to full. */
  supportFloor: 0.3,
  supportSpan: 0.3,
});
