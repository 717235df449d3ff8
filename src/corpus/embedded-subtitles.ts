/**
 * Subtitles inside the video (an MKV's SRT/ASS track, an MP4's mov_text), for a corpus video that
 * has no sidecar: the preferred language's stream when there is one, else the first text stream,
 * extracted by the ffmpeg driver into the corpus's bookkeeping, so the job aligns against a file
 * like any other and align's output folder holds only what align wrote.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { InputFileError, NoSubtitleStreamError, SubtitleStreamNotFoundError } from '../core/errors/index.js';
import {
  extractSubtitleStream,
  listSubtitleStreams,
  selectSubtitleStream,
  subtitleStreamExtension,
  type FfmpegBinaries,
  type SubtitleStreamInfo,
} from '../core/ffmpeg/index.js';

/** The stream to use: `lang`'s when the video has one (a preference, not a requirement), else the first text stream. */
function preferred(video: string, streams: readonly SubtitleStreamInfo[], lang: string | null): SubtitleStreamInfo {
  if (lang !== null) {
    try {
      return selectSubtitleStream(video, streams, lang);
    } catch (err) {
      if (!(err instanceof SubtitleStreamNotFoundError)) throw err;
    }
  }
  return selectSubtitleStream(video, streams);
}

/**
 * Picks the embedded text subtitle stream (the `lang` one when there is one, else the first) and
 * writes it into `dir` as `subtitles.<ext>`. Throws an {@link InputFileError} when the video has
 * none, or only bitmap subtitles (PGS, VobSub: they need OCR).
 *
 * @example
 * const srt = await extractEmbeddedSubtitles('talk.mkv', 'out/.mmalign/subtitles/talk-1a2b', 'en', binaries);
 */
export async function extractEmbeddedSubtitles(video: string, dir: string, lang: string | null, binaries: FfmpegBinaries): Promise<string> {
  const streams = await listSubtitleStreams(video, binaries);
  let chosen: SubtitleStreamInfo;
  try {
    chosen = preferred(video, streams, lang);
  } catch (err) {
    if (err instanceof NoSubtitleStreamError) {
      throw new InputFileError(
        video,
        'has no sidecar subtitles (same name, .srt/.vtt/.ass...) and no embedded subtitle stream; add a subtitle file next to it or list it in a manifest',
      );
    }
    throw err;
  }
  await mkdir(dir, { recursive: true });
  return extractSubtitleStream(video, chosen, path.join(dir, `subtitles.${subtitleStreamExtension(chosen)}`), binaries);
}
