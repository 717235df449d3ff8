/**
 * Probing a media file with ffmpeg itself: duration, start time, streams, and whether it is a real
 * video. No ffprobe is needed, so the one binary mmalign resolves is the one it probes with.
 */
import { statSync } from 'node:fs';
import { InputFileError, MediaDecodeError, NoVideoStreamError } from '../errors/index.js';
import { defaultBinaries, type FfmpegBinaries } from './binaries.js';
import { parseInputDump, type DumpStream, type InputDump } from './dump.js';
import { firstLines, runFfmpeg } from './run.js';

export interface VideoStreamInfo {
  codec: string;
  width: number;
  height: number;
  /** Nominal frame rate (the average rate, else the base rate), or null when the container does not say. */
  fps: number | null;
}

export interface AudioStreamInfo {
  codec: string;
  sampleRate: number;
  channels: number;
}

export interface MediaInfo {
  file: string;
  /** Seconds: the container's duration (to 10 ms), else where the last video (or audio) packet ends. */
  duration: number;
  /** Container start time in seconds; frame and audio times are relative to it (ffmpeg rebases to it). */
  startTime: number;
  /** Demuxer names, e.g. `mov,mp4,m4a,3gp,3g2,mj2`, `matroska,webm`, `mpegts`. */
  format: string;
  video: VideoStreamInfo | null;
  audio: AudioStreamInfo | null;
  /** Every stream's type, e.g. `['video', 'audio']`. */
  streams: string[];
}

// Image formats ffmpeg happily reads as a one-frame "video".
const STILL_IMAGE_FORMATS = /^(image2|.*_pipe|gif|webp)$/;

/** A crash is the tool's fault, not the file's: say which binary it was and how to use another. */
function crashed(file: string, binaries: FfmpegBinaries, signal: string): MediaDecodeError {
  return new MediaDecodeError(
    file,
    `could not be probed: ffmpeg (${binaries.ffmpeg.path}, from ${binaries.ffmpeg.source}) crashed with ${signal}. ` +
      'Install a current ffmpeg (Debian: apt-get install ffmpeg) or point FFMPEG_PATH at a working ffmpeg',
    '',
  );
}

/**
 * What ffmpeg says about a file's container and every stream in it (subtitle tracks with their
 * language, title and dispositions included): the ground {@link probeMedia} and the subtitle-stream
 * listing stand on. Throws {@link InputFileError} / {@link MediaDecodeError} as probeMedia does;
 * aborting `signal` kills ffmpeg and rejects with the abort's error.
 *
 * @example
 * const { streams } = await readInputDump('film.mkv');
 * streams.filter((s) => s.type === 'subtitle').map((s) => s.language);
 */
export async function readInputDump(file: string, binaries: FfmpegBinaries = defaultBinaries(), signal?: AbortSignal): Promise<InputDump> {
  let st;
  try {
    st = statSync(file);
  } catch (err) {
    throw new InputFileError(file, 'no such file; check the path', err);
  }
  if (!st.isFile()) throw new InputFileError(file, 'is not a regular file');
  if (st.size === 0) throw new MediaDecodeError(file, 'is empty (0 bytes), not a video', '');

  const unreadable = (detail: string, cause?: unknown) => new MediaDecodeError(file, 'is not a media file ffmpeg can read', detail, cause);
  let stderr = '';
  // Without an output ffmpeg prints the input dump and exits 1 ("At least one output file must be specified").
  const run = await runFfmpeg(binaries.ffmpeg.path, ['-hide_banner', '-nostdin', '-loglevel', 'level+info', '-i', file], {
    onLine: (line) => (stderr += line + '\n'),
    signal,
  }).catch((err: unknown) => {
    if (signal?.aborted) throw err; // the caller stopped it: not the file's fault
    throw unreadable(firstLines(err instanceof Error ? err.message : String(err)), err);
  });
  if (run.signal) throw crashed(file, binaries, run.signal);
  const dump = parseInputDump(stderr);
  if (!dump) throw unreadable(firstLines(run.errors.slice(-2).join('\n').replace(`${file}: `, '')));

  return dump;
}

