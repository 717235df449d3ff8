import { open } from 'node:fs/promises';
import path from 'node:path';
import { describeFsError, InputFileError, InvalidOptionError, SubtitleParseError, type Cue, type Warning } from './core.js';
import { parseAss } from './ass.js';
import { decodeSubtitleBytes } from './encoding.js';
import { parseMicroDvd } from './microdvd.js';
import { parseSbv } from './sbv.js';
import { binaryReason, READ_LIST, sniffBinary, sniffText, type BinarySniff } from './sniff.js';
import { parseSrt } from './srt.js';
import { parseTtml } from './ttml.js';
import { hasWebvttSignature, parseVtt } from './vtt.js';
import {
  splitLines,
  SUBTITLE_DEFAULTS,
  SUBTITLE_FORMATS,
  type ParseContext,
  type ParseSubtitlesOptions,
  type ReadSubtitleOptions,
  type SubtitleDocument,
  type SubtitleFormat,
} from './types.js';

/** One reader per format: the registry the dispatcher picks from. */
const READERS: Readonly<Record<SubtitleFormat, (text: string, ctx: ParseContext) => Cue[]>> = Object.freeze({
  srt: (text, ctx) => parseSrt(splitLines(text), ctx),
  vtt: (text, ctx) => parseVtt(text, ctx),
  ass: (text, ctx) => parseAss(splitLines(text), ctx),
  sbv: (text, ctx) => parseSbv(splitLines(text), ctx),
  ttml: (text, ctx) => parseTtml(text, ctx),
  microdvd: (text, ctx) => parseMicroDvd(splitLines(text), ctx),
});

/** What a file of each format needs to hold at least one cue, for the "no valid cue" message. */
const NO_CUE_HINT: Readonly<Record<SubtitleFormat, string>> = Object.freeze({
  srt: 'no "start --> end" time line was found',
  vtt: 'no cue block ("start --> end" time line) was found',
  ass: 'no Dialogue line with text was found in an [Events] section',
  sbv: 'no "start,end" time line was found',
  ttml: 'no <p> element with begin and end (or dur) times was found',
  microdvd: 'no {start}{end} line was found',
});

/** The format named by a forced option, checked against the list of readable formats. */
function checkFormat(format: SubtitleFormat | undefined): void {
  if (format !== undefined && !SUBTITLE_FORMATS.includes(format)) {
    throw new InvalidOptionError('format', format, `one of ${SUBTITLE_FORMATS.join(', ')}`);
  }
}

/** A recognised file type is always refused; mere binary-looking bytes pass when the caller names their encoding (UTF-32 without BOM). */
function refuses(looks: BinarySniff | undefined, encoding: string | undefined): looks is BinarySniff {
  return looks !== undefined && !(encoding !== undefined && looks.looksLike === 'binary data');
}

function checkFps(fps: number | undefined): void {
  if (fps !== undefined && !(Number.isFinite(fps) && fps > 0 && fps <= 1000)) throw new InvalidOptionError('fps', fps, 'a frame rate in frames per second, e.g. 23.976, 25 or 29.97');
}

/**
 * Parses subtitle text (or raw bytes, whose encoding is detected) into cues with times in seconds. The
 * format is detected from the content: SRT, WebVTT, ASS/SSA, SBV, TTML/DFXP or MicroDVD. Bad cues are
 * skipped with a warning naming the line; a file with no usable cue, or one that is no subtitle file
 * (an image, a video, lyrics, HTML...), throws {@link SubtitleParseError} saying what it looks like.
 *
 * @example
 * const doc = parseSubtitles('1\n00:00:01,000 --> 00:00:02,500\n<i>Hello</i> &amp; bye\n');
 * doc.cues; // [{ index: 1, start: 1, end: 2.5, text: 'Hello & bye' }]
 */
export function parseSubtitles(input: string | Uint8Array, options: ParseSubtitlesOptions = {}): SubtitleDocument {
  return parseWithHint(input, options, false);
}

