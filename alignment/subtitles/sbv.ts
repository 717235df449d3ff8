import type { Cue } from './core.js';
import { sanitizeCueText } from './text.js';
import type { Line, ParseContext } from './types.js';

/**
 * YouTube SBV: a `H:MM:SS.mmm,H:MM:SS.mmm` line, the text lines, a blank line. `[br]` (written by some
 * converters) is a line break. Text that follows no time line is skipped with a warning.
 */

const TIME = String.raw`(\d+):(\d{1,2}):(\d{1,2})(?:[.,](\d{1,3}))?`;
const TIME_LINE = new RegExp(String.raw`^\s*${TIME}\s*,\s*${TIME}\s*$`);

/** True when the line is an SBV time line (used by format detection). */
export function isSbvTimeLine(text: string): boolean {
  return TIME_LINE.test(text);
}

function seconds(h: string, m: string, s: string, frac: string | undefined): number | null {
  if (Number(m) >= 60 || Number(s) >= 60) return null;
  const ms = frac === undefined ? 0 : Number(frac.padEnd(3, '0'));
  return (((Number(h) * 60 + Number(m)) * 60 + Number(s)) * 1000 + ms) / 1000;
}

/**
 * Reads SBV lines into cues.
 *
 * @example
 * parseSbv(splitLines('0:00:01.000,0:00:02.500\nHello\n'), ctx); // [{ index: 1, start: 1, end: 2.5, text: 'Hello' }]
 */
export function parseSbv(lines: readonly Line[], ctx: ParseContext): Cue[] {
  const cues: Cue[] = [];
  let open: { start: number; end: number; body: string[] } | undefined;
  let stray = false;
  const close = (): void => {
    if (!open) return;
    cues.push({ index: cues.length + 1, start: open.start, end: open.end, text: sanitizeCueText(open.body.join('\n').replace(/\[br\]/gi, '\n'), 'html').text });
    open = undefined;
  };
  for (const line of lines) {
    const m = TIME_LINE.exec(line.text);
    if (m) {
      close();
      stray = false;
      const start = seconds(m[1], m[2], m[3], m[4]);
      const end = seconds(m[5], m[6], m[7], m[8]);
      if (start === null || end === null || end < start) {
        ctx.warnings.push({ file: ctx.file, line: line.no, message: start === null || end === null ? 'malformed time line (minutes and seconds must be below 60); cue skipped' : `cue ends (${end} s) before it starts (${start} s); cue skipped` });
        stray = true;
        continue;
      }
      open = { start, end, body: [] };
      continue;
    }
    if (line.text.trim() === '') {
      close();
      stray = false;
      continue;
    }
    if (open) open.body.push(line.text);
    else if (!stray) {
      ctx.warnings.push({ file: ctx.file, line: line.no, message: 'text without a "start,end" time line; block skipped' });
      stray = true;
    }
  }
  close();
  return cues;
}
