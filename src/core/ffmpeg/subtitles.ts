/**
 * Subtitle streams inside a video (an MKV's SRT/ASS/WebVTT track, an MP4's mov_text): listing them
 * with ffprobe, choosing one by number or language, and extracting a text stream to a file with
 * ffmpeg. Bitmap streams (PGS, VobSub, DVB, XSUB) are pictures of the text; they are listed, and
 * choosing one is a {@link BitmapSubtitlesError} that says OCR is needed.
 */
import {
  BitmapSubtitlesError,
  InputFileError,
  MediaDecodeError,
  NoSubtitleStreamError,
  SubtitleStreamNotFoundError,
} from '../errors/index.js';
import { withAtomicFile } from '../fs.js';
import { sameLanguage } from '../languages.js';
import { defaultBinaries, type FfmpegBinaries } from './binaries.js';
import { damageDetail, firstLines, runFfmpeg } from './run.js';

/** `text`: ffmpeg writes it as a subtitle file; `bitmap`: needs OCR; `other`: neither (teletext, closed captions). */
export type SubtitleStreamKind = 'text' | 'bitmap' | 'other';

export interface SubtitleStreamInfo {
  /** Position among the file's subtitle streams, 0 first: what `--subtitle-stream N` and ffmpeg's `-map 0:s:N` count. */
  number: number;
  /** Index among all the container's streams (ffprobe's `index`). */
  index: number;
  /** ffmpeg's codec name: `subrip`, `ass`, `webvtt`, `mov_text`, `hdmv_pgs_subtitle`, ... */
  codec: string;
  kind: SubtitleStreamKind;
  /** The stream's language tag as the file writes it (`eng`, `fre`), or null. */
  language: string | null;
  title: string | null;
  default: boolean;
  forced: boolean;
  hearingImpaired: boolean;
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

/** The part of ffprobe's `-show_streams` JSON this module reads. */
export interface ProbedSubtitleStream {
  index?: number;
  codec_type?: string;
  codec_name?: string;
  tags?: Record<string, string | undefined>;
  disposition?: Record<string, number | undefined>;
}

function kindOf(codec: string): SubtitleStreamKind {
  return Object.hasOwn(TEXT_SUBTITLE_CODECS, codec) ? 'text' : BITMAP_SUBTITLE_CODECS.has(codec) ? 'bitmap' : 'other';
}

/**
 * The subtitle streams of ffprobe's stream list, numbered as `--subtitle-stream` counts them.
 *
 * @example
 * subtitleStreamsFromProbe([{ index: 2, codec_type: 'subtitle', codec_name: 'subrip', tags: { language: 'eng' } }]);
 * // [{ number: 0, index: 2, codec: 'subrip', kind: 'text', language: 'eng', ... }]
 */
export function subtitleStreamsFromProbe(streams: readonly ProbedSubtitleStream[]): SubtitleStreamInfo[] {
  return streams
    .filter((s) => s.codec_type === undefined || s.codec_type === 'subtitle')
    .map((s, number) => {
      const codec = String(s.codec_name ?? 'unknown');
      const tag = (name: string) => {
        const v = s.tags?.[name] ?? s.tags?.[name.toUpperCase()];
        return v && v !== 'und' ? v : null;
      };
      return {
        number,
        index: Number(s.index ?? number),
        codec,
        kind: kindOf(codec),
        language: tag('language'),
        title: tag('title'),
        default: s.disposition?.default === 1,
        forced: s.disposition?.forced === 1,
        hearingImpaired: s.disposition?.hearing_impaired === 1,
      };
    });
}

/**
 * Lists a video's subtitle streams (none: an empty list).
 *
 * @example
 * const streams = await listSubtitleStreams('movie.mkv');
 * streams.map((s) => `${s.number}: ${s.language} ${s.codec}`); // ['0: eng subrip', '1: fre ass']
 */
export async function listSubtitleStreams(file: string, binaries: FfmpegBinaries = defaultBinaries(), signal?: AbortSignal): Promise<SubtitleStreamInfo[]> {
  const chunks: Buffer[] = [];
  const args = ['-hide_banner', '-loglevel', 'level+error', '-select_streams', 's', '-show_streams', '-print_format', 'json', file];
  const run = await runFfmpeg(binaries.ffprobe.path, args, { onStdout: (c) => chunks.push(c), signal });
  if (run.code !== 0 || run.signal) {
    throw new MediaDecodeError(file, 'is not a media file ffprobe can list the streams of', firstLines(run.errors.join('\n')) || `exit ${run.code ?? run.signal}`);
  }
  let parsed: { streams?: ProbedSubtitleStream[] };
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { streams?: ProbedSubtitleStream[] };
  } catch (err) {
    throw new MediaDecodeError(file, 'could not be listed', 'ffprobe did not print JSON', err);
  }
  return subtitleStreamsFromProbe(parsed.streams ?? []);
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
