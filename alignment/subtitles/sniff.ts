import { isMicroDvdLine } from './microdvd.js';
import { isSbvTimeLine } from './sbv.js';
import { isSrtTimeLine } from './srt.js';
import { utf16WithoutBom } from './encoding.js';
import type { SubtitleFormat } from './types.js';

/**
 * Telling what a file is from its content, never from its name: first the bytes (images, videos,
 * bitmap subtitles, archives: refused before anything is decoded), then the text (which subtitle format,
 * or which other text format mmalign does not read).
 */

const ascii = (b: Uint8Array, at: number, s: string): boolean => {
  if (b.length < at + s.length) return false;
  for (let i = 0; i < s.length; i++) if (b[at + i] !== s.charCodeAt(i)) return false;
  return true;
};
const bytesAt = (b: Uint8Array, at: number, xs: readonly number[]): boolean => b.length >= at + xs.length && xs.every((x, i) => b[at + i] === x);

const OCR_HINT = 'its subtitles are images: turn them into text first (OCR, e.g. with Subtitle Edit), or use a text subtitle track';

/** Magic numbers, most specific first: [test, what the file looks like, what to do]. */
const MAGIC: readonly (readonly [(b: Uint8Array) => boolean, string | ((b: Uint8Array) => string), string?])[] = Object.freeze([
  [(b) => ascii(b, 0, 'PG') && b.length > 10 && [0x14, 0x15, 0x16, 0x17, 0x80].includes(b[10]), 'a PGS/SUP bitmap subtitle (Blu-ray)', OCR_HINT],
  [(b) => bytesAt(b, 0, [0x00, 0x00, 0x01, 0xba]), 'an MPEG program stream (a VobSub .sub bitmap subtitle or a DVD VOB video)', `if it is VobSub, ${OCR_HINT}`],
  [(b) => bytesAt(b, 0, [0x00, 0x00, 0x01, 0xb3]), 'an MPEG video'],
  [(b) => bytesAt(b, 0, [0x89, 0x50, 0x4e, 0x47]), 'a PNG image'],
  [(b) => bytesAt(b, 0, [0xff, 0xd8, 0xff]), 'a JPEG image'],
  [(b) => ascii(b, 0, 'GIF87a') || ascii(b, 0, 'GIF89a'), 'a GIF image'],
  [(b) => ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP'), 'a WebP image'],
  [(b) => ascii(b, 0, 'RIFF') && ascii(b, 8, 'WAVE'), 'a WAV audio file'],
  [(b) => ascii(b, 0, 'RIFF') && ascii(b, 8, 'AVI '), 'an AVI video'],
  [(b) => bytesAt(b, 0, [0x49, 0x49, 0x2a, 0x00]) || bytesAt(b, 0, [0x4d, 0x4d, 0x00, 0x2a]), 'a TIFF image'],
  [
    (b) => ascii(b, 4, 'ftyp'),
    (b) => {
      const brand = Buffer.from(b.subarray(8, 12)).toString('latin1');
      if (brand === 'qt  ') return 'a QuickTime (MOV) video';
      if (brand.startsWith('M4A') || brand.startsWith('M4B')) return 'an M4A audio file';
      if (['heic', 'heix', 'mif1', 'msf1'].includes(brand)) return 'a HEIC image';
      if (brand === 'avif') return 'an AVIF image';
      return 'an MP4 video';
    },
  ],
  [(b) => bytesAt(b, 0, [0x1a, 0x45, 0xdf, 0xa3]), (b) => (Buffer.from(b.subarray(0, 64)).includes('webm') ? 'a WebM video' : 'a Matroska (MKV) video')],
  [(b) => b.length > 376 && b[0] === 0x47 && b[188] === 0x47 && b[376] === 0x47, 'an MPEG-TS video'],
  [(b) => ascii(b, 0, 'FLV') && b[3] === 1, 'an FLV video'],
  [(b) => bytesAt(b, 0, [0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11]), 'a Windows Media (ASF/WMV) file'],
  [(b) => ascii(b, 0, 'OggS'), 'an Ogg audio/video file'],
  [(b) => ascii(b, 0, 'fLaC'), 'a FLAC audio file'],
  [(b) => ascii(b, 0, 'ID3') || (b.length > 1 && b[0] === 0xff && (b[1] & 0xe6) === 0xe2), 'an MP3 audio file'],
  [(b) => ascii(b, 0, '%PDF-'), 'a PDF document'],
  [(b) => bytesAt(b, 0, [0x50, 0x4b, 0x03, 0x04]), 'a ZIP archive (or a .docx/.xlsx/.odt document)', 'unpack it and pass the subtitle file inside'],
  [(b) => bytesAt(b, 0, [0x1f, 0x8b]), 'a gzip archive', 'unpack it first'],
  [(b) => ascii(b, 0, 'Rar!\u001a\u0007'), 'a RAR archive', 'unpack it first'],
  [(b) => bytesAt(b, 0, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]), 'a 7-Zip archive', 'unpack it first'],
  [(b) => bytesAt(b, 0, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), 'an xz archive', 'unpack it first'],
  [(b) => ascii(b, 0, 'SQLite format 3\u0000'), 'an SQLite database'],
  [(b) => bytesAt(b, 0, [0x7f, 0x45, 0x4c, 0x46]), 'an executable (ELF)'],
]);

/** What the first bytes of a file show it to be, and what to do about it. */
export interface BinarySniff {
  /** E.g. "a PNG image", "an MP4 video", "binary data". */
  looksLike: string;
  hint?: string;
}

/**
 * What the first bytes of a file show it to be when that is not text; undefined for text.
 *
 * @example
 * sniffBinary(firstBytesOf('movie.mp4')); // { looksLike: 'an MP4 video' }
 */
