import type { Cue, Warning } from './core.js';

/** The subtitle formats mmalign reads. SSA v4 files are read as `ass` (one parser, the same `[Events]` layout). */
export type SubtitleFormat = 'srt' | 'vtt' | 'ass' | 'sbv' | 'ttml' | 'microdvd';
export const SUBTITLE_FORMATS: readonly SubtitleFormat[] = Object.freeze(['srt', 'vtt', 'ass', 'sbv', 'ttml', 'microdvd'] as const);

/** The subtitle formats mmalign writes. */
export type WritableSubtitleFormat = 'srt' | 'vtt';
export const WRITABLE_SUBTITLE_FORMATS: readonly WritableSubtitleFormat[] = Object.freeze(['srt', 'vtt'] as const);

export { SUBTITLE_DEFAULTS } from './core.js';

/** A parsed subtitle file: its cues in file order, the problems it had, and how its bytes were decoded. */
export interface SubtitleDocument {
  format: SubtitleFormat;
  cues: Cue[];
  /** One entry per skipped cue or stray block (naming the line), or per doubtful guess (encoding). */
  warnings: Warning[];
  /** The character encoding the bytes were decoded with, e.g. `utf-8`, `windows-1252` (`utf-8` for string input). */
  encoding: string;
}

export interface ParseSubtitlesOptions {
  /** Name used in warnings and errors. */
  file?: string;
  /** Forces a format instead of detecting it from the content. */
  format?: SubtitleFormat;
  /** Frame rate for MicroDVD files, whose times are frame numbers (a `{1}{1}23.976` first line gives it too). */
  fps?: number;
  /** Forces the character encoding of byte input (any name iconv-lite knows, e.g. `big5`, `windows-1251`). */
  encoding?: string;
}

export interface ReadSubtitleOptions extends Omit<ParseSubtitlesOptions, 'file'> {
  /** Largest file accepted, in bytes; default {@link SUBTITLE_DEFAULTS}.maxBytes. */
  maxBytes?: number;
}

/** What every format parser gets: where to report, and the options that concern it. */
export interface ParseContext {
  file: string;
  warnings: Warning[];
  fps?: number;
}

/** One line of the input; `no` is 1-based. */
export interface Line {
  text: string;
  no: number;
}

/** Splits text on CRLF, CR or LF into numbered lines. */
export function splitLines(text: string): Line[] {
  return text.split(/\r\n|\r|\n/).map((t, i) => ({ text: t, no: i + 1 }));
}

/** Largest of the values (0 for none), without spreading an unbounded array into Math.max. */
export function maxOf(values: Iterable<number>, initial = 0): number {
  let top = initial;
  for (const v of values) if (v > top) top = v;
  return top;
}

/** Quotes file text for a message: at most 60 characters, control characters shown as escapes. */
export function quote(text: string): string {
  const short = text.length > 60 ? `${text.slice(0, 57)}...` : text;
  // eslint-disable-next-line no-control-regex
  return `"${short.replace(/[\u0000-\u001f\u007f-\u009f"\\]/g, (c) => (c === '"' || c === '\\' ? `\\${c}` : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`))}"`;
}
