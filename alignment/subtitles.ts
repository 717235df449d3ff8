import chardet from 'chardet';
import iconv from 'iconv-lite';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputFileError, InvalidOptionError, SubtitleParseError } from '../src/core/errors/index.js';
import { describeFsError, writeFileAtomic } from '../src/core/fs.js';
import type { Cue, Warning } from '../src/core/types.js';

/** The subtitle formats mmalign reads and writes. */
export type SubtitleFormat = 'srt' | 'vtt';
export const SUBTITLE_FORMATS: readonly SubtitleFormat[] = Object.freeze(['srt', 'vtt'] as const);

/** A parsed subtitle file: its cues in file order, the cues it had to skip, and how its bytes were decoded. */
export interface SubtitleDocument {
  format: SubtitleFormat;
  cues: Cue[];
  /** One entry per skipped cue or stray block, naming the line. */
  warnings: Warning[];
  /** The character encoding the bytes were decoded with, e.g. `utf-8`, `windows-1252` (`utf-8` for string input). */
  encoding: string;
}

export interface ParseSubtitlesOptions {
  /** Name used in warnings and errors. */
  file?: string;
  /** Forces a format instead of detecting it from the content. */
  format?: SubtitleFormat;
}

// ---------------------------------------------------------------------------------------------
// Decoding

/**
 * Decodes subtitle bytes. A BOM wins; then strict UTF-8 (which every ASCII file also is), because
 * statistical detectors misjudge short UTF-8 files; only bytes that are not valid UTF-8 go to chardet.
 */
export function decodeSubtitleBytes(bytes: Uint8Array): { text: string; encoding: string } {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return { text: new TextDecoder('utf-8').decode(bytes.subarray(3)), encoding: 'utf-8' };
  }
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    return { text: iconv.decode(Buffer.from(bytes.subarray(2)), 'utf-16le'), encoding: 'utf-16le' };
  }
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    return { text: iconv.decode(Buffer.from(bytes.subarray(2)), 'utf-16be'), encoding: 'utf-16be' };
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
  } catch {
    // not UTF-8: fall through to detection
  }
  const encoding = detectLegacyEncoding(bytes);
  return { text: iconv.decode(Buffer.from(bytes), encoding), encoding };
}

/**
 * Latin-script code pages and the non-ASCII characters their languages actually use. Order is the
 * tie-break: Western European first, by far the most common legacy subtitle encoding.
 */
const LATIN_CODE_PAGES: readonly (readonly [string, string])[] = Object.freeze([
  ['windows-1252', 'àáâãäåæçèéêëìíîïñòóôõöøùúûüÿßœÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜŸŒ€‘’‚“”„–—…«»¡¿°ºª·\u00a0'],
  ['windows-1250', 'ąćęłńóśźżĄĆĘŁŃÓŚŹŻčďěňřšťůžČĎĚŇŘŠŤŮŽáéíóúýőűöüäÁÉÍÓÚÝŐŰÖÜÄăâîşţĂÂÎŞŢ‘’‚“”„–—…«»°\u00a0'],
  ['windows-1254', 'çğıöşüÇĞİÖŞÜâîûÂÎÛ‘’“”–—…«»°\u00a0'],
  ['windows-1257', 'āčēģīķļņšūžĀČĒĢĪĶĻŅŠŪŽąęėįųĄĘĖĮŲõöäüÕÖÄÜ‘’“”„–—…«»°\u00a0'],
]);

/**
 * Picks the encoding of bytes that are not UTF-8. Statistical detection (chardet) is reliable for
 * scripts whose words are made entirely of non-ASCII bytes (Cyrillic, Greek, CJK) but guesses wildly
 * on Latin text, where a short file may hold three accented letters. So: mostly-adjacent high bytes
 * go to chardet; otherwise each Latin code page is scored by how many of the high bytes decode to
 * letters its languages use ("Ça" is Ç in windows-1252 but Ē in windows-1257).
 */
