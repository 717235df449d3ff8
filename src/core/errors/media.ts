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
