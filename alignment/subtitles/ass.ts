import type { Cue } from './core.js';
import { sanitizeCueText } from './text.js';
import type { Line, ParseContext } from './types.js';

/**
 * ASS (v4+) and SSA (v4) scripts, the usual format of fansubs: the `[Events]` section's `Format:` line
 * names the fields in any order (the v4+ default when it is missing); every `Dialogue:` line is a cue,
 * `Comment:` (and Picture/Sound/Movie/Command) lines are not. In the text, `{...}` override blocks are
 * removed, and so is vector drawing text (between `{\p1}` and `{\p0}`); `\N` and `\n` are line breaks,
 * `\h` a no-break space. Events left without text (Aegisub's default blank line, vector signs) are not
 * cues. The `Name` (or `Actor`) field becomes the cue's speaker. Cues stay in file order.
 */

const DEFAULT_FORMAT = ['layer', 'start', 'end', 'style', 'name', 'marginl', 'marginr', 'marginv', 'effect', 'text'];
const TIME = /^\s*(\d+):(\d{1,2}):(\d{1,2})(?:[.,](\d+))?\s*$/;

/** Seconds of an ASS time (`H:MM:SS.cc`), or null when it is malformed. */
export function assTime(s: string): number | null {
  const m = TIME.exec(s);
  if (!m) return null;
  const minutes = Number(m[2]);
  const seconds = Number(m[3]);
  if (minutes >= 60 || seconds >= 60) return null;
  const ms = m[4] === undefined ? 0 : Math.round(Number(`0.${m[4]}`) * 1000);
  return (((Number(m[1]) * 60 + minutes) * 60 + seconds) * 1000 + ms) / 1000;
}

/** Plain text of an event's Text field: overrides and drawings removed, ASS escapes turned into text. */
export function assPlainText(raw: string): string {
  let out = '';
  let drawing = false;
  let i = 0;
  while (i < raw.length) {
    const open = raw.indexOf('{', i);
    const close = open === -1 ? -1 : raw.indexOf('}', open + 1);
    const textEnd = open === -1 || close === -1 ? raw.length : open;
    if (!drawing) out += raw.slice(i, textEnd);
    if (textEnd === raw.length) break;
    const block = raw.slice(open + 1, close);
    // The last \p in a block decides: \p0 ends drawing mode, \p1 and up start it.
    for (const m of block.matchAll(/\\p(\d+)/g)) drawing = Number(m[1]) > 0;
    i = close + 1;
  }
  return out.replace(/\\[Nn]/g, '\n').replace(/\\h/g, '\u00a0');
}

/**
 * Reads the events of an ASS/SSA script.
 *
 * @example
 * parseAss(splitLines('[Events]\nFormat: Start, End, Name, Text\nDialogue: 0:00:01.00,0:00:02.50,Ann,Hi{\\i1}!\n'), ctx);
 * // [{ index: 1, start: 1, end: 2.5, text: 'Hi!', speaker: 'Ann' }]
 */
export function parseAss(lines: readonly Line[], ctx: ParseContext): Cue[] {
  const cues: Cue[] = [];
  let section = '';
  let format = DEFAULT_FORMAT;
  const warn = (line: Line, message: string): void => {
    ctx.warnings.push({ file: ctx.file, line: line.no, message });
  };
  for (const line of lines) {
    const t = line.text.trim();
    const header = /^\[(.+)\]$/.exec(t);
    if (header) {
      section = header[1].trim().toLowerCase();
      continue;
    }
    if (section !== 'events') continue;
    const colon = t.indexOf(':');
    if (colon === -1) continue;
    const kind = t.slice(0, colon).trim().toLowerCase();
    const rest = t.slice(colon + 1);
    if (kind === 'format') {
      format = rest.split(',').map((f) => f.trim().toLowerCase());
      if (!format.includes('text') || !format.includes('start') || !format.includes('end')) {
        warn(line, 'the [Events] Format line lacks Start, End or Text; using the standard ASS field order');
        format = DEFAULT_FORMAT;
      }
      continue;
    }
    if (kind !== 'dialogue') continue;
    // Only Text may contain commas (it is the last field in every real script, but any order is read).
    const parts = rest.split(',');
    if (parts.length < format.length) {
      warn(line, `Dialogue line has ${parts.length} of the ${format.length} fields its Format line names; cue skipped`);
      continue;
    }
    const textAt = format.indexOf('text');
    const extra = parts.length - format.length;
    const fields = [...parts.slice(0, textAt), parts.slice(textAt, textAt + extra + 1).join(','), ...parts.slice(textAt + extra + 1)];
    const field = (name: string): string | undefined => {
      const at = format.indexOf(name);
      return at === -1 ? undefined : fields[at];
    };
    const start = assTime(field('start') ?? '');
    const end = assTime(field('end') ?? '');
    if (start === null || end === null) {
      warn(line, `malformed time "${start === null ? field('start') : field('end')}" (expected H:MM:SS.cc); cue skipped`);
      continue;
    }
    if (end < start) {
      warn(line, `cue ends (${end} s) before it starts (${start} s); cue skipped`);
      continue;
    }
    const { text } = sanitizeCueText(assPlainText(field('text') ?? ''), 'text');
    // Nothing to read: Aegisub's default blank line, a vector drawing, a positioning helper.
    if (text === '') continue;
    const speaker = sanitizeCueText(field('name') ?? field('actor') ?? '', 'text').text.replace(/\n/g, ' ');
    cues.push({ index: cues.length + 1, start, end, text, ...(speaker === '' ? {} : { speaker }) });
  }
  return cues;
}
