/**
 * Which cues are speech. Music, lyrics and sound descriptions are in the file for deaf viewers but
 * no voice speaks them, so counting them would pull the offset towards music and effects.
 */
import type { Cue } from '../../src/core/types.js';

// Bracketed descriptions: [MUSIC], (laughs), {door slams}, *sighs*, <<whispers>>.
const BRACKETED = /\[[^\]\n]*\]?|\([^)\n]*\)?|\{[^}\n]*\}?|\*[^*\n]+\*|\u27e8[^\u27e9\n]*\u27e9?/g;
// Sung lines: from a music sign to the end of its line (♪ ... ♪), or a line opened by "# " (SDH
// files write lyrics both ways). A "#" inside a line ("my #1 fan") is not a music sign.
const LYRICS = /[\u266a\u266b\u266c][^\n]*|^\s*[-\u2010-\u2015]?\s*#(?:\s[^\n]*)?$/gm;
// "JOHN:" / "MAN 2:" / "- NARRATOR:" speaker labels, and dialogue dashes.
const SPEAKER_LABEL = /^\s*[-\u2010-\u2015]?\s*(?:[A-Z][A-Z0-9 .'\u2019-]{0,30}):\s*/gmu;
const DASH = /^\s*[-\u2010-\u2015]+\s*/gm;
const WORDISH = /[\p{L}\p{N}]/u;

/**
 * True when a cue's text is something a voice says: after bracketed descriptions, lyrics marked
 * with ♪ or #, speaker labels and dashes are removed, a letter or digit is left.
 *
 * @example
 * isSpokenText('[MUSIC]');              // false
 * isSpokenText('♪ Hey Jude ♪');         // false
 * isSpokenText('(laughs) No way!');     // true
 * isSpokenText('JOHN: (sighs)');        // false
 */
export function isSpokenText(text: string): boolean {
  let s = text.replace(BRACKETED, ' ');
  s = s.replace(LYRICS, ' ');
  s = s.replace(SPEAKER_LABEL, '').replace(DASH, '');
  return WORDISH.test(s);
}

/**
 * The cues a voice speaks, in start order; see {@link isSpokenText}.
 *
 * @example
 * spokenCues(doc.cues).length; // cues left for the speech signal
 */
export function spokenCues<C extends Cue>(cues: readonly C[]): C[] {
  return cues.filter((c) => c.end > c.start && isSpokenText(c.text)).sort((a, b) => a.start - b.start);
}
