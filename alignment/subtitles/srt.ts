import type { Cue } from './core.js';
import { sanitizeCueText } from './text.js';
import { quote, type Line, type ParseContext } from './types.js';

/**
 * SRT has no specification, and real files (editors, OCR, converters) bend every rule, so this reader
 * is lenient wherever the intent is clear and warns wherever text is dropped:
 *
 * - A cue runs from its time line to the next cue's number + time line (or the next time line). Blank
 *   lines inside the text, or right after the time line (`[Music]` cues), do not end it.
 * - Time shapes generators write: hour-less `MM:SS,mmm`, no milliseconds, `.` `,` `:` or full-width `，`
 *   before the fraction and `：` between fields, any number of fraction digits (`28.9670`), a 3-digit
 *   seconds field (`00:00:013,567`), spaces inside a time standing for zeros (`0: 0:26, 26`), junk glued
 *   after the end time (`00:01:20,000?`, position coordinates), arrows `-->`, `- >`, `-- >` (not `->`).
 * - A numbered block without a time line, or with a time line that cannot be read, is skipped with a
 *   warning naming its line; so is text before the first cue.
 */

// A time: 1 to 4 colon-separated fields (4 = the last is the fraction, as in `00:00:04:609`), then an optional fraction.
const TS = String.raw`(\d+(?: *[:：] *\d+){1,3})(?: *[,.，]([\d ]*\d))?`;
// cdown/srt's arrow grammar: a dash, a dash or a space, then spaces and '>' ("-->", "- >", "-- >"); "->" is
// rejected as pysrt does, since a one-dash arrow is also ordinary text ("A -> B").
const ARROW = String.raw`-[ -] *>`;
const TIME_LINE = new RegExp(String.raw`^\s*${TS}\s*${ARROW}\s*${TS}(.*)$`);
const TIME_LIKE = /^\s*\d+\s*[:：]\s*\d/;
const INDEX = /^\s*(-?\d+)(?:\.\d+)?\s*$/;

/** Seconds of one SRT-style time (fields and fraction as the pattern captured them), or null when out of range. */
export function srtTime(fields: string, fraction: string | undefined): number | null {
  const parts = fields.split(/[:：]/).map((p) => p.trim());
  let frac = fraction;
  if (parts.length === 4) {
    if (frac !== undefined) return null;
    frac = parts.pop();
  }
  const [h, m, s] = parts.length === 3 ? parts : ['0', ...parts];
  const minutes = Number(m);
  const seconds = Number(s);
  if (minutes >= 60 || seconds >= 60) return null;
  // Spaces inside a fraction stand for zeros ("3,  5" is 3.005 s, as GStreamer reads it). Whole
  // milliseconds are divided once, so 1.1 s is the double nearest 1.1 and survives formatting.
  const ms = frac === undefined ? 0 : Math.round(Number(`0.${frac.replace(/ /g, '0')}`) * 1000);
  return (((Number(h) * 60 + minutes) * 60 + seconds) * 1000 + ms) / 1000;
}

/** `{start, end}` of an SRT time line, a reason when it looks like one but cannot be read, or null when it is no time line. */
export function parseSrtTimeLine(text: string): { start: number; end: number } | string | null {
  const m = TIME_LINE.exec(text);
  if (!m) return null;
  const start = srtTime(m[1], m[2]);
  const end = srtTime(m[3], m[4]);
  if (start === null || end === null) return `malformed timestamp in ${quote(text.trim())} (minutes and seconds must be below 60)`;
  if (end < start) return `cue ends (${end} s) before it starts (${start} s)`;
  return { start, end };
}

/** True when a line of a header-less file is an SRT time line (used by format detection). */
export function isSrtTimeLine(text: string): boolean {
  return TIME_LINE.test(text);
}

/**
 * Reads SRT lines into cues; see the module comment for what is accepted.
 *
 * @example
 * parseSrt(splitLines('1\n00:00:01,000 --> 00:00:02,000\n\n[Music]\n'), ctx); // [{ index: 1, start: 1, end: 2, text: '[Music]' }]
 */
export function parseSrt(lines: readonly Line[], ctx: ParseContext): Cue[] {
  const cues: Cue[] = [];
  let open: { index: number | undefined; start: number; end: number; body: string[] } | undefined;
  let pendingIndex: number | undefined;
  // After a bad or stray block, lines are dropped until the next time line or blank line.
  let skipping = false;
  let blockStart = true;

  const close = (): void => {
    if (open === undefined) return;
    const { text } = sanitizeCueText(open.body.join('\n'), 'html');
    cues.push({ index: open.index ?? cues.length + 1, start: open.start, end: open.end, text });
    open = undefined;
  };
  const warn = (line: Line, message: string): void => {
    ctx.warnings.push({ file: ctx.file, line: line.no, message });
  };
  const isTime = (i: number): boolean => i < lines.length && TIME_LINE.test(lines[i].text);

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const t = line.text;
    if (t.trim() === '') {
      blockStart = true;
      skipping = false;
      if (open) open.body.push('');
      continue;
    }
    const times = parseSrtTimeLine(t);
    if (times !== null) {
      close();
      skipping = false;
      blockStart = false;
      const index = pendingIndex;
      pendingIndex = undefined;
      if (typeof times === 'string') {
        warn(line, `${times}; cue skipped`);
        skipping = true;
        continue;
      }
      open = { index, start: times.start, end: times.end, body: [] };
      continue;
    }
    const number = INDEX.exec(t);
    // A cue number: the line right before a time line (after a blank line, or directly after text).
    if (number && isTime(i + 1)) {
      close();
      pendingIndex = Number(number[1]);
      blockStart = false;
      continue;
    }
    if (skipping) continue;
    if (blockStart) {
      blockStart = false;
      if (number) {
        close();
        const next = lines[i + 1];
        const bad = next !== undefined && next.text.trim() !== '' && (TIME_LIKE.test(next.text) || next.text.includes('-->'));
        warn(bad ? next : line, bad ? `malformed time line ${quote(next.text.trim())} (expected "HH:MM:SS,mmm --> HH:MM:SS,mmm"); cue skipped` : `cue ${number[1]} has no "start --> end" time line; block skipped`);
        skipping = true;
        continue;
      }
      if (TIME_LIKE.test(t) || t.includes('-->')) {
        close();
        warn(line, `malformed time line ${quote(t.trim())} (expected "HH:MM:SS,mmm --> HH:MM:SS,mmm"); cue skipped`);
        skipping = true;
        continue;
      }
      if (open === undefined || isTime(i + 1)) {
        close();
        warn(line, isTime(i + 1) ? `unexpected text ${quote(t.trim())} before the time line; ignored` : `text without a "start --> end" time line; block skipped`);
        skipping = !isTime(i + 1);
        continue;
      }
    }
    if (open) open.body.push(t);
  }
  close();
  return cues;
}