function detectLegacyEncoding(bytes: Uint8Array): string {
  let high = 0;
  let clustered = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] < 0x80) continue;
    high++;
    if ((i > 0 && bytes[i - 1] >= 0x80) || (i + 1 < bytes.length && bytes[i + 1] >= 0x80)) clustered++;
  }
  const buffer = Buffer.from(bytes);
  const guesses = chardet.analyse(bytes);
  // A handful of bytes proves nothing ("Grüße" is two adjacent high bytes); below that, stay Latin.
  if (clustered * 2 > high && high >= 6) {
    for (const match of guesses) {
      const name = match.name.toLowerCase();
      if (name === 'utf-8' || name === 'ascii' || !iconv.encodingExists(name)) continue;
      if (!iconv.decode(buffer, name).includes('\ufffd')) return LATIN_TWINS[name] ?? name;
    }
  }
  const scores = LATIN_CODE_PAGES.map(([encoding, expected]) => {
    let score = 0;
    for (const ch of iconv.decode(buffer, encoding)) if (ch.charCodeAt(0) >= 0x80 && expected.includes(ch)) score++;
    return { encoding, score };
  });
  const top = Math.max(...scores.map((x) => x.score));
  const tied = scores.filter((x) => x.score === top).map((x) => x.encoding);
  if (tied.length === 1 || tied[0] === 'windows-1252') return tied[0];
  // Tied Central European / Turkish / Baltic pages: let chardet's statistics break the tie.
  const confidence = (encoding: string): number =>
    Math.max(0, ...guesses.filter((g) => (LATIN_TWINS[g.name.toLowerCase()] ?? g.name.toLowerCase()) === encoding).map((g) => g.confidence));
  return tied.reduce((a, b) => (confidence(b) > confidence(a) ? b : a));
}

/** ISO code pages read as their Windows supersets (as browsers do): same letters plus quotes and dashes. */
const LATIN_TWINS: Readonly<Record<string, string>> = Object.freeze({
  'iso-8859-1': 'windows-1252',
  'iso-8859-15': 'windows-1252',
  'iso-8859-2': 'windows-1250',
  'iso-8859-9': 'windows-1254',
  'iso-8859-13': 'windows-1257',
});

// ---------------------------------------------------------------------------------------------
// Parsing

interface Line {
  text: string;
  /** 1-based line number in the file. */
  no: number;
}

// Hours are optional (WebVTT mm:ss.ttt) and may have any number of digits; the fraction may use `.` or `,`.
const TIME = String.raw`(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[.,](\d{1,3}))?`;
const TIME_LINE = new RegExp(String.raw`^\s*${TIME}\s*-->\s*${TIME}(?:\s+(.*))?\s*$`);
const VTT_SETTING = /(?:^|\s)(?:align|line|position|size|vertical|region):\S/;
const DIGITS = /^\s*\d+\s*$/;

/**
 * Parses SRT or WebVTT text (or raw bytes, whose encoding is detected) into cues with times in seconds.
 * Cues with a malformed timestamp or an end before the start are skipped with a warning naming the line;
 * a file with no usable cue at all throws {@link SubtitleParseError}.
 *
 * @example
 * const doc = parseSubtitles('1\n00:00:01,000 --> 00:00:02,500\n<i>Hello</i> &amp; bye\n');
 * doc.cues; // [{ index: 1, start: 1, end: 2.5, text: 'Hello & bye' }]
 */
export function parseSubtitles(
  input: string | Uint8Array,
  { file = '<input>', format }: ParseSubtitlesOptions = {},
): SubtitleDocument {
  return parseWithHint(input, file, format, undefined);
}

function parseWithHint(
  input: string | Uint8Array,
  file: string,
  forced: SubtitleFormat | undefined,
  extensionHint: SubtitleFormat | undefined,
): SubtitleDocument {
  if (forced !== undefined && !SUBTITLE_FORMATS.includes(forced)) {
    throw new InvalidOptionError('format', forced, `one of ${SUBTITLE_FORMATS.join(', ')}`);
  }
  const { text: raw, encoding } = typeof input === 'string' ? { text: input, encoding: 'utf-8' } : decodeSubtitleBytes(input);
  const text = raw.replace(/^\uFEFF/, '');
  if (text.trim() === '') throw new SubtitleParseError(file, null, 'the file is empty; expected SRT or WebVTT cues');

  const lines: Line[] = text.split(/\r\n|\r|\n/).map((t, i) => ({ text: t, no: i + 1 }));
  const firstContent = lines.find((l) => l.text.trim() !== '');
  const hasHeader = firstContent !== undefined && /^WEBVTT(?:[ \t].*)?$/.test(firstContent.text.replace(/\s+$/, ''));
  const format = forced ?? (hasHeader ? 'vtt' : detectHeaderless(lines, file, extensionHint));
  if (format === 'vtt' && !hasHeader) {
    throw new SubtitleParseError(file, firstContent?.no ?? 1, 'WebVTT file has no "WEBVTT" header; its first line must be WEBVTT');
  }

  const warnings: Warning[] = [];
  const cues = parseBlocks(lines, format, file, warnings);
  if (cues.length === 0) {
    const why = warnings.length > 0 ? `all ${warnings.length} cue(s) were invalid (first: line ${warnings[0].line}: ${warnings[0].message})` : 'no "start --> end" time line was found';
    throw new SubtitleParseError(file, null, `no valid cue: ${why}`);
  }
  return { format, cues, warnings, encoding };
}