/**
 * Probes a media file with `ffmpeg -i`. Throws {@link InputFileError} for a missing file and
 * {@link MediaDecodeError} for anything ffmpeg cannot open; does not require a video stream
 * (see {@link requireVideo}). A file without a container duration (an MKV written to a pipe) costs
 * one extra pass that copies its packets, to find where the last one ends.
 *
 * @example
 * const info = await probeMedia('talk.mp4');
 * console.log(info.duration, info.video?.fps, info.audio?.sampleRate);
 */
export async function probeMedia(file: string, binaries: FfmpegBinaries = defaultBinaries()): Promise<MediaInfo> {
  const dump = await readInputDump(file, binaries);
  const v = dump.streams.find((s) => s.type === 'video' && !s.attachedPic);
  const a = dump.streams.find((s) => s.type === 'audio');
  const startTime = dump.startTime ?? 0;
  let duration = dump.duration ?? 0;
  // A streamed file (e.g. MKV written to a pipe) has no container duration: use where the last
  // packet of the video (else the audio) ends, so such videos are not rejected as unplayable.
  if (!(duration > 0) && (v ?? a) && !STILL_IMAGE_FORMATS.test(dump.format)) {
    duration = (await lastPacketEnd(file, (v ?? a) as DumpStream, binaries)) ?? 0;
  }
  return {
    file,
    duration: Number.isFinite(duration) && duration > 0 ? duration : 0,
    startTime,
    format: dump.format,
    video: v ? { codec: v.codec, width: v.width ?? 0, height: v.height ?? 0, fps: v.fps ?? null } : null,
    audio: a ? { codec: a.codec, sampleRate: a.sampleRate ?? 0, channels: a.channels ?? 0 } : null,
    streams: dump.streams.map((s) => s.type),
  };
}

/**
 * Where one stream's last packet ends, in seconds from the container start, read by copying its
 * packets to ffmpeg's `framecrc` muxer (no decoding): each line is `stream, dts, pts, duration, ...`
 * in the time base its `#tb` header gives. Null when the stream has no timed packet.
 */
async function lastPacketEnd(file: string, stream: DumpStream, binaries: FfmpegBinaries): Promise<number | null> {
  let tb = 0;
  let end: number | null = null;
  let rest = '';
  const take = (line: string) => {
    const header = /^#tb 0: (\d+)\/(\d+)/.exec(line);
    if (header) tb = Number(header[1]) / Number(header[2]);
    if (line.startsWith('#') || !tb) return;
    const [, , pts, duration] = line.split(',').map((x) => Number(x.trim()));
    // AV_NOPTS_VALUE prints as -2^63: a packet without a time says nothing about the end.
    if (!Number.isFinite(pts) || pts < -1e15) return;
    const t = (pts + (Number.isFinite(duration) && duration > 0 ? duration : 0)) * tb;
    end = end === null ? t : Math.max(end, t);
  };
  const run = await runFfmpeg(
    binaries.ffmpeg.path,
    ['-hide_banner', '-nostdin', '-loglevel', 'level+error', '-i', file, '-map', `0:${stream.index}`, '-c', 'copy', '-f', 'framecrc', 'pipe:1'],
    {
      onStdout: (chunk) => {
        const lines = (rest + chunk.toString('latin1')).split('\n');
        rest = lines.pop() ?? '';
        lines.forEach(take);
      },
    },
  );
  if (run.signal) throw crashed(file, binaries, run.signal);
  take(rest);
  return run.code === 0 ? end : null;
}

/**
 * Narrows a probe result to a real video: a video stream, a duration, and not a still image.
 *
 * @example
 * const info = requireVideo(await probeMedia('talk.mp4'));
 */
export function requireVideo(info: MediaInfo): MediaInfo & { video: VideoStreamInfo } {
  if (!info.video) throw new NoVideoStreamError(info.file, info.streams);
  if (STILL_IMAGE_FORMATS.test(info.format)) {
    throw new MediaDecodeError(info.file, `is a still image (${info.format}), not a video`, '');
  }
  if (!(info.duration > 0)) throw new MediaDecodeError(info.file, 'has no duration; it is not a playable video', '');
  return info as MediaInfo & { video: VideoStreamInfo };
}
