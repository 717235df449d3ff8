import path from 'node:path';
import { InvalidOptionError, writeFileAtomic, type Cue } from './core.js';
import { escapeMarkupLike } from './text.js';
import { WRITABLE_SUBTITLE_FORMATS, type WritableSubtitleFormat } from './types.js';

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
  let s = escapeAll
    ? text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    : escapeMarkupLike(text.replace(/&(?=#?\w+;)/g, '&amp;'));
  s = s.replace(/\{\\/g, '&#123;\\').replace(/-->/g, '--&gt;');
  return s
    .split(/\r\n|\r|\n/)
    .filter((l) => l.trim() !== '')
    .join('\n');
}

/**
 * Formats cues as SRT (numbered 1..n in the given order, `HH:MM:SS,mmm`). SRT has no speaker syntax, so
 * `speaker` is not written.
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
 * Formats cues as WebVTT (header, `HH:MM:SS.mmm`, text escaped as the spec requires, `speaker` as a `<v>` tag).
 *
 * @example
 * formatVtt([{ index: 1, start: 1, end: 2.5, text: 'Tom & Jerry', speaker: 'Ann' }]);
 * // 'WEBVTT\n\n00:00:01.000 --> 00:00:02.500\n<v Ann>Tom &amp; Jerry\n'
 */
export function formatVtt(cues: readonly Cue[]): string {
  const body = cues.map((cue, i) => {
    checkCue(cue, i);
    let text = payload(cue.text, true);
    if (cue.speaker !== undefined && cue.speaker.trim() !== '') {
      const who = cue.speaker.replace(/\s+/g, ' ').trim().replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
      text = `<v ${who}>${text}`;
    }
    return `${formatTime(cue.start, '.')} --> ${formatTime(cue.end, '.')}\n${text}${text === '' ? '' : '\n'}`;
  });
  return ['WEBVTT\n', ...body].join('\n');
}

/**
 * Formats cues in a writable format.
 *
 * @example
 * formatSubtitles(cues, 'vtt');
 */
export function formatSubtitles(cues: readonly Cue[], format: WritableSubtitleFormat): string {
  switch (format) {
    case 'srt':
      return formatSrt(cues);
    case 'vtt':
      return formatVtt(cues);
    default:
      throw new InvalidOptionError('format', format satisfies never, `one of ${WRITABLE_SUBTITLE_FORMATS.join(', ')} (mmalign writes SRT and WebVTT)`);
  }
}

/**
 * The writable format a file name implies, or `undefined` for other extensions.
 *
 * @example
 * subtitleFormatFromPath('out/movie.vtt'); // 'vtt'
 */
export function subtitleFormatFromPath(file: string): WritableSubtitleFormat | undefined {
  const ext = path.extname(file).toLowerCase().slice(1);
  return (WRITABLE_SUBTITLE_FORMATS as readonly string[]).includes(ext) ? (ext as WritableSubtitleFormat) : undefined;
}

/**
 * Writes cues to a file atomically (src/core/fs.ts: temp file, fsync, rename), so a crash or a bad
 * cue never leaves a half-written file. The format defaults to the file's extension.
 *
 * @example
 * await writeSubtitleFile('out/movie.vtt', doc.cues);
 */
export async function writeSubtitleFile(file: string, cues: readonly Cue[], format?: WritableSubtitleFormat): Promise<void> {
  const fmt = format ?? subtitleFormatFromPath(file);
  if (fmt === undefined) throw new InvalidOptionError('format', format, `'srt' or 'vtt' (or a file name ending in .srt or .vtt, not "${path.basename(file)}")`);
  const text = formatSubtitles(cues, fmt); // validates every cue before anything touches the disk
  await writeFileAtomic(file, text);
}
