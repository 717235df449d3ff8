import chardet from 'chardet';
import iconv from 'iconv-lite';
import { InvalidOptionError } from './core.js';
import { guessCjk } from './cjk.js';
import { maxOf } from './types.js';

/** Decoded subtitle text, the encoding used, and a note when that encoding is only a guess on thin evidence. */
export interface DecodedText {
  text: string;
  encoding: string;
  /** Set when the encoding was guessed from few characters: say so, so a user can pass the right one. */
  warning?: string;
}

/**
 * Decodes subtitle bytes. A forced `encoding` wins; then a BOM (UTF-8, UTF-32, UTF-16); then UTF-16
 * without a BOM (told by its zero bytes); then strict UTF-8 (which every ASCII file also is), because
 * statistical detectors misjudge short UTF-8 files; only bytes that are not valid UTF-8 are guessed at:
 * CJK multibyte encodings by character frequency, other scripts by chardet, Latin code pages by the
 * letters their languages use.
 *
 * @example
 * decodeSubtitleBytes(iconv.encode('Ça va', 'windows-1252')); // { text: 'Ça va', encoding: 'windows-1252' }
 */
export function decodeSubtitleBytes(bytes: Uint8Array, options: { encoding?: string } = {}): DecodedText {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (options.encoding !== undefined) {
    if (!iconv.encodingExists(options.encoding)) throw new InvalidOptionError('encoding', options.encoding, 'a character encoding name such as utf-8, windows-1252, big5, gb18030, shift_jis');
    return { text: iconv.decode(buffer, options.encoding).replace(/^\uFEFF/, ''), encoding: options.encoding.toLowerCase() };
  }
  const bom = byBom(buffer);
  if (bom) return bom;
  const utf16 = utf16WithoutBom(buffer);
  if (utf16) return { text: iconv.decode(buffer, utf16), encoding: utf16 };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(buffer), encoding: 'utf-8' };
  } catch {
    // not UTF-8: guess below
  }
  return detectLegacy(buffer);
}

function byBom(b: Buffer): DecodedText | undefined {
  const at = (...xs: number[]): boolean => xs.every((x, i) => b[i] === x);
  // UTF-32 LE's BOM starts like UTF-16 LE's, so it is checked first.
  if (b.length >= 4 && at(0xff, 0xfe, 0, 0)) return { text: iconv.decode(b.subarray(4), 'utf-32le'), encoding: 'utf-32le' };
  if (b.length >= 4 && at(0, 0, 0xfe, 0xff)) return { text: iconv.decode(b.subarray(4), 'utf-32be'), encoding: 'utf-32be' };
  if (b.length >= 3 && at(0xef, 0xbb, 0xbf)) return { text: new TextDecoder('utf-8').decode(b.subarray(3)), encoding: 'utf-8' };
  if (b.length >= 2 && at(0xff, 0xfe)) return { text: iconv.decode(b.subarray(2), 'utf-16le'), encoding: 'utf-16le' };
  if (b.length >= 2 && at(0xfe, 0xff)) return { text: iconv.decode(b.subarray(2), 'utf-16be'), encoding: 'utf-16be' };
  return undefined;
}

/** UTF-16 text with Latin content has a zero in every other byte; no 8-bit text has. */
export function utf16WithoutBom(b: Uint8Array): 'utf-16le' | 'utf-16be' | undefined {
  const n = Math.min(b.length, 4096) & ~1;
  if (n < 8) return undefined;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < n; i += 2) {
    if (b[i] === 0) evenZeros++;
    if (b[i + 1] === 0) oddZeros++;
  }
  const pairs = n / 2;
  if (oddZeros > pairs * 0.4 && evenZeros < pairs * 0.05) return 'utf-16le';
  if (evenZeros > pairs * 0.4 && oddZeros < pairs * 0.05) return 'utf-16be';
  return undefined;
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

