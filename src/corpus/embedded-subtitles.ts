/**
 * Subtitles inside the video (an MKV's SRT/ASS track, an MP4's mov_text): picked by language and
 * written next to the video's align output, so the job aligns against a file like any other.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { InputFileError } from '../core/errors/index.js';
import { readInputDump, runFfmpeg, type FfmpegBinaries } from '../core/ffmpeg/index.js';
import { withAtomicFile } from '../core/fs.js';

/** Text subtitle codecs ffmpeg can write as a file, and the extension each keeps its markup in. */
const TEXT_CODECS: Readonly<Record<string, { ext: string; muxer: string; copy: boolean }>> = Object.freeze({
  subrip: { ext: 'srt', muxer: 'srt', copy: true },
  srt: { ext: 'srt', muxer: 'srt', copy: true },
  ass: { ext: 'ass', muxer: 'ass', copy: true },
  ssa: { ext: 'ass', muxer: 'ass', copy: true },
  webvtt: { ext: 'vtt', muxer: 'webvtt', copy: true },
  mov_text: { ext: 'srt', muxer: 'srt', copy: false },
  text: { ext: 'srt', muxer: 'srt', copy: false },
});

export interface SubtitleStream {
  /** Stream index in the container. */
  index: number;
  codec: string;
  language: string | null;
}

/** The subtitle streams of a video, from ffmpeg's input dump. */
export async function subtitleStreams(video: string, binaries: FfmpegBinaries): Promise<SubtitleStream[]> {
  const dump = await readInputDump(video, binaries);
  return dump.streams.filter((s) => s.type === 'subtitle').map((s) => ({ index: s.index, codec: s.codec, language: s.language ?? null }));
}

/**
 * Picks the embedded text subtitle stream (the `lang` one when there is one, else the first) and
 * writes it into `dir` as `subtitles.<ext>`. Throws {@link InputFileError} when the video has none,
 * or only bitmap subtitles (DVD/PGS, which would need OCR).
 *
 * @example
 * const srt = await extractEmbeddedSubtitles('talk.mkv', 'out/.mmalign/subtitles/talk-1a2b', 'en', binaries);
 */
export async function extractEmbeddedSubtitles(video: string, dir: string, lang: string | null, binaries: FfmpegBinaries): Promise<string> {
  const streams = await subtitleStreams(video, binaries);
  const text = streams.filter((s) => Object.hasOwn(TEXT_CODECS, s.codec));
  if (text.length === 0) {
    throw new InputFileError(
      video,
      streams.length === 0
        ? 'has no sidecar subtitles (same name, .srt/.vtt/.ass...) and no embedded subtitle stream; add a subtitle file next to it or list it in a manifest'
        : `has only bitmap subtitles (${streams.map((s) => s.codec).join(', ')}), which need OCR; add a text subtitle file next to it`,
    );
  }
  const wanted = lang?.toLowerCase() ?? null;
  const chosen = text.find((s) => wanted !== null && s.language?.toLowerCase().startsWith(wanted)) ?? text[0];
  const { ext, muxer, copy } = TEXT_CODECS[chosen.codec];
  await mkdir(dir, { recursive: true });
  const target = path.join(dir, `subtitles.${ext}`);
  await withAtomicFile(target, async (tmp) => {
    const run = await runFfmpeg(binaries.ffmpeg.path, [
      '-hide_banner', '-loglevel', 'level+error', '-nostdin', '-y', '-i', video, '-map', `0:${chosen.index}`, '-c:s', copy ? 'copy' : 'srt', '-f', muxer, tmp,
    ]);
    if (run.code !== 0) {
      throw new InputFileError(video, `its subtitle stream ${chosen.index} (${chosen.codec}) cannot be extracted: ${run.errors.join('; ') || `ffmpeg exit ${run.code ?? run.signal}`}`);
    }
  });
  return target;
}
