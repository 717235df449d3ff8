/**
 * Stage 2, subtitles: the cues, numbered uniquely and shifted onto the video's timeline, read from
 * the subtitle file, or with none from the video's own subtitle stream, which is extracted into a
 * temp folder of this run (never into DIR, which holds only what align writes there) and kept for
 * export as `embedded-subtitles.<ext>`.
 */
import { readFile } from 'node:fs/promises';
import { readSubtitleFile } from '../../../alignment/index.js';
import { SubtitleParseError, SubtitlesOutsideVideoError } from '../../core/errors/index.js';
import { subtitleStreamExtension, subtitleStreamLabel, withSubtitleStream, type SubtitleStreamInfo } from '../../core/ffmpeg/index.js';
import type { Cue } from '../../core/types.js';
import type { StageContext } from '../types.js';

/** Where the cues came from. */
export interface SubtitleSource {
  /** What run.json and messages call it: the file's path, or `VIDEO#stream=N` for a stream inside the video. */
  label: string;
  /** The embedded stream used, or null for a subtitle file. */
  stream: SubtitleStreamInfo | null;
  /** For a stream: the extracted file's name in DIR (`embedded-subtitles.srt`) and its bytes; null for a file. */
  copy: { name: string; data: Uint8Array } | null;
}

/** The name of the copy of an extracted subtitle stream in DIR, by extension. */
export const EMBEDDED_SUBTITLE_NAMES: readonly string[] = Object.freeze(['embedded-subtitles.srt', 'embedded-subtitles.ass', 'embedded-subtitles.vtt']);

export interface SubtitlesInput {
  /** The video (absolute): its subtitle stream is used when `subtitles` is null. */
  video: string;
  /** Absolute path of the subtitle file, or null: the video's own subtitle stream. */
  subtitles: string | null;
  /** With `subtitles` null: the stream by number or language (default: the first text stream not forced). */
  subtitleStream?: number | string;
  /** Seconds added to every cue time. */
  offset: number;
  /** The video's duration in seconds: cues outside it cannot be paired. */
  duration: number;
  /** The video's frame rate, which times a MicroDVD file without a `{1}{1}FPS` line; null when the container does not say. */
  fps: number | null;
}

export interface SubtitlesOutput {
  /** Every cue, shifted by the offset, in file order. */
  cues: Cue[];
  source: SubtitleSource;
}

/**
 * Reads the subtitles. A file (or stream) without cues, or whose cues all lie outside the video,
 * fails here, before any audio is decoded for sync: such a file belongs to another video.
 *
 * @example
 * const { cues, source } = await subtitlesStage({ video: '/data/talk.mp4', subtitles: '/data/talk.srt', offset: 0, duration: 600, fps: 25 }, ctx);
 */
export async function subtitlesStage(
  { video, subtitles, subtitleStream, offset, duration, fps }: SubtitlesInput,
  ctx: StageContext,
): Promise<SubtitlesOutput> {
  // MicroDVD counts frames: of this video, unless the file names its own rate.
  const readOptions = fps !== null && fps > 0 && fps <= 1000 ? { fps } : {};
  let doc: Awaited<ReturnType<typeof readSubtitleFile>>;
  let source: SubtitleSource;
  if (subtitles !== null) {
    doc = await readSubtitleFile(subtitles, readOptions);
    source = { label: subtitles, stream: null, copy: null };
  } else {
    let stream: SubtitleStreamInfo | undefined;
    try {
      ({ doc, source } = await withSubtitleStream(
        video,
        subtitleStream,
        async (file, chosen) => {
          stream = chosen;
          const label = subtitleStreamLabel(video, chosen.number);
          const read = await readSubtitleFile(file, readOptions);
          // Messages name the stream, not a temp file that is gone when the user reads them.
          const named = { ...read, warnings: read.warnings.map((w) => (w.file === file ? { ...w, file: label } : w)) };
          const copy = { name: `embedded-subtitles.${subtitleStreamExtension(chosen)}`, data: await readFile(file) };
          return { doc: named, source: { label, stream: chosen, copy } satisfies SubtitleSource };
        },
        ctx.binaries,
        ctx.signal,
      ));
    } catch (err) {
      const label = stream ? subtitleStreamLabel(video, stream.number) : video;
      if (err instanceof SubtitleParseError && err.file !== label) throw new SubtitleParseError(label, err.line, err.reason);
      throw err;
    }
    const used = source.stream!;
    ctx.log(`subtitles: stream #${used.number} (${used.codec}${used.language ? `, ${used.language}` : ''}) of ${video}`);
  }
  const file = source.label;
  // One by one: a spread of a file's warnings into push() overflows the call stack past ~100k of them.
  for (const w of doc.warnings) ctx.warnings.push(w);
  if (doc.cues.length === 0) throw new SubtitleParseError(file, null, 'has no cues; nothing to align');
  // Everything downstream (vector ids, the train/dev split, pairs' cue_index) keys on the cue number,
  // so it must be unique; files that repeat or restart numbers would otherwise lose all but one cue per number.
  const seenIndex = new Set<number>();
  const repeated = doc.cues.find((c) => seenIndex.size === seenIndex.add(c.index).size);
  if (repeated) {
    ctx.warnings.push({ file, message: `cue numbers repeat (e.g. ${repeated.index}); cues are numbered by their position in the file` });
  }
  // The rest of the pipeline works on the video's timeline: shift once here.
  const cues = doc.cues.map((c, i) => ({ ...c, index: repeated ? i + 1 : c.index, start: c.start + offset, end: c.end + offset }));
  if (!cues.some((c) => c.end > 0 && c.start < duration)) {
    // A loop, not Math.min(...): spreading 250k cues into arguments overflows the call stack.
    let first = Infinity;
    let last = -Infinity;
    for (const c of cues) {
      if (c.start < first) first = c.start;
      if (c.end > last) last = c.end;
    }
    throw new SubtitlesOutsideVideoError(file, duration, first, last);
  }
  return { cues, source };
}

/**
 * The cues that overlap the video (0–duration), with a warning for those that do not; called once
 * the cue times are final (after sync).
 *
 * @example
 * const inside = cuesInside(cues, 600, '/data/talk.srt', ctx);
 */
export function cuesInside(cues: readonly Cue[], duration: number, subtitles: string, ctx: StageContext): Cue[] {
  const inside = cues.filter((c) => c.end > 0 && c.start < duration);
  if (inside.length < cues.length) {
    ctx.warnings.push({ file: subtitles, message: `${cues.length - inside.length} cue(s) lie outside the video (0–${duration.toFixed(3)} s) and cannot be paired` });
  }
  return inside;
}
