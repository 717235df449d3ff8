/**
 * Every error mmalign throws on purpose is a {@link MmalignError}. Callers can
 * `instanceof`-check the subclass and read its fields instead of parsing messages;
 * the CLI maps `exitCode` straight to the process exit status.
 *
 * Messages say what went wrong *and* what to do about it.
 */
export class MmalignError extends Error {
  /** Stable machine-readable code, e.g. `SUBTITLE_PARSE`. */
  readonly code: string;
  /** Exit status the CLI uses: 1 for bad input or failed work, 2 for wrong usage. */
  readonly exitCode: number;

  constructor(message: string, options: { code: string; exitCode?: number; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** Wrong command-line or API usage: a missing flag, two flags that exclude each other. */
export class UsageError extends MmalignError {
  constructor(message: string) {
    super(message, { code: 'USAGE', exitCode: 2 });
  }
}

/** An option value that is out of range or of the wrong kind, caught when the config is built. */
export class InvalidOptionError extends MmalignError {
  readonly option: string;
  readonly value: unknown;
  constructor(option: string, value: unknown, expected: string) {
    super(`Invalid value for ${option}: ${JSON.stringify(value)}. Expected ${expected}.`, {
      code: 'INVALID_OPTION',
      exitCode: 2,
    });
    this.option = option;
    this.value = value;
  }
}

/** A file that is missing, unreadable, or not what it should be. */
export class InputFileError extends MmalignError {
  readonly file: string;
  readonly reason: string;
  constructor(file: string, reason: string, cause?: unknown) {
    super(`${file}: ${reason}`, { code: 'INPUT_FILE', cause });
    this.file = file;
    this.reason = reason;
  }
}

/** A subtitle file that cannot be used at all (a bad single cue is only a warning). */
export class SubtitleParseError extends MmalignError {
  readonly file: string;
  /** 1-based line number, or `null` when the problem is the file as a whole. */
  readonly line: number | null;
  readonly reason: string;
  constructor(file: string, line: number | null, reason: string) {
    super(`${file}${line === null ? '' : `:${line}`}: ${reason}`, { code: 'SUBTITLE_PARSE' });
    this.file = file;
    this.line = line;
    this.reason = reason;
  }
}

/** An output location that cannot be written (a file where a folder should be, no permission). */
export class OutputError extends MmalignError {
  readonly path: string;
  readonly reason: string;
  constructor(path: string, reason: string, cause?: unknown) {
    super(`${path}: ${reason}`, { code: 'OUTPUT', cause });
    this.path = path;
    this.reason = reason;
  }
}

/** Projection heads that were made for another model or width than the encoder they are asked to serve. */
export class HeadsMismatchError extends MmalignError {
  readonly modality: string;
  readonly expected: { modelId: string; inputDim: number };
  readonly found: { modelId: string; inputDim: number } | null;
  readonly file: string | null;
  constructor(
    modality: string,
    expected: { modelId: string; inputDim: number },
    found: { modelId: string; inputDim: number } | null,
    file: string | null = null,
  ) {
    const where = file ? ` in ${file}` : '';
    const what = found
      ? `were made for ${found.modelId} (${found.inputDim}-d)`
      : 'have no head for this modality';
    super(
      `Projection heads${where} ${what}, but the ${modality} encoder is ${expected.modelId} (${expected.inputDim}-d). ` +
        `Train heads for this model (mmalign heads train) or omit --heads to use the default seeded heads.`,
      { code: 'HEADS_MISMATCH' },
    );
    this.modality = modality;
    this.expected = expected;
    this.found = found;
    this.file = file;
  }
}

/**
 * One input to an encoder could not be embedded: an unreadable or non-media file, empty text.
 * `input` names it the way the caller gave it (a path, `<buffer 1234 bytes>`, `text #3 "..."`).
 */
export class EncodeInputError extends MmalignError {
  readonly input: string;
  readonly modality: string;
  readonly reason: string;
  /** Position of the item in the batch it came in, when it came in a batch. */
  readonly index: number | undefined;
  constructor(input: string, modality: string, reason: string, options: { index?: number; cause?: unknown } = {}) {
    super(`${modality} input ${input}${options.index === undefined ? '' : ` (item ${options.index})`}: ${reason}`, {
      code: 'ENCODE_INPUT',
      cause: options.cause,
    });
    this.input = input;
    this.modality = modality;
    this.reason = reason;
    this.index = options.index;
  }
}

/**
 * Some items of a batch failed. The others were embedded: `results[i]` is the vector of item `i`,
 * or `undefined` where it failed; `failures` lists the failed items with their errors.
 */
export class EmbedBatchError extends MmalignError {
  readonly failures: ReadonlyArray<{ index: number; error: Error }>;
  readonly results: ReadonlyArray<Float32Array | undefined>;
  constructor(failures: ReadonlyArray<{ index: number; error: Error }>, results: ReadonlyArray<Float32Array | undefined>) {
    const first = failures[0];
    super(
      `${failures.length} of ${results.length} inputs could not be embedded` +
        (first ? `; first: ${first.error.message}` : '') +
        '. Use embedSettled() to get the others with per-item errors.',
      { code: 'EMBED_BATCH', cause: first?.error },
    );
    this.failures = failures;
    this.results = results;
  }
}

/**
 * Native embeddings of one modality that do not all have the same width, or not the width the heads
 * expect: they came from different models. `index` is the offending row (null: the whole set).
 */
export class EmbeddingDimensionError extends MmalignError {
  readonly modality: string;
  readonly index: number | null;
  readonly expected: number;
  readonly actual: number;
  readonly source: string | null;
  constructor(modality: string, index: number | null, expected: number, actual: number, source: string | null = null) {
    const what = index === null ? `${modality} embeddings are ${actual}-d` : `${modality} embedding #${index} has ${actual} values`;
    super(
      `${source ? `${source}: ` : ''}${what}, expected ${expected}. Every ${modality} vector must come from the same model; ` +
        `recompute the native embeddings with one model per modality.`,
      { code: 'EMBEDDING_DIMENSION' },
    );
    this.modality = modality;
    this.index = index;
    this.expected = expected;
    this.actual = actual;
    this.source = source;
  }
}

/** Training pairs that cannot be used: a pair naming a missing vector, too few pairs to train or hold out. */
export class TrainingDataError extends MmalignError {
  readonly reason: string;
  readonly source: string | null;
  constructor(reason: string, source: string | null = null) {
    super(`${source ? `${source}: ` : ''}${reason}`, { code: 'TRAINING_DATA' });
    this.reason = reason;
    this.source = source;
  }
}

/** A vector whose length is not the index's width (e.g. a 768-d native embedding given to a 256-d index). */
export class VectorDimensionError extends MmalignError {
  readonly id: string | null;
  readonly expected: number;
  readonly actual: number;
  constructor(id: string | null, expected: number, actual: number) {
    super(
      `${id === null ? 'Query vector' : `Vector for item ${JSON.stringify(id)}`} has ${actual} dimensions; the index holds ${expected}-d vectors. ` +
        'Project it into the shared space first (encoders return 256-d vectors; embedNative does not).',
      { code: 'VECTOR_DIMENSION' },
    );
    this.id = id;
    this.expected = expected;
    this.actual = actual;
  }
}

/** A vector with NaN/Infinity in it, or all zeros (no direction, so cosine is undefined). */
export class InvalidVectorError extends MmalignError {
  readonly id: string | null;
  /** Position of the first bad component, or -1 for an all-zero vector. */
  readonly position: number;
  readonly value: number;
  constructor(id: string | null, position: number, value: number) {
    const what = id === null ? 'Query vector' : `Vector for item ${JSON.stringify(id)}`;
    super(
      position < 0
        ? `${what} is all zeros; cosine similarity needs a non-zero vector. Check the encoder output.`
        : `${what} has ${String(value)} at position ${position}; only finite numbers can be indexed. Check the encoder output.`,
      { code: 'INVALID_VECTOR' },
    );
    this.id = id;
    this.position = position;
    this.value = value;
  }
}

/** Another process holds the knowledge base's writer lock for longer than we were willing to wait. */
export class KbLockedError extends MmalignError {
  readonly lockFile: string;
  readonly holderPid: number | null;
  readonly holderHost: string | null;
  /** When the holder took the lock (ms since epoch), when known. */
  readonly since: number | null;
  readonly waitedMs: number;
  constructor(lockFile: string, holder: { pid: number | null; host: string | null; since: number | null }, waitedMs: number) {
    const who = holder.pid === null ? 'an unknown process' : `process ${holder.pid}${holder.host ? ` on ${holder.host}` : ''}`;
    const when = holder.since === null ? '' : ` since ${new Date(holder.since).toISOString()}`;
    super(
      `Knowledge base is locked by ${who}${when} (${lockFile}); gave up after ${waitedMs} ms. ` +
        'Wait for that writer to finish, or raise the lock timeout. If that process is gone, delete the lock file.',
      { code: 'KB_LOCKED' },
    );
    this.lockFile = lockFile;
    this.holderPid = holder.pid;
    this.holderHost = holder.host;
    this.since = holder.since;
    this.waitedMs = waitedMs;
  }
}

/** The knowledge base's files are damaged beyond what opening can repair on its own. */
export class KbCorruptError extends MmalignError {
  readonly path: string;
  readonly reason: string;
  constructor(path: string, reason: string, cause?: unknown) {
    super(`${path}: ${reason}. Run \`mmalign kb verify --kb DIR --repair\`, or restore the folder from a backup.`, {
      code: 'KB_CORRUPT',
      cause,
    });
    this.path = path;
    this.reason = reason;
  }
}

/** ffmpeg or ffprobe could not be found anywhere mmalign looks for it. */
export class FfmpegNotFoundError extends MmalignError {
  readonly tool: 'ffmpeg' | 'ffprobe';
  /** Every place that was tried, in order. */
  readonly tried: readonly string[];
  constructor(tool: 'ffmpeg' | 'ffprobe', tried: readonly string[]) {
    super(
      `${tool} not found (tried: ${tried.join('; ')}). Install it (e.g. \`apt-get install ffmpeg\`), ` +
        `or set ${tool === 'ffmpeg' ? 'FFMPEG_PATH' : 'FFPROBE_PATH'} to the binary.`,
      { code: 'FFMPEG_NOT_FOUND' },
    );
    this.tool = tool;
    this.tried = tried;
  }
}

/** A media file ffmpeg cannot use: not a video at all, truncated, or corrupt. */
export class MediaDecodeError extends InputFileError {
  /** The first lines ffmpeg/ffprobe printed about the problem. */
  readonly detail: string;
  constructor(file: string, reason: string, detail: string, cause?: unknown) {
    super(file, detail ? `${reason} (ffmpeg: ${detail})` : reason, cause);
    this.detail = detail;
  }
}

/** A media file that ffmpeg reads but that has no video stream (e.g. an audio-only file). */
export class NoVideoStreamError extends InputFileError {
  /** The stream types the file does have, e.g. `['audio']`. */
  readonly streams: readonly string[];
  constructor(file: string, streams: readonly string[]) {
    super(
      file,
      `has no video stream (streams: ${streams.length ? streams.join(', ') : 'none'}); pass the video file, not its audio track`,
    );
    this.streams = streams;
  }
}

/** Subtitles whose cues all lie outside the video: wrong file pair, or a large offset. */
export class SubtitlesOutsideVideoError extends InputFileError {
  readonly videoDuration: number;
  readonly firstStart: number;
  readonly lastEnd: number;
  constructor(file: string, videoDuration: number, firstStart: number, lastEnd: number) {
    super(
      file,
      `every cue (${firstStart.toFixed(3)}–${lastEnd.toFixed(3)} s) lies outside the video (0–${videoDuration.toFixed(3)} s); ` +
        'check that the subtitles belong to this video, or shift them with --offset',
    );
    this.videoDuration = videoDuration;
    this.firstStart = firstStart;
    this.lastEnd = lastEnd;
  }
}

/** A model id or folder that none of the places searched holds. */
export class ModelNotFoundError extends MmalignError {
  readonly model: string;
  /** Every folder or URL that was tried, in order. */
  readonly searched: readonly string[];
  constructor(model: string, searched: readonly string[], hint = '') {
    super(
      `Model ${JSON.stringify(model)} was not found. Looked in:\n${searched.map((s) => `  - ${s}`).join('\n')}\n` +
        'Provide it by pointing MMALIGN_MODELS (or --models DIR) at a folder that holds <org>/<name>/ model folders, ' +
        `by passing the model's own folder path, or by downloading it with \`mmalign models pull ${model} [--mirror URL]\`` +
        (hint ? `. ${hint}` : '.'),
      { code: 'MODEL_NOT_FOUND' },
    );
    this.model = model;
    this.searched = searched;
  }
}

/** A model file that could not be downloaded from the hub or a mirror. */
export class ModelDownloadError extends MmalignError {
  readonly model: string;
  readonly url: string;
  /** HTTP status, or null for a network failure. */
  readonly status: number | null;
  constructor(model: string, url: string, status: number | null, reason: string, cause?: unknown) {
    super(
      `Cannot download ${JSON.stringify(model)} from ${url}: ${reason}. ` +
        'Check the model id and --mirror URL, or copy the model folder into your models folder (MMALIGN_MODELS).',
      { code: 'MODEL_DOWNLOAD', cause },
    );
    this.model = model;
    this.url = url;
    this.status = status;
  }
}

/** A model folder that exists but cannot be loaded: truncated or corrupt ONNX, bad config.json, missing dtype file. */
export class ModelLoadError extends MmalignError {
  readonly model: string;
  /** The file at fault. */
  readonly file: string;
  readonly reason: string;
  constructor(model: string, file: string, reason: string, cause?: unknown) {
    super(
      `Cannot load model ${JSON.stringify(model)}: ${file}: ${reason}. ` +
        'Re-download it (`mmalign models pull`) or rebuild it (`mmalign models build`).',
      { code: 'MODEL_LOAD', cause },
    );
    this.model = model;
    this.file = file;
    this.reason = reason;
  }
}

/** `kb verify` found problems that remain after the run (not repaired, or `--repair` not given). */
export class KbVerifyError extends MmalignError {
  readonly dir: string;
  /** Problems still open, by kind, e.g. `{ 'index-file-missing': 1 }`. */
  readonly open: Readonly<Record<string, number>>;
  constructor(dir: string, open: Readonly<Record<string, number>>, repairable: boolean) {
    const total = Object.values(open).reduce((a, b) => a + b, 0);
    const list = Object.entries(open).map(([k, n]) => `${n} ${k}`).join(', ');
    super(
      `${dir}: ${total} problem(s) remain (${list}).${repairable ? ' Run `mmalign kb verify --kb DIR --repair`.' : ' Sync the changed sources again.'}`,
      { code: 'KB_VERIFY' },
    );
    this.dir = dir;
    this.open = open;
  }
}

/** A knowledge-base query embedded with other models or heads than the items it would be compared with. */
export class KbModelMismatchError extends MmalignError {
  readonly modality: string;
  readonly queryVersion: string;
  readonly storedVersions: readonly string[];
  constructor(kbDir: string, modality: string, queryVersion: string, storedVersions: readonly string[]) {
    super(
      `${kbDir}: the ${modality} items of this knowledge base were embedded with ${storedVersions.join(', ')}, ` +
        `but the query with ${queryVersion}; their scores would not be comparable. ` +
        `Search with the same --models and --heads the knowledge base was synced with.`,
      { code: 'KB_MODEL_MISMATCH' },
    );
    this.modality = modality;
    this.queryVersion = queryVersion;
    this.storedVersions = storedVersions;
  }
}