/** ISO code pages read as their Windows supersets (as browsers do): same letters plus quotes and dashes. */
const LATIN_TWINS: Readonly<Record<string, string>> = Object.freeze({
  'iso-8859-1': 'windows-1252',
  'iso-8859-15': 'windows-1252',
  'iso-8859-2': 'windows-1250',
  'iso-8859-9': 'windows-1254',
  'iso-8859-13': 'windows-1257',
});

/** Bytes scored for the CJK guess: enough for a confident answer, cut at a line feed (never inside a character). */
const CJK_SAMPLE_BYTES = 64 * 1024;

/**
 * Picks the encoding of bytes that are not UTF-8. A CJK multibyte decoding made of common characters
 * wins (see cjk.ts); otherwise statistical detection (chardet) is trusted for scripts whose words are
 * made entirely of non-ASCII bytes (Cyrillic, Greek), but not for Latin text, where a short file may hold
 * three accented letters: each Latin code page is scored by how many of the high bytes decode to letters
 * its languages use ("Ça" is Ç in windows-1252 but Ē in windows-1257).
 */
function detectLegacy(buffer: Buffer): DecodedText {
  let sample = buffer;
  if (buffer.length > CJK_SAMPLE_BYTES) {
    // From the line of the first non-ASCII byte: a long ASCII prologue says nothing about the encoding.
    const firstHigh = buffer.findIndex((x) => x >= 0x80);
    const from = firstHigh > 0 ? buffer.lastIndexOf(0x0a, firstHigh) + 1 : 0;
    const cut = buffer.lastIndexOf(0x0a, from + CJK_SAMPLE_BYTES);
    sample = buffer.subarray(from, cut > from ? cut : from + CJK_SAMPLE_BYTES);
  }
  const cjk = guessCjk(sample);
  if (cjk && cjk.score >= 0.75) {
    const text = iconv.decode(buffer, cjk.encoding);
    const thin = cjk.chars < 8 || cjk.runnerUp >= cjk.score - 0.15;
    return {
      text,
      encoding: cjk.encoding,
      ...(thin
        ? { warning: `the text encoding was guessed as ${cjk.encoding} from ${cjk.chars} character(s); if the text looks wrong, give the encoding (--encoding big5, gb18030, shift_jis, euc-kr, ...)` }
        : {}),
    };
  }
  let high = 0;
  let clustered = 0;
  for (let i = 0; i < sample.length; i++) {
    if (sample[i] < 0x80) continue;
    high++;
    if ((i > 0 && sample[i - 1] >= 0x80) || (i + 1 < sample.length && sample[i + 1] >= 0x80)) clustered++;
  }
  const guesses = chardet.analyse(sample);
  // A handful of bytes proves nothing ("Grüße" is two adjacent high bytes); below that, stay Latin.
  if (clustered * 2 > high && high >= 6) {
    for (const match of guesses) {
      const name = match.name.toLowerCase();
      if (name === 'utf-8' || name === 'ascii' || !iconv.encodingExists(name)) continue;
      if (!iconv.decode(sample, name).includes('\ufffd')) return { text: iconv.decode(buffer, name), encoding: LATIN_TWINS[name] ?? name };
    }
  }
  const scores = LATIN_CODE_PAGES.map(([encoding, expected]) => {
    let score = 0;
    for (const ch of iconv.decode(sample, encoding)) if (ch.charCodeAt(0) >= 0x80 && expected.includes(ch)) score++;
    return { encoding, score };
  });
  const top = maxOf(scores.map((x) => x.score));
  const tied = scores.filter((x) => x.score === top).map((x) => x.encoding);
  let encoding = tied[0];
  if (tied.length > 1 && tied[0] !== 'windows-1252') {
    // Tied Central European / Turkish / Baltic pages: let chardet's statistics break the tie.
    const confidence = (enc: string): number => maxOf(guesses.filter((g) => (LATIN_TWINS[g.name.toLowerCase()] ?? g.name.toLowerCase()) === enc).map((g) => g.confidence));
    encoding = tied.reduce((a, b) => (confidence(b) > confidence(a) ? b : a));
  }
  return { text: iconv.decode(buffer, encoding), encoding };
}
