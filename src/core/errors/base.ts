/**
 * Every error mmalign throws on purpose is a {@link MmalignError}. Callers can
 * `instanceof`-check the subclass and read its fields instead of parsing messages;
 * the CLI maps `exitCode` straight to the process exit status.
 *
 * Messages say what went wrong *and* what to do about it.
 */

/** Every stable machine-readable code an {@link MmalignError} carries; one per subclass. */
export type ErrorCode =
  // usage
  | 'USAGE'
  | 'INVALID_OPTION'
  // input files, subtitles, output
  | 'INPUT_FILE'
  | 'SUBTITLE_PARSE'
  | 'OUTPUT'
  | 'OUTPUT_LOCKED'
  // the machine: disk, permissions, signals
  | 'DISK_FULL'
  | 'NOT_WRITABLE'
  | 'INTERRUPTED'
  // ffmpeg
  | 'FFMPEG_NOT_FOUND'
  // models
  | 'MODEL_NOT_FOUND'
  | 'MODEL_DOWNLOAD'
  | 'MODEL_LOAD'
  // encoders, heads, training
  | 'HEADS_MISMATCH'
  | 'ENCODE_INPUT'
  | 'EMBED_BATCH'
  | 'EMBEDDING_DIMENSION'
  | 'TRAINING_DATA'
  // vector index, knowledge base
  | 'VECTOR_DIMENSION'
  | 'INVALID_VECTOR'
  | 'KB_LOCKED'
  | 'KB_CORRUPT'
  | 'KB_VERIFY'
  | 'KB_MODEL_MISMATCH'
  // corpus runs, queue, worker processes
  | 'CORPUS_FAILURES'
  | 'QUEUE'
  | 'WORKER_CRASHED'
  // subtitle synchronisation
  | 'SYNC_NO_SPOKEN_CUES'
  | 'SYNC_VAD_MODEL'
  | 'SYNC_NOT_CONFIDENT';

export class MmalignError extends Error {
  /** Stable machine-readable code, e.g. `SUBTITLE_PARSE`. */
  readonly code: ErrorCode;
  /** Exit status the CLI uses: 1 for bad input or failed work, 2 for wrong usage. */
  readonly exitCode: number;

  constructor(message: string, options: { code: ErrorCode; exitCode?: number; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.exitCode = options.exitCode ?? 1;
  }
}
