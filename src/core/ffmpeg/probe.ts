/** Probing a media file with ffprobe: duration, start time, streams, and whether it is a real video. */
import { statSync } from 'node:fs';
import { InputFileError, MediaDecodeError, NoVideoStreamError } from '../errors/index.js';
import { defaultBinaries, type FfmpegBinaries } from './binaries.js';
import { firstLines, runFfmpeg } from './run.js';

export interface VideoStreamInfo {
  codec: string;
  width: number;
  height: number;
  /** Nominal frame rate (r_frame_rate), or null when the container does not say. */
  fps: number | null;
}

export interface AudioStreamInfo {
  codec: string;
  sampleRate: number;
  channels: number;
}

export interface MediaInfo {
  file: string;
  /** Seconds. */
  duration: number;
  /** Container start time in seconds; frame and audio times are relative to it (ffmpeg rebases to it). */
  startTime: number;
  format: string;
  video: VideoStreamInfo | null;
  audio: AudioStreamInfo | null;
  /** Every stream's type, e.g. `['video', 'audio']`. */
  streams: string[];
}

/** The part of `ffprobe -print_format json -show_format -show_streams` that mmalign reads. */
interface ProbeStream {
  index?: number;
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  sample_rate?: string;
  channels?: number;
  duration?: string;
  start_time?: string;
  disposition?: { attached_pic?: number };
}

interface ProbeData {
  streams?: ProbeStream[];
  format?: { format_name?: string; duration?: string; start_time?: string };
}

function parseRate(rate: string | undefined): number | null {
  if (!rate) return null;
  const [n, d] = rate.split('/').map(Number);
  const v = d ? n / d : n;
  return Number.isFinite(v) && v > 0 ? v : null;
}

// Image formats ffprobe happily reads as a one-frame "video".
const STILL_IMAGE_FORMATS = /^(image2|.*_pipe|gif|webp)$/;

/** ffprobe's JSON for a file; every way it can fail is a {@link MediaDecodeError}. */
async function ffprobeJson(file: string, binaries: FfmpegBinaries): Promise<ProbeData> {
  const unreadable = (detail: string, cause?: unknown) => new MediaDecodeError(file, 'is not a media file ffmpeg can read', detail, cause);
  const chunks: Buffer[] = [];
  const args = ['-hide_banner', '-loglevel', 'level+error', '-print_format', 'json', '-show_format', '-show_streams', file];
  const run = await runFfmpeg(binaries.ffprobe.path, args, { onStdout: (c) => chunks.push(c) }).catch((err: unknown) => {
    throw unreadable(firstLines(err instanceof Error ? err.message : String(err)), err);
  });
  if (run.signal) {
    // A crash is the tool's fault, not the file's: the static ffprobe of @ffprobe-installer segfaults on
    // every MPEG-TS file, for one. Say which binary it was and how to use another.
    throw new MediaDecodeError(
      file,
      `could not be probed: ffprobe (${binaries.ffprobe.path}, from ${binaries.ffprobe.source}) crashed with ${run.signal}. ` +
        'Install a current ffmpeg (Debian: apt-get install ffmpeg) or point FFPROBE_PATH at a working ffprobe',
      '',
    );
  }
  if (run.code !== 0) throw unreadable(firstLines(run.errors.slice(-2).join('\n').replace(`${file}: `, '')));
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as ProbeData;
  } catch (err) {
    throw unreadable('ffprobe did not print JSON', err);
  }
}

/**
 * Probes a media file with ffprobe. Throws {@link InputFileError} for a missing file and
 * {@link MediaDecodeError} for anything ffprobe cannot read; does not require a video stream
 * (see {@link requireVideo}).
 *
 * @example
 * const info = await probeMedia('talk.mp4');
 * console.log(info.duration, info.video?.fps, info.audio?.sampleRate);
 */
export async function probeMedia(file: string, binaries: FfmpegBinaries = defaultBinaries()): Promise<MediaInfo> {
  let st;
  try {
    st = statSync(file);
  } catch (err) {
    throw new InputFileError(file, 'no such file; check the path', err);
  }
  if (!st.isFile()) throw new InputFileError(file, 'is not a regular file');
  if (st.size === 0) throw new MediaDecodeError(file, 'is empty (0 bytes), not a video', '');
  const data = await ffprobeJson(file, binaries);
  const all = data.streams ?? [];
  const format = data.format ?? {};
  const streams = all.map((s) => String(s.codec_type ?? 'unknown'));
  const v = all.find((s) => s.codec_type === 'video' && !(s.disposition && s.disposition.attached_pic));
  const a = all.find((s) => s.codec_type === 'audio');
  const parsedStart = Number(format.start_time);
  const startTime = Number.isFinite(parsedStart) ? parsedStart : 0;
  let duration = Number(format.duration);
  // A streamed file (e.g. MKV written to a pipe) has no container duration: use where the longest
  // stream ends, else the last video packet, so such videos are not rejected as unplayable.
  if (!(duration > 0)) duration = longestStreamEnd(all, startTime);
  if (!(duration > 0) && v) {
    const fps = parseRate(v.avg_frame_rate) ?? parseRate(v.r_frame_rate);
    const lastPts = await lastPacketTime(file, typeof v.index === 'number' ? String(v.index) : 'v:0', binaries);
    if (lastPts !== null) duration = lastPts - startTime + (fps ? 1 / fps : 0);
  }
  return {
    file,
    duration: Number.isFinite(duration) && duration > 0 ? duration : 0,
    startTime,
    format: String(format.format_name ?? ''),
    video: v
      ? {
          codec: String(v.codec_name ?? ''),
          width: Number(v.width ?? 0),
          height: Number(v.height ?? 0),
          fps: parseRate(v.avg_frame_rate) ?? parseRate(v.r_frame_rate),
        }
      : null,
    audio: a
      ? { codec: String(a.codec_name ?? ''), sampleRate: Number(a.sample_rate ?? 0), channels: Number(a.channels ?? 0) }
      : null,
    streams,
  };
}

/** Seconds from the container start to the end of the stream that ends last; 0 when no stream says. */
function longestStreamEnd(streams: readonly ProbeStream[], startTime: number): number {
  let end = 0;
  for (const s of streams) {
    const d = Number(s.duration);
    if (!(d > 0)) continue;
    const st = Number(s.start_time);
    end = Math.max(end, (Number.isFinite(st) ? st - startTime : 0) + d);
  }
  return end;
}

/** The largest packet pts (s) of one stream, read by ffprobe packet by packet; null when there is none. */
async function lastPacketTime(file: string, stream: string, binaries: FfmpegBinaries): Promise<number | null> {
  let max: number | null = null;
  let rest = '';
  const take = (line: string) => {
    const t = Number(line.split(',')[0]);
    if (line.trim() && Number.isFinite(t)) max = max === null ? t : Math.max(max, t);
  };
  const run = await runFfmpeg(
    binaries.ffprobe.path,
    ['-v', 'error', '-select_streams', stream, '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', file],
    {
      onStdout: (chunk) => {
        const lines = (rest + chunk.toString('latin1')).split('\n');
        rest = lines.pop() ?? '';
        lines.forEach(take);
      },
    },
  );
  take(rest);
  return run.code === 0 ? max : null;
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
