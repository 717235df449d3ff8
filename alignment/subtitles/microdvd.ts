import { SubtitleParseError, type Cue } from './core.js';
import { sanitizeCueText } from './text.js';
import { SUBTITLE_DEFAULTS, type Line, type ParseContext } from './types.js';

/**
 * MicroDVD `.sub`: `{start}{end}text`, times in frame numbers, `|` between lines, `{y:i}`-style control
 * codes. The frame rate comes from a `{1}{1}23.976` first cue (the file's own statement of the rate it was
 * timed for, so it wins over an `fps` option, with a warning when they differ), else from the `fps`
 * option; without either the file cannot be timed and is refused, saying to pass `--fps`. An empty end
 * frame (`{100}{}`) ends the cue at the next cue's start, at most {@link SUBTITLE_DEFAULTS}.openEndSeconds later.
 */

const CUE_LINE = /^\s*\{(\d+)\}\{(\d*)\}(.*)$/;

/** True when the line is a MicroDVD cue line (used by format detection). */
export function isMicroDvdLine(text: string): boolean {
  return CUE_LINE.test(text);
}

/**
 * Reads MicroDVD lines into cues.
 *
 * @example
 * parseMicroDvd(splitLines('{1}{1}25\n{25}{50}Hello|world\n'), ctx); // [{ index: 1, start: 1, end: 2, text: 'Hello\nworld' }]
 */
export function parseMicroDvd(lines: readonly Line[], ctx: ParseContext): Cue[] {
  const raw: { line: Line; start: number; end: number | null; text: string }[] = [];
  let headerFps: number | undefined;
  for (const line of lines) {
    if (line.text.trim() === '') continue;
    const m = CUE_LINE.exec(line.text);
    if (!m) {
      ctx.warnings.push({ file: ctx.file, line: line.no, message: 'not a MicroDVD "{start}{end}text" line; skipped' });
      continue;
    }
    const start = Number(m[1]);
    const end = m[2] === '' ? null : Number(m[2]);
    if (raw.length === 0 && headerFps === undefined && start <= 1 && end !== null && end <= 1 && /^\s*\d+(?:[.,]\d+)?\s*$/.test(m[3])) {
      headerFps = Number(m[3].trim().replace(',', '.'));
      continue;
    }
    raw.push({ line, start, end, text: m[3] });
  }
  const fps = headerFps !== undefined && headerFps > 0 ? headerFps : ctx.fps;
  if (fps === undefined || !(fps > 0) || !Number.isFinite(fps)) {
    throw new SubtitleParseError(
      ctx.file,
      null,
      'MicroDVD times are frame numbers and the file does not give its frame rate ({1}{1}FPS first line); pass the frame rate of the video it was made for, e.g. --fps 23.976 (API: { fps: 23.976 })',
    );
  }
  if (headerFps !== undefined && ctx.fps !== undefined && Math.abs(ctx.fps - headerFps) > 1e-6) {
    ctx.warnings.push({ file: ctx.file, line: 1, message: `the file says it was timed at ${headerFps} fps; that rate is used, not the ${ctx.fps} fps asked for` });
  }
  const seconds = (frame: number): number => Math.round((frame / fps) * 1000) / 1000;
  const cues: Cue[] = [];
  raw.forEach((c, k) => {
    const start = seconds(c.start);
    let end: number;
    if (c.end === null) {
      const next = raw[k + 1];
      end = Math.min(next ? seconds(next.start) : Infinity, start + SUBTITLE_DEFAULTS.openEndSeconds);
    } else end = seconds(c.end);
    if (end < start) {
      ctx.warnings.push({ file: ctx.file, line: c.line.no, message: `cue ends (frame ${c.end}) before it starts (frame ${c.start}); cue skipped` });
      return;
    }
    // Control codes ({y:i}, {c:$0000FF}, {Y:b,u}) style the text; '|' separates lines.
    const text = sanitizeCueText(c.text.replace(/\{[A-Za-z]:[^}]*\}/g, '').replace(/\|/g, '\n'), 'html').text;
    cues.push({ index: cues.length + 1, start, end, text });
  });
  return cues;
}
