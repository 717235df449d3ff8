/**
 * Subtitle streams inside a video (an MKV's SRT/ASS/WebVTT track, an MP4's mov_text): listing them
 * from ffmpeg's input dump (no ffprobe), choosing one by number or language, and extracting a text
 * stream to a file with ffmpeg. Bitmap streams (PGS, VobSub, DVB, XSUB) are pictures of the text; they are listed, and
 * choosing one is a {@link BitmapSubtitlesError} that says OCR is needed.
 */
import { BitmapSubtitlesError, InputFileError, MediaDecodeError, NoSubtitleStreamError, SubtitleStreamNotFoundError } from '../errors/index.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { withAtomicFile } from '../fs.js';
import { sameLanguage } from '../languages.js';
import { defaultBinaries, type FfmpegBinaries } from './binaries.js';
import type { DumpStream } from './dump.js';
import { readInputDump } from './probe.js';
import { damageDetail, runFfmpeg } from './run.js';

/** `text`: ffmpeg writes it as a subtitle file; `bitmap`: needs OCR; `other`: neither (teletext, closed captions). */
export type SubtitleStreamKind = 'text' | 'bitmap' | 'other';

export interface SubtitleStreamInfo {
  /** Position among the file's subtitle streams, 0 first: what `--subtitle-stream N` and ffmpeg's `-map 0:s:N` count. */
  number: number;
  /** Index among all the container's streams (`Stream #0:N` in ffmpeg's dump; `-map 0:N`). */
  index: number;
  /** ffmpeg's codec name: `subrip`, `ass`, `webvtt`, `mov_text`, `hdmv_pgs_subtitle`, ... */
  codec: string;
  kind: SubtitleStreamKind;
  /** The stream's language tag as the file writes it (`eng`, `fre`), or null. */
  language: string | null;
  title: string | null;
  default: boolean;
  forced: boolean;
}

/**
 * Text codecs, and how each is written out: copied as it is (SRT, ASS keep their markup and ASS its
 * actors) or converted to SRT by ffmpeg (mov_text and the rarer text formats).
 */
export const TEXT_SUBTITLE_CODECS: Readonly<Record<string, { ext: 'srt' | 'ass' | 'vtt'; muxer: string; copy: boolean }>> = Object.freeze({
  subrip: { ext: 'srt', muxer: 'srt', copy: true },
  srt: { ext: 'srt', muxer: 'srt', copy: true },
  ass: { ext: 'ass', muxer: 'ass', copy: true },
  ssa: { ext: 'ass', muxer: 'ass', copy: true },
  webvtt: { ext: 'vtt', muxer: 'webvtt', copy: true },
  mov_text: { ext: 'srt', muxer: 'srt', copy: false },
  text: { ext: 'srt', muxer: 'srt', copy: false },
  microdvd: { ext: 'srt', muxer: 'srt', copy: false },
  mpl2: { ext: 'srt', muxer: 'srt', copy: false },
  subviewer: { ext: 'srt', muxer: 'srt', copy: false },
  subviewer1: { ext: 'srt', muxer: 'srt', copy: false },
  sami: { ext: 'srt', muxer: 'srt', copy: false },
  realtext: { ext: 'srt', muxer: 'srt', copy: false },
  stl: { ext: 'srt', muxer: 'srt', copy: false },
  pjs: { ext: 'srt', muxer: 'srt', copy: false },
  vplayer: { ext: 'srt', muxer: 'srt', copy: false },
  jacosub: { ext: 'srt', muxer: 'srt', copy: false },
});

/** Codecs whose subtitles are pictures: Blu-ray PGS, DVD VobSub, DVB, DivX XSUB. */
export const BITMAP_SUBTITLE_CODECS: ReadonlySet<string> = new Set(['hdmv_pgs_subtitle', 'dvd_subtitle', 'dvb_subtitle', 'xsub']);

