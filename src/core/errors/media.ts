/** ffmpeg / ffprobe: finding them and what they say about a media file. */
import { MmalignError } from './base.js';
import { InputFileError } from './input.js';

/** ffmpeg or ffprobe could not be found anywhere mmalign looks for it. */
export class FfmpegNotFoundError extends MmalignError {
  readonly tool: 'ffmpeg' | 'ffprobe';
  /** Every place that was tried, in order. */
  readonly tried: readonly string[];
  constructor(tool: 'ffmpeg' | 'ffprobe', tried: readonly string[]) {
    super(
      `${tool} not found (tried: ${tried.join('; ')}). Install it (e.g. \`apt-get install ffmpeg\`), ` +
        `or set ${tool === 'ffmpeg' ? 'FFMPEG_PATH' : 'FFPROBE_PATH'} to the binary.`,
      { code: 'FFMPEG_NOT_FOUND' },
    );
    this.tool = tool;
    this.tried = tried;
  }
}

/** A media file ffmpeg cannot use: not a video at all, truncated, or corrupt. */
export class MediaDecodeError extends InputFileError {
  /** The first lines ffmpeg/ffprobe printed about the problem. */
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
