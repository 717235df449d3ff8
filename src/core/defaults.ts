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