/**
 * A file without a WEBVTT header is SRT unless it shows WebVTT-only syntax (NOTE/STYLE/REGION blocks,
 * cue settings, hour-less times) or is named .vtt; those are WebVTT files missing their header, an error.
 */
function detectHeaderless(lines: readonly Line[], file: string, extensionHint: SubtitleFormat | undefined): SubtitleFormat {
  let prevBlank = true;
  for (const line of lines) {
    const t = line.text;
    if (prevBlank && /^(?:NOTE|STYLE|REGION)(?:[ \t].*)?$/.test(t.trim()) && !t.includes('-->')) {
      throw new SubtitleParseError(file, line.no, `a ${t.trim().split(/\s/)[0]} block means WebVTT, but the file has no "WEBVTT" header; add WEBVTT as its first line`);
    }
    const m = TIME_LINE.exec(t);
    if (m && (m[1] === undefined || m[5] === undefined || (m[9] !== undefined && VTT_SETTING.test(m[9])))) {
      throw new SubtitleParseError(file, line.no, 'WebVTT-style time line (hour-less time or cue settings), but the file has no "WEBVTT" header; add WEBVTT as its first line');
    }
    prevBlank = t.trim() === '';
  }
  return extensionHint ?? 'srt';
}

/** Groups lines into blocks separated by blank lines; a cue never spans a blank line in either format. */
function toBlocks(lines: readonly Line[]): Line[][] {
  const blocks: Line[][] = [];
  let current: Line[] = [];
  for (const line of lines) {
    if (line.text.trim() === '') {
      if (current.length > 0) blocks.push(current);
      current = [];
    } else {
      current.push(line);
    }
  }
  if (current.length > 0) blocks.push(current);
  return blocks;
}

function parseBlocks(lines: readonly Line[], format: SubtitleFormat, file: string, warnings: Warning[]): Cue[] {
  const cues: Cue[] = [];
  const blocks = toBlocks(lines);
  for (let b = 0; b < blocks.length; b++) {
    const block = blocks[b];
    const head = block[0].text.trim();
    if (format === 'vtt') {
      if (b === 0 && head.startsWith('WEBVTT')) {
        // Header and its metadata lines; a cue glued to the header without a blank line is still read.
        if (!block.some((l) => l.text.includes('-->'))) continue;
        const firstTime = block.findIndex((l) => l.text.includes('-->'));
        block.splice(0, Math.max(1, firstTime - 1));
      }
      if (/^(?:NOTE|STYLE|REGION)(?:[ \t].*)?$/.test(head) && !block[0].text.includes('-->')) continue;
    }
    // Index of every time line in the block; a block may hold several cues when a file lacks blank lines.
    const timeAt: number[] = [];
    for (let i = 0; i < block.length; i++) if (block[i].text.includes('-->')) timeAt.push(i);
    if (timeAt.length === 0) {
      warnings.push({ file, line: block[0].no, message: `text without a "start --> end" time line; block skipped` });
      continue;
    }
    for (let k = 0; k < timeAt.length; k++) {
      const at = timeAt[k];
      const prevEnd = k === 0 ? 0 : timeAt[k - 1] + 1;
      let textEnd = k + 1 < timeAt.length ? timeAt[k + 1] : block.length;
      // A number right before the next time line is that cue's number, not this cue's text.
      if (k + 1 < timeAt.length && textEnd - 1 > at && DIGITS.test(block[textEnd - 1].text)) textEnd -= 1;
      const idLines = k === 0 ? block.slice(0, at) : at > prevEnd && DIGITS.test(block[at - 1].text) ? [block[at - 1]] : [];
      // SRT allows only a cue number there; WebVTT one identifier line of any text.
      const stray = format === 'srt' ? idLines.filter((l) => !DIGITS.test(l.text)) : idLines.slice(0, -1);
      if (stray.length > 0) {
        warnings.push({ file, line: stray[0].no, message: `unexpected text "${stray[0].text.trim()}" before the time line; ignored` });
      }
      const timeLine = block[at];
      const times = parseTimeLine(timeLine.text);
      if (typeof times === 'string') {
        warnings.push({ file, line: timeLine.no, message: `${times}; cue skipped` });
        continue;
      }
      const idLine = idLines.length > 0 ? idLines[idLines.length - 1].text.trim() : undefined;
      const number = format === 'srt' && idLine !== undefined && DIGITS.test(idLine) ? Number(idLine) : undefined;
      const body = block.slice(at + 1, textEnd).map((l) => l.text);
      cues.push({ index: number ?? cues.length + 1, start: times.start, end: times.end, text: cleanCueText(body) });
    }
  }
  return cues;
}

