/** Stage 2, subtitles: the cues, numbered uniquely and shifted onto the video's timeline. */
import { readSubtitleFile } from '../../../alignment/index.js';
import { SubtitleParseError, SubtitlesOutsideVideoError } from '../../core/errors/index.js';
import type { Cue } from '../../core/types.js';
import type { StageContext } from '../types.js';

export interface SubtitlesInput {
  /** Absolute path of the subtitle file. */
  subtitles: string;
  /** Seconds added to every cue time. */
  offset: number;
  /** The video's duration in seconds: cues outside it cannot be paired. */
  duration: number;
}

export interface SubtitlesOutput {
  /** Every cue, shifted by the offset, in file order. */
  cues: Cue[];
  /** The cues that overlap the video (0–duration). */
  inside: Cue[];
}

/**
 * Reads the subtitles. A file without cues, or whose cues all lie outside the video, fails here.
 *
 * @example
 * const { cues, inside } = await subtitlesStage({ subtitles: '/data/talk.srt', offset: 0, duration: 600 }, ctx);
 */
export async function subtitlesStage({ subtitles, offset, duration }: SubtitlesInput, ctx: StageContext): Promise<SubtitlesOutput> {
  const doc = await readSubtitleFile(subtitles);
  // One by one: a spread of a file's warnings into push() overflows the call stack past ~100k of them.
  for (const w of doc.warnings) ctx.warnings.push(w);
  if (doc.cues.length === 0) throw new SubtitleParseError(subtitles, null, 'has no cues; nothing to align');
  // Everything downstream (vector ids, the train/dev split, pairs' cue_index) keys on the cue number,
  // so it must be unique; files that repeat or restart numbers would otherwise lose all but one cue per number.
  const seenIndex = new Set<number>();
  const repeated = doc.cues.find((c) => seenIndex.size === seenIndex.add(c.index).size);
  if (repeated) {
    ctx.warnings.push({ file: subtitles, message: `cue numbers repeat (e.g. ${repeated.index}); cues are numbered by their position in the file` });
  }
  // The rest of the pipeline works on the video's timeline: shift once here.
  const cues = doc.cues.map((c, i) => ({ ...c, index: repeated ? i + 1 : c.index, start: c.start + offset, end: c.end + offset }));
  const inside = cues.filter((c) => c.end > 0 && c.start < duration);
  if (inside.length === 0) {
    // A loop, not Math.min(...): spreading 250k cues into arguments overflows the call stack.
    let first = Infinity;
    let last = -Infinity;
    for (const c of cues) {
      if (c.start < first) first = c.start;
      if (c.end > last) last = c.end;
    }
    throw new SubtitlesOutsideVideoError(subtitles, duration, first, last);
  }
  if (inside.length < cues.length) {
    ctx.warnings.push({ file: subtitles, message: `${cues.length - inside.length} cue(s) lie outside the video (0–${duration.toFixed(3)} s) and cannot be paired` });
  }
  return { cues, inside };
}
