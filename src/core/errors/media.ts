/** ffmpeg: finding it and what it says about a media file. */
import { MmalignError } from './base.js';
import { InputFileError } from './input.js';

/** ffmpeg could not be found anywhere mmalign looks for it. */
export class FfmpegNotFoundError extends MmalignError {
  readonly tool: 'ffmpeg';
  /** Every place that was tried, in order. */
  readonly tried: readonly string[];
  constructor(tool: 'ffmpeg', tried: readonly string[]) {
    super(
      `${tool} not found (tried: ${tried.join('; ')}). Reinstall mmalign's dependencies (npm ci), install ffmpeg ` +
        '(e.g. `apt-get install ffmpeg`), or set FFMPEG_PATH to the binary.',
      { code: 'FFMPEG_NOT_FOUND' },
    );
    this.tool = tool;
    this.tried = tried;
  }
}

/** A media file ffmpeg cannot use: not a video at all, truncated, or corrupt. */
export class MediaDecodeError extends InputFileError {
  /** The first lines ffmpeg printed about the problem. */
  readonly detail: string;
  constructor(file: string, reason: string, detail: string, cause?: unknown) {
    super(file, detail ? `${reason} (ffmpeg: ${detail})` : reason, cause);
    this.detail = detail;
  }
}

/** A media file that ffmpeg reads but that has no video stream (e.g. an audio-only file). */
export class NoVideoStreamError extends InputFileError {
  /** The stream types the file does have, e.g. `['audio']`. */
  readonly streams: readonly string[];
  constructor(file: string, streams: readonly string[]) {
    super(
      file,
      `has no video stream (streams: ${streams.length ? streams.join(', ') : 'none'}); pass the video file, not its audio track`,
    );
    this.streams = streams;
  }
}

/** A subtitle stream as the errors below name it: its position among the subtitle streams and its codec. */
export interface SubtitleStreamRef {
  /** 0 = the file's first subtitle stream (what `--subtitle-stream N` counts). */
  number: number;
  codec: string;
  language: string | null;
}

function describeStreams(streams: readonly SubtitleStreamRef[]): string {
  return streams.map((s) => `#${s.number} ${s.codec}${s.language ? ` (${s.language})` : ''}`).join(', ');
}

/** A video with no subtitle stream inside, asked for its embedded subtitles. */
export class NoSubtitleStreamError extends InputFileError {
  constructor(file: string) {
    super(file, 'has no subtitle stream inside it; pass a subtitle file as well (mmalign align VIDEO SUBS)');
  }
}

/**
 * Subtitle streams that are pictures of the text (PGS, VobSub, DVB, XSUB): reading them needs OCR,
 * which mmalign does not do.
 */
export class BitmapSubtitlesError extends InputFileError {
  /** The bitmap streams in question. */
  readonly streams: readonly SubtitleStreamRef[];
  constructor(file: string, streams: readonly SubtitleStreamRef[], { only }: { only: boolean }) {
    super(
      file,
      `${only ? 'has only bitmap subtitle streams' : 'subtitle stream'} ${describeStreams(streams)}: ` +
        `${streams.length > 1 ? 'they are pictures' : 'it is a picture'} of the text, and reading ${streams.length > 1 ? 'them' : 'it'} needs OCR, which mmalign does not do. ` +
        'Convert it to SRT with an OCR tool (e.g. Subtitle Edit) and pass the .srt file, or choose a text stream (mmalign subtitles VIDEO --list)',
    );
    this.streams = streams;
  }
}

/** A subtitle stream asked for (by number, language or title) that the file does not have. */
export class SubtitleStreamNotFoundError extends InputFileError {
  readonly selector: string;
  /** The subtitle streams the file does have. */
  readonly available: readonly SubtitleStreamRef[];
  constructor(file: string, selector: string, available: readonly SubtitleStreamRef[]) {
    super(
      file,
      `has no subtitle stream ${/^\d+$/.test(selector) ? `#${selector}` : `in language or titled "${selector}"`} ` +
        `(it has ${available.length ? describeStreams(available) : 'none'}); pass one of those numbers or languages to --subtitle-stream`,
    );
    this.selector = selector;
    this.available = available;
  }
}