function parseTimeLine(line: string): { start: number; end: number } | string {
  const m = TIME_LINE.exec(line);
  if (!m) return `malformed time line "${line.trim()}" (expected "HH:MM:SS,mmm --> HH:MM:SS,mmm")`;
  const start = toSeconds(m[1], m[2], m[3], m[4]);
  const end = toSeconds(m[5], m[6], m[7], m[8]);
  if (start === null || end === null) return `malformed timestamp in "${line.trim()}" (minutes and seconds must be below 60)`;
  if (end < start) return `cue ends (${end} s) before it starts (${start} s)`;
  return { start, end };
}

function toSeconds(h: string | undefined, m: string, s: string, frac: string | undefined): number | null {
  const minutes = Number(m);
  const seconds = Number(s);
  if (minutes >= 60 || seconds >= 60) return null;
  // Whole milliseconds divided once, so 1.1 s is the double nearest 1.1 and round-trips through formatting.
  const ms = frac === undefined ? 0 : Number(frac.padEnd(3, '0'));
  return (((Number(h ?? 0) * 60 + minutes) * 60 + seconds) * 1000 + ms) / 1000;
}

const NAMED_ENTITIES: Readonly<Record<string, string>> = Object.freeze({
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', lrm: '\u200e', rlm: '\u200f',
  ndash: '\u2013', mdash: '\u2014', hellip: '\u2026', lsquo: '\u2018', rsquo: '\u2019', ldquo: '\u201c',
  rdquo: '\u201d', laquo: '\u00ab', raquo: '\u00bb', copy: '\u00a9', reg: '\u00ae', trade: '\u2122',
  euro: '\u20ac', shy: '\u00ad', iexcl: '\u00a1', iquest: '\u00bf', deg: '\u00b0', middot: '\u00b7',
});

/** Decodes HTML character references; unknown names are left as written. */
export function decodeEntities(s: string): string {
  return s.replace(/&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z][a-zA-Z0-9]{1,31}));/g, (whole, dec?: string, hex?: string, name?: string) => {
    if (name !== undefined) return NAMED_ENTITIES[name] ?? NAMED_ENTITIES[name.toLowerCase()] ?? whole;
    const code = dec !== undefined ? Number(dec) : parseInt(hex ?? '', 16);
    return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : whole;
  });
}

const KARAOKE_STAMP = /<(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3}>/g;
const MARKUP_TAG = /<\/?(?:i|b|u|s|c|v|lang|ruby|rt|rp|font|span|em|strong|sub|sup|strike|p|div)(?=[\s.>\/])[^>\n]*>/gi;

/**
 * Turns cue payload lines into plain text: formatting tags, ASS overrides and karaoke stamps removed,
 * ruby annotations (`<rt>`) dropped with their content, entities decoded, lines trimmed and joined by `\n`.
 */
export function cleanCueText(lines: readonly string[]): string {
  let s = lines.join('\n');
  s = s.replace(/<(rt|rp)(?:[ \t.][^>]*)?>[\s\S]*?(?:<\/\1>|(?=<\/ruby>)|$)/gi, '');
  s = s.replace(/\{\\[^}]*\}/g, '');
  s = s.replace(KARAOKE_STAMP, '');
  s = s.replace(/<br\s*\/?>/gi, '\n');
  // Only known formatting tags, so prose such as "x<y and y>z" survives.
  s = s.replace(MARKUP_TAG, '');
  s = decodeEntities(s);
  return s
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join('\n');
}

/**
 * Reads and parses a subtitle file. The format is detected from the content; a `.vtt` name only
 * decides that a header-less file is a broken WebVTT file rather than SRT.
 *
 * @example
 * const { cues, warnings } = await readSubtitleFile('movie.srt');
 */
export async function readSubtitleFile(file: string): Promise<SubtitleDocument> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new InputFileError(file, describeFsError(err, 'read'), err);
  }
  const hint = path.extname(file).toLowerCase() === '.vtt' ? 'vtt' : undefined;
  return parseWithHint(bytes, file, undefined, hint);
}

// ---------------------------------------------------------------------------------------------
// Writing

