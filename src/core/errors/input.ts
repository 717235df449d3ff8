/** Input files (media, subtitles) and output locations. */
import { MmalignError } from './base.js';

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

/**
 * An output folder holding files mmalign did not write there: refused before anything in it is
 * touched, so a run never deletes or overwrites a user's own files.
 */
export class OutputNotOwnedError extends OutputError {
  /** Some of those entries, relative to the folder (`frames/holiday.jpg`, `dev.jsonl`). */
  readonly foreign: readonly string[];
  /** How many there are in all. */
  readonly foreignCount: number;
  constructor(dir: string, foreign: readonly string[], foreignCount = foreign.length) {
    const shown = foreign.slice(0, 5).join(', ');
    const more = foreignCount > 5 ? ` and ${foreignCount - 5} more` : '';
    super(
      dir,
      `holds files mmalign did not write (${shown}${more}); nothing was changed. ` +
        'Choose an empty or new --out folder, or move those files out of it: mmalign writes only into a folder that is empty or that it wrote itself.',
    );
    this.foreign = foreign.slice(0, 5);
    this.foreignCount = foreignCount;
  }
}
