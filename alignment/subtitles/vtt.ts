import type { Cue } from './core.js';
import { sanitizeCueText } from './text.js';
import { quote, type ParseContext } from './types.js';

/**
 * WebVTT, read by the W3C WebVTT parser algorithm ("WebVTT parser algorithm", "collect a WebVTT block",
 * "collect WebVTT cue timings and settings", "collect a WebVTT timestamp"), so a file means what it means
 * in a browser: the WEBVTT signature must start the file; a time has exactly two-digit minutes and
 * seconds and three fraction digits; a cue block ends at a blank line or at a line containing `-->`;
 * NUL is U+FFFD. Where other tools are more lenient (ExoPlayer's `00:00` times, vtt.js's `000:00.000`), the
 * spec and its web-platform-tests win. Unlike a browser, mmalign says what it skipped: a block whose
 * time line cannot be read, stray text, a cue that ends before it starts (spec-valid, useless for alignment).
 */

const WS = new Set([' ', '\t', '\f']);
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** The signature check of the parser algorithm: `WEBVTT` then nothing, a space, a tab or a line break. */
export function hasWebvttSignature(text: string): boolean {
  return /^WEBVTT(?:$|[ \t\n\r])/.test(text);
}

/** Collects a WebVTT timestamp at `pos`; returns its seconds and the position after it, or null. */
function timestamp(s: string, pos: number): { value: number; pos: number } | null {
  let p = pos;
  const digits = (): string => {
    const from = p;
    while (isDigit(s[p])) p++;
    return s.slice(from, p);
  };
  if (!isDigit(s[p])) return null;
  const first = digits();
  let hoursFirst = first.length !== 2 || Number(first) > 59;
  if (s[p] !== ':') return null;
  p++;
  const second = digits();
  if (second.length !== 2) return null;
  let h = 0;
  let m: number;
  let sec: number;
  if (hoursFirst || s[p] === ':') {
    if (s[p] !== ':') return null;
    p++;
    const third = digits();
    if (third.length !== 2) return null;
    h = Number(first);
    m = Number(second);
    sec = Number(third);
    hoursFirst = true;
  } else {
    m = Number(first);
    sec = Number(second);
  }
  if (s[p] !== '.') return null;
  p++;
  const frac = digits();
  if (frac.length !== 3) return null;
  if (m > 59 || sec > 59) return null;
  return { value: (((h * 60 + m) * 60 + sec) * 1000 + Number(frac)) / 1000, pos: p };
}

/** Start and end of a cue timings line (settings ignored), or null when the spec rejects it. */
export function parseVttTimings(line: string): { start: number; end: number } | null {
  let p = 0;
  const skip = (): void => {
    while (WS.has(line[p])) p++;
  };
  skip();
  const start = timestamp(line, p);
  if (!start) return null;
  p = start.pos;
  skip();
  if (line.slice(p, p + 3) !== '-->') return null;
  p += 3;
  skip();
  const end = timestamp(line, p);
  if (!end) return null;
  return { start: start.value, end: end.value };
}

/**
 * Reads a WebVTT file (its text, signature already checked) into cues.
 *
 * @example
 * parseVtt('WEBVTT\n\n00:01.000 --> 00:02.000\n<v Ann>Hi\n', ctx); // [{ index: 1, start: 1, end: 2, text: 'Hi', speaker: 'Ann' }]
 */
export function parseVtt(input: string, ctx: ParseContext): Cue[] {
  const text = input.replace(/\u0000/g, '\ufffd');
  const cues: Cue[] = [];
  // Line starts, so positions can be reported as line numbers.
  const lines = text.split(/\r\n|\r|\n/);
  let li = 1; // line 0 is the signature line
  const atEnd = (): boolean => li >= lines.length;

  const collectBlock = (inHeader: boolean): void => {
    let lineCount = 0;
    let seenArrow = false;
    let timings: { start: number; end: number } | null | undefined;
    let timingLine = 0;
    const buffer: string[] = [];
    const firstNo = li + 1;
    while (!atEnd()) {
      const line = lines[li];
      lineCount++;
      if (line.includes('-->')) {
        if (!inHeader && (lineCount === 1 || (lineCount === 2 && !seenArrow))) {
          seenArrow = true;
          li++;
          timingLine = li;
          timings = parseVttTimings(line);
          if (timings) buffer.length = 0;
          else buffer.push(line);
          continue;
        }
        break; // this line starts the next block
      }
      li++;
      if (line === '') break;
      buffer.push(line);
    }
    if (inHeader) return;
    if (timings) {
      if (timings.end < timings.start) {
        ctx.warnings.push({ file: ctx.file, line: timingLine, message: `cue ends (${timings.end} s) before it starts (${timings.start} s); cue skipped` });
        return;
      }
      const { text: cueText, speaker } = sanitizeCueText(buffer.join('\n'), 'webvtt');
      cues.push({ index: cues.length + 1, start: timings.start, end: timings.end, text: cueText, ...(speaker === undefined ? {} : { speaker }) });
      return;
    }
    if (seenArrow) {
      ctx.warnings.push({ file: ctx.file, line: timingLine, message: `malformed time line ${quote(lines[timingLine - 1])} (expected "HH:MM:SS.mmm --> HH:MM:SS.mmm"); cue skipped` });
      return;
    }
    const head = buffer[0] ?? '';
    if (/^(?:NOTE|STYLE|REGION)(?:[ \t\n]|$)/.test(head)) return;
    if (buffer.length > 0) ctx.warnings.push({ file: ctx.file, line: firstNo, message: `text without a "start --> end" time line; block skipped` });
  };

  collectBlock(true);
  while (!atEnd()) {
    while (!atEnd() && lines[li] === '') li++;
    if (atEnd()) break;
    collectBlock(false);
  }
  return cues;
}