export function sniffBinary(head: Uint8Array): BinarySniff | undefined {
  for (const [test, what, hint] of MAGIC) {
    if (test(head)) return { looksLike: typeof what === 'string' ? what : what(head), ...(hint === undefined ? {} : { hint }) };
  }
  const hasBom = bytesAt(head, 0, [0xef, 0xbb, 0xbf]) || bytesAt(head, 0, [0xff, 0xfe]) || bytesAt(head, 0, [0xfe, 0xff]) || bytesAt(head, 0, [0, 0, 0xfe, 0xff]);
  if (hasBom || utf16WithoutBom(head)) return undefined;
  // Text has line feeds and tabs but hardly any other control byte; compressed or binary data has many.
  let controls = 0;
  for (const x of head) if (x < 0x09 || (x > 0x0d && x < 0x20 && x !== 0x1b)) controls++;
  return head.length > 0 && controls > head.length * 0.05 ? { looksLike: 'binary data', hint: 'if it is text in an unusual encoding, give it (--encoding NAME)' } : undefined;
}

/** The reason given when a file is refused for its bytes. */
export function binaryReason(s: BinarySniff): string {
  return `looks like ${s.looksLike}, not a subtitle file${s.hint ? `; ${s.hint}` : ''}`;
}

/** What a text shows itself to be: a subtitle format mmalign reads, or a description of what it is instead. */
export type TextSniff = { format: SubtitleFormat } | { format: 'vtt-broken'; line: number } | { unreadable: string } | { format: undefined };

const OTHER_TEXT: readonly (readonly [RegExp, string])[] = Object.freeze([
  [/^<SAMI[\s>]/i, 'a SAMI (.smi) file'],
  [/^# VobSub index file/i, 'a VobSub index (.idx); its subtitles are bitmap images in the .sub beside it: OCR them to SRT first'],
  [/^\[INFORMATION\]/i, 'a SubViewer 2 file'],
  [/^\[\d+\]\[\d*\]/, 'an MPL2 subtitle file'],
  [/^\[\d+:\d{2}:\d{2}\]/, 'a DKS subtitle file'],
  [/^\[(?:ar|ti|al|by|offset|length|re|ve):.*\]$|^\[\d+:\d{2}(?:[.:]\d{1,3})?\]/i, 'LRC song lyrics'],
  [/^\d{1,2}:\d{2}:\d{2}(?:,\d+)?[:=]/, 'a TMPlayer subtitle file'],
]);

/** Formats a user can convert from, named in "cannot read" messages. */
export const READ_LIST = 'mmalign reads SRT, WebVTT, ASS/SSA, SBV, TTML/DFXP and MicroDVD; convert it to SRT first (e.g. `ffmpeg -i FILE out.srt`)';

/**
 * Detects the subtitle format of decoded text.
 *
 * @example
 * sniffText('[Script Info]\n...'); // { format: 'ass' }
 */
export function sniffText(text: string): TextSniff {
  if (/^WEBVTT(?:$|[ \t\n\r])/.test(text)) return { format: 'vtt' };
  const head = text.slice(0, 64 * 1024);
  const lines = head.split(/\r\n|\r|\n/);
  const firstAt = lines.findIndex((l) => l.trim() !== '');
  if (firstAt === -1) return { format: undefined };
  const first = lines[firstAt].trim();
  // WEBVTT later on the first line, or after blank lines: the spec's signature check fails, the author meant WebVTT.
  if (/^\s*WEBVTT/.test(first) || /^\uFEFF?\s*WEBVTT/.test(first)) return { format: 'vtt-broken', line: firstAt + 1 };
  if (/^\[(?:Script Info|V4\+? Styles|Events)\]$/i.test(first) || lines.slice(firstAt, firstAt + 200).some((l) => /^\s*\[Events\]\s*$/i.test(l))) return { format: 'ass' };
  if (first.startsWith('<')) {
    if (/^<(?:\?xml[^>]*\?>\s*)?(?:<!--[\s\S]*?-->\s*|<!DOCTYPE[^>]*>\s*)*<(?:\w+:)?tt[\s>/]/.test(head.trimStart())) return { format: 'ttml' };
  }
  if (/^(?:<\?xml[^>]*\?>\s*)?(?:<!--[\s\S]*?-->\s*)*(?:<!DOCTYPE\s+html|<html[\s>])/i.test(head.trimStart())) return { unreadable: `an HTML page; ${READ_LIST}` };
  for (const [pattern, what] of OTHER_TEXT) if (pattern.test(first)) return { unreadable: `${what}; ${READ_LIST}` };
  // XML of another kind: the TTML reader names its root element.
  if (first.startsWith('<?xml') || (/^<\w/.test(first) && !lines.some(isSrtTimeLine))) return { format: 'ttml' };
  if (isMicroDvdLine(first)) return { format: 'microdvd' };
  if (isSbvTimeLine(first)) return { format: 'sbv' };
  if (/^[{[]/.test(first)) {
    try {
      JSON.parse(text);
      return { unreadable: `JSON, not a subtitle file; ${READ_LIST}` };
    } catch {
      // not JSON: go on
    }
  }
  let prevBlank = true;
  for (let i = firstAt; i < lines.length; i++) {
    const l = lines[i];
    if (isSrtTimeLine(l)) return { format: 'srt' };
    // A NOTE/STYLE/REGION block before any cue: WebVTT that lost its header.
    if (prevBlank && /^(?:NOTE|STYLE|REGION)(?:[ \t].*)?$/.test(l.trim()) && !l.includes('-->')) return { format: 'vtt-broken', line: i + 1 };
    prevBlank = l.trim() === '';
  }
  return { format: undefined };
}
