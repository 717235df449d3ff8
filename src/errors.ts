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
