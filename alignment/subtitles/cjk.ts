import iconv from 'iconv-lite';

/**
 * Guessing the encoding of short Chinese, Japanese and Korean files. Statistical detectors need a few
 * hundred characters; a subtitle cue has ten. But each legacy standard orders its characters by
 * frequency: GB2312 level 1 (lead bytes B0-D7) holds the 3,755 common hanzi, Big5 A440-C67E the 5,401
 * common traditional ones, JIS level 1 (Shift_JIS 889F-9872) the common kanji, KS X 1001 B0-C8 the 2,350
 * common hangul. Bytes in the wrong encoding decode into rare characters (Big5 "道德經" read as GB18030 is
 * "笵紈竒"), or into invalid sequences. So every multibyte candidate is scored by the share of its
 * non-ASCII characters that are common in some CJK standard.
 */

export const CJK_ENCODINGS = Object.freeze(['gb18030', 'big5', 'shift_jis', 'euc-kr'] as const);
export type CjkEncoding = (typeof CJK_ENCODINGS)[number];

const commonCache = new Map<string, boolean>();

function inRange(bytes: Buffer, lead: [number, number], trail: [number, number]): boolean {
  return bytes.length === 2 && bytes[0] >= lead[0] && bytes[0] <= lead[1] && bytes[1] >= trail[0] && bytes[1] <= trail[1];
}

/** True for CJK punctuation, kana, and the characters each standard lists as common. */
function isCommon(ch: string): boolean {
  const cp = ch.codePointAt(0) ?? 0;
  if ((cp >= 0x3000 && cp <= 0x303f) || (cp >= 0xff01 && cp <= 0xff5e) || (cp >= 0x3041 && cp <= 0x30fc) || cp === 0x2026 || cp === 0x2014 || cp === 0x00b7) return true;
  if (cp < 0x3400) return false;
  let known = commonCache.get(ch);
  if (known === undefined) {
    const gb = iconv.encode(ch, 'gb18030');
    const big5 = iconv.encode(ch, 'big5');
    const sjis = iconv.encode(ch, 'shift_jis');
    const kr = iconv.encode(ch, 'euc-kr');
    known =
      inRange(gb, [0xb0, 0xd7], [0xa1, 0xfe]) ||
      (inRange(big5, [0xa4, 0xc6], [0x40, 0xfe]) && !(big5[0] === 0xc6 && big5[1] > 0x7e)) ||
      (sjis.length === 2 && ((sjis[0] === 0x88 && sjis[1] >= 0x9f) || (sjis[0] >= 0x89 && sjis[0] <= 0x97) || (sjis[0] === 0x98 && sjis[1] <= 0x72))) ||
      (cp >= 0xac00 && cp <= 0xd7a3 && inRange(kr, [0xb0, 0xc8], [0xa1, 0xfe]));
    commonCache.set(ch, known);
  }
  return known;
}

export interface CjkGuess {
  encoding: CjkEncoding;
  /** Share of non-ASCII characters that are common (0..1). */
  score: number;
  /** Non-ASCII characters the guess rests on. */
  chars: number;
  /** The best other candidate's score, to tell a clear guess from a close call. */
  runnerUp: number;
}

/**
 * Scores the multibyte encodings on (a prefix of) bytes that are not UTF-8; undefined when none decodes cleanly.
 *
 * @example
 * guessCjk(iconv.encode('道德經', 'big5'))?.encoding; // 'big5'
 */
export function guessCjk(bytes: Uint8Array): CjkGuess | undefined {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const scored: { encoding: CjkEncoding; score: number; chars: number }[] = [];
  for (const encoding of CJK_ENCODINGS) {
    const text = iconv.decode(buffer, encoding);
    if (text.includes('\ufffd')) continue;
    let chars = 0;
    let common = 0;
    let hangul = 0;
    let controls = 0;
    for (const ch of text) {
      const cp = ch.codePointAt(0) ?? 0;
      if (cp < 0x80) continue;
      // C1 controls (like half-width katakana, which score as rare) are what misread bytes look like.
      if (cp < 0xa0) controls++;
      chars++;
      if (isCommon(ch)) common++;
      if (cp >= 0xac00 && cp <= 0xd7a3) hangul++;
    }
    if (chars === 0 || controls > 0) continue;
    // Korean separates words with spaces, Chinese does not: hangul without spaces is Chinese misread.
    if (encoding === 'euc-kr') {
      const spaced = (text.match(/[^\x00-\x7f] [^\x00-\x7f]/g) ?? []).length;
      if (hangul < chars * 0.7 || spaced * 10 < chars) continue;
      scored.push({ encoding, score: common / chars + 0.01, chars });
      continue;
    }
    scored.push({ encoding, score: common / chars, chars });
  }
  if (scored.length === 0) return undefined;
  // Candidates are listed by how often they occur in subtitles: a tie goes to the earlier one.
  let best = scored[0];
  for (const s of scored) if (s.score > best.score) best = s;
  let runnerUp = 0;
  for (const s of scored) if (s !== best && s.score > runnerUp) runnerUp = s.score;
  return { ...best, runnerUp };
}