function parseWithHint(input: string | Uint8Array, options: ParseSubtitlesOptions, namedVtt: boolean): SubtitleDocument {
  const file = options.file ?? '<input>';
  checkFormat(options.format);
  checkFps(options.fps);
  const warnings: Warning[] = [];
  let raw: string;
  let encoding = 'utf-8';
  if (typeof input === 'string') raw = input;
  else {
    const looks = sniffBinary(input.subarray(0, SUBTITLE_DEFAULTS.sniffBytes));
    if (refuses(looks, options.encoding)) throw new SubtitleParseError(file, null, binaryReason(looks));
    const decoded = decodeSubtitleBytes(input, { encoding: options.encoding });
    raw = decoded.text;
    encoding = decoded.encoding;
    if (decoded.warning) warnings.push({ file, message: decoded.warning });
  }
  const text = raw.replace(/^\uFEFF/, '');
  if (text.trim() === '') throw new SubtitleParseError(file, null, 'the file is empty; expected subtitle cues (SRT, WebVTT, ASS/SSA, SBV, TTML or MicroDVD)');

  let format = options.format;
  let plainText = false;
  if (format === undefined) {
    const sniff = sniffText(text);
    if ('unreadable' in sniff) throw new SubtitleParseError(file, null, `looks like ${sniff.unreadable}`);
    if (sniff.format === 'vtt-broken') {
      throw new SubtitleParseError(file, sniff.line, 'looks like WebVTT, but a WebVTT file must start with the line "WEBVTT" (nothing before it, and only a space or tab after it); fix the first line');
    }
    if (namedVtt && sniff.format !== 'vtt') {
      throw new SubtitleParseError(file, 1, 'WebVTT file has no "WEBVTT" header; its first line must be WEBVTT (or rename the file if it is another format)');
    }
    format = sniff.format ?? 'srt';
    plainText = sniff.format === undefined;
  } else if (format === 'vtt' && !hasWebvttSignature(text)) {
    throw new SubtitleParseError(file, 1, 'WebVTT file has no "WEBVTT" header; its first line must be WEBVTT');
  }

  const ctx: ParseContext = { file, warnings, ...(options.fps === undefined ? {} : { fps: options.fps }) };
  const cues = READERS[format](text, ctx);
  if (cues.length === 0) {
    const problems = warnings.filter((w) => w.line !== undefined);
    if (plainText && !problems.some((w) => /^(?:malformed|cue )/.test(w.message))) {
      throw new SubtitleParseError(file, null, `no valid cue: the file looks like plain text, with no subtitle timing in it (no "00:00:01,000 --> 00:00:02,000" line, WEBVTT header, [Events] section or <tt> document); ${READ_LIST}`);
    }
    const why = problems.length > 0 ? `all ${problems.length} cue(s) were invalid (first: line ${problems[0].line}: ${problems[0].message})` : NO_CUE_HINT[format];
    throw new SubtitleParseError(file, null, `no valid cue: ${why}`);
  }
  return { format, cues, warnings, encoding };
}

/**
 * Reads and parses a subtitle file. Before anything is decoded, the first bytes are checked (an image,
 * a video, a bitmap subtitle is refused at once, saying what it looks like) and so is the size (at most
 * `maxBytes`, default 50 MiB). The format is detected from the content; a `.vtt` name only decides that
 * a header-less file is a broken WebVTT file rather than SRT.
 *
 * @example
 * const { cues, warnings } = await readSubtitleFile('movie.srt');
 * const sub = await readSubtitleFile('movie.sub', { fps: 23.976 }); // MicroDVD without a frame-rate line
 */
export async function readSubtitleFile(file: string, options: ReadSubtitleOptions = {}): Promise<SubtitleDocument> {
  const maxBytes = options.maxBytes ?? SUBTITLE_DEFAULTS.maxBytes;
  if (!(Number.isFinite(maxBytes) && maxBytes > 0)) throw new InvalidOptionError('maxBytes', maxBytes, 'a positive number of bytes');
  checkFormat(options.format);
  checkFps(options.fps);
  let bytes: Uint8Array;
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    throw new InputFileError(file, describeFsError(err, 'read'), err);
  }
  try {
    const size = (await handle.stat()).size;
    const head = new Uint8Array(Math.min(size, SUBTITLE_DEFAULTS.sniffBytes));
    await handle.read(head, 0, head.length, 0);
    const looks = sniffBinary(head);
    if (refuses(looks, options.encoding)) throw new SubtitleParseError(file, null, binaryReason(looks));
    if (size > maxBytes) {
      throw new InputFileError(
        file,
        `is ${megabytes(size)}, more than the ${megabytes(maxBytes)} a subtitle file may be (subtitles are text: a feature film's are under 1 MB); if this really is one subtitle file, raise the limit (--max-subtitle-size, or { maxBytes })`,
      );
    }
    bytes = new Uint8Array(size);
    let at = 0;
    while (at < size) {
      const { bytesRead } = await handle.read(bytes, at, size - at, at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    bytes = bytes.subarray(0, at);
  } catch (err) {
    if (err instanceof InputFileError || err instanceof SubtitleParseError) throw err;
    throw new InputFileError(file, describeFsError(err, 'read'), err);
  } finally {
    await handle.close().catch(() => undefined);
  }
  const { maxBytes: _ignored, ...parseOptions } = options;
  return parseWithHint(bytes, { ...parseOptions, file }, path.extname(file).toLowerCase() === '.vtt');
}

function megabytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / (1024 * 1024)).toFixed(1)} MiB` : `${n} bytes`;
}