function kindOf(codec: string): SubtitleStreamKind {
  return Object.hasOwn(TEXT_SUBTITLE_CODECS, codec) ? 'text' : BITMAP_SUBTITLE_CODECS.has(codec) ? 'bitmap' : 'other';
}

/**
 * The subtitle streams among the streams of ffmpeg's input dump, numbered as `--subtitle-stream`
 * (and ffmpeg's `-map 0:s:N`) counts them.
 *
 * @example
 * subtitleStreamsFromDump([{ index: 2, type: 'subtitle', codec: 'subrip', language: 'eng', attachedPic: false, isDefault: true, forced: false }]);
 * // [{ number: 0, index: 2, codec: 'subrip', kind: 'text', language: 'eng', title: null, default: true, forced: false }]
 */
export function subtitleStreamsFromDump(streams: readonly DumpStream[]): SubtitleStreamInfo[] {
  return streams
    .filter((s) => s.type === 'subtitle')
    .map((s, number) => ({
      number,
      index: s.index,
      codec: s.codec || 'unknown',
      kind: kindOf(s.codec),
      language: s.language && s.language !== 'und' ? s.language : null,
      title: s.title || null,
      default: s.isDefault,
      forced: s.forced,
    }));
}

/**
 * Lists a video's subtitle streams (none: an empty list), from `ffmpeg -i`'s dump. Throws what
 * {@link readInputDump} throws for a missing or unreadable file.
 *
 * @example
 * const streams = await listSubtitleStreams('movie.mkv');
 * streams.map((s) => `${s.number}: ${s.language} ${s.codec}`); // ['0: eng subrip', '1: fre ass']
 */
export async function listSubtitleStreams(file: string, binaries: FfmpegBinaries = defaultBinaries(), signal?: AbortSignal): Promise<SubtitleStreamInfo[]> {
  return subtitleStreamsFromDump((await readInputDump(file, binaries, signal)).streams);
}

const ref = (s: SubtitleStreamInfo) => ({ number: s.number, codec: s.codec, language: s.language });

function requireText(file: string, s: SubtitleStreamInfo): SubtitleStreamInfo {
  if (s.kind === 'bitmap') throw new BitmapSubtitlesError(file, [ref(s)], { only: false });
  if (s.kind === 'other') {
    throw new InputFileError(file, `subtitle stream #${s.number} is ${s.codec}, which mmalign cannot read as text; choose a text stream (mmalign subtitles VIDEO --list) or pass a subtitle file`);
  }
  return s;
}

/**
 * Chooses the subtitle stream to align against. `selector`: a stream number (`2`, `"2"`), or a
 * language (`eng`, `en`, `fre`, `fr`: any ISO 639 form) or title; without one, the first text stream
 * that is not `forced` (forced streams carry only the foreign-language lines), else the first text
 * stream. Throws {@link NoSubtitleStreamError}, {@link SubtitleStreamNotFoundError}, or
 * {@link BitmapSubtitlesError} when the choice (or every stream) is a picture.
 *
 * @example
 * const s = selectSubtitleStream('movie.mkv', await listSubtitleStreams('movie.mkv'), 'fre');
 */
export function selectSubtitleStream(file: string, streams: readonly SubtitleStreamInfo[], selector?: number | string): SubtitleStreamInfo {
  if (streams.length === 0) throw new NoSubtitleStreamError(file);
  if (selector === undefined || selector === '') {
    const text = streams.filter((s) => s.kind === 'text');
    if (text.length === 0) {
      const bitmap = streams.filter((s) => s.kind === 'bitmap');
      if (bitmap.length > 0) throw new BitmapSubtitlesError(file, streams.map(ref), { only: true });
      return requireText(file, streams[0]);
    }
    return text.find((s) => !s.forced) ?? text[0];
  }
  const key = String(selector).trim();
  if (/^\d+$/.test(key)) {
    const s = streams.find((x) => x.number === Number(key));
    if (!s) throw new SubtitleStreamNotFoundError(file, key, streams.map(ref));
    return requireText(file, s);
  }
  const lower = key.toLowerCase();
  const matching = streams.filter((s) => (s.language !== null && sameLanguage(s.language, key)) || s.title?.toLowerCase() === lower);
  if (matching.length === 0) throw new SubtitleStreamNotFoundError(file, key, streams.map(ref));
  const text = matching.filter((s) => s.kind === 'text');
  return text.find((s) => !s.forced) ?? text[0] ?? requireText(file, matching[0]);
}