function formatTime(seconds: number, sep: ',' | '.'): string {
  const total = Math.round(seconds * 1000);
  const ms = total % 1000;
  const s = Math.floor(total / 1000) % 60;
  const m = Math.floor(total / 60_000) % 60;
  const h = Math.floor(total / 3_600_000);
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}${sep}${String(ms).padStart(3, '0')}`;
}

function checkCue(cue: Cue, i: number): void {
  if (!Number.isFinite(cue.start) || cue.start < 0) throw new InvalidOptionError(`cues[${i}].start`, cue.start, 'a finite time in seconds >= 0');
  if (!Number.isFinite(cue.end) || cue.end < cue.start) throw new InvalidOptionError(`cues[${i}].end`, cue.end, `a finite time >= start (${cue.start})`);
}

/**
 * WebVTT gets the escaping its spec requires. SRT has no escaping standard and many players show
 * entities raw, so only text our reader would take as markup is escaped; "a < b" stays as written.
 * Blank lines are dropped: they would end the cue early.
 */
function payload(text: string, escapeAll: boolean): string {
  const asText = (m: string): string => `&lt;${m.slice(1)}`;
  let s = escapeAll
    ? text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    : text.replace(/&(?=#?\w+;)/g, '&amp;').replace(MARKUP_TAG, asText).replace(KARAOKE_STAMP, asText).replace(/<br\s*\/?>/gi, asText);
  s = s.replace(/\{\\/g, '&#123;\\').replace(/-->/g, '--&gt;');
  return s
    .split(/\r\n|\r|\n/)
    .filter((l) => l.trim() !== '')
    .join('\n');
}

/**
 * Formats cues as SRT (numbered 1..n in the given order, `HH:MM:SS,mmm`).
 *
 * @example
 * formatSrt([{ index: 1, start: 1, end: 2.5, text: 'Hello' }]);
 * // '1\n00:00:01,000 --> 00:00:02,500\nHello\n'
 */
export function formatSrt(cues: readonly Cue[]): string {
  return cues
    .map((cue, i) => {
      checkCue(cue, i);
      const text = payload(cue.text, false);
      return `${i + 1}\n${formatTime(cue.start, ',')} --> ${formatTime(cue.end, ',')}\n${text}${text === '' ? '' : '\n'}`;
    })
    .join('\n');
}

/**
 * Formats cues as WebVTT (header, `HH:MM:SS.mmm`, text escaped as the spec requires).
 *
 * @example
 * formatVtt([{ index: 1, start: 1, end: 2.5, text: 'Tom & Jerry' }]);
 * // 'WEBVTT\n\n00:00:01.000 --> 00:00:02.500\nTom &amp; Jerry\n'
 */
export function formatVtt(cues: readonly Cue[]): string {
  const body = cues.map((cue, i) => {
    checkCue(cue, i);
    const text = payload(cue.text, true);
    return `${formatTime(cue.start, '.')} --> ${formatTime(cue.end, '.')}\n${text}${text === '' ? '' : '\n'}`;
  });
  return ['WEBVTT\n', ...body].join('\n');
}

/** Formats cues in the given format. */
export function formatSubtitles(cues: readonly Cue[], format: SubtitleFormat): string {
  switch (format) {
    case 'srt':
      return formatSrt(cues);
    case 'vtt':
      return formatVtt(cues);
    default:
      throw new InvalidOptionError('format', format satisfies never, `one of ${SUBTITLE_FORMATS.join(', ')}`);
  }
}

/** The format a file name implies, or `undefined` for other extensions. */
export function subtitleFormatFromPath(file: string): SubtitleFormat | undefined {
  const ext = path.extname(file).toLowerCase().slice(1);
  return (SUBTITLE_FORMATS as readonly string[]).includes(ext) ? (ext as SubtitleFormat) : undefined;
}

/**
 * Writes cues to a file atomically (temp file in the same folder, then rename), so a crash or a bad
 * cue never leaves a half-written file; a failed write is an `OutputError` naming the file. The format
 * defaults to the file's extension.
 *
 * @example
 * await writeSubtitleFile('out/movie.vtt', doc.cues);
 */
export async function writeSubtitleFile(file: string, cues: readonly Cue[], format?: SubtitleFormat): Promise<void> {
  const fmt = format ?? subtitleFormatFromPath(file);
  if (fmt === undefined) throw new InvalidOptionError('format', format, `'srt' or 'vtt' (or a file name ending in .srt or .vtt, not "${path.basename(file)}")`);
  const text = formatSubtitles(cues, fmt); // validates every cue before anything touches the disk
  await writeFileAtomic(file, text);
}