/**
 * How messages and run.json name a subtitle stream inside a video: `VIDEO#stream=N`, N counting the
 * video's subtitle streams from 0 as `--subtitle-stream` does.
 *
 * @example
 * subtitleStreamLabel('/films/movie.mkv', 1); // '/films/movie.mkv#stream=1'
 */
export function subtitleStreamLabel(video: string, number: number): string {
  return `${video}#stream=${number}`;
}

/** The extension a text stream is extracted with: `srt`, `ass` or `vtt`. */
export function subtitleStreamExtension(stream: SubtitleStreamInfo): 'srt' | 'ass' | 'vtt' {
  return TEXT_SUBTITLE_CODECS[stream.codec]?.ext ?? 'srt';
}

/**
 * Writes one text subtitle stream of `file` to `target` atomically (copied, or converted to SRT for
 * mov_text and other formats mmalign does not read natively); name `target` with
 * {@link subtitleStreamExtension}. A bitmap stream is a {@link BitmapSubtitlesError}.
 *
 * @example
 * const s = selectSubtitleStream('movie.mkv', await listSubtitleStreams('movie.mkv'));
 * await extractSubtitleStream('movie.mkv', s, `/tmp/movie.${subtitleStreamExtension(s)}`);
 */
export async function extractSubtitleStream(
  file: string,
  stream: SubtitleStreamInfo,
  target: string,
  binaries: FfmpegBinaries = defaultBinaries(),
  signal?: AbortSignal,
): Promise<string> {
  requireText(file, stream);
  const { muxer, copy } = TEXT_SUBTITLE_CODECS[stream.codec];
  await withAtomicFile(target, async (tmp) => {
    const run = await runFfmpeg(
      binaries.ffmpeg.path,
      ['-hide_banner', '-loglevel', 'level+error', '-nostdin', '-y', '-i', file, '-map', `0:${stream.index}`, '-c:s', copy ? 'copy' : 'srt', '-f', muxer, tmp],
      { signal },
    );
    if (run.code !== 0) {
      throw new MediaDecodeError(file, `its subtitle stream #${stream.number} (${stream.codec}) could not be extracted`, damageDetail(run.errors) || `ffmpeg exit ${run.code ?? run.signal}`);
    }
  });
  return target;
}

/**
 * Extracts the chosen subtitle stream of `file` (see {@link selectSubtitleStream} for `selector`)
 * into a temp folder of its own, hands the extracted file to `use`, and removes the folder whatever
 * `use` does: for callers that read the stream as a subtitle file and keep nothing on disk.
 *
 * @example
 * const cues = await withSubtitleStream('movie.mkv', 'fre', async (srt) => (await readSubtitleFile(srt)).cues);
 */
export async function withSubtitleStream<T>(
  file: string,
  selector: number | string | undefined,
  use: (extracted: string, stream: SubtitleStreamInfo) => Promise<T>,
  binaries: FfmpegBinaries = defaultBinaries(),
  signal?: AbortSignal,
): Promise<T> {
  const stream = selectSubtitleStream(file, await listSubtitleStreams(file, binaries, signal), selector);
  const dir = await mkdtemp(path.join(tmpdir(), 'mmalign-subtitles-'));
  try {
    const extracted = await extractSubtitleStream(file, stream, path.join(dir, `stream-${stream.number}.${subtitleStreamExtension(stream)}`), binaries, signal);
    return await use(extracted, stream);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
