/**
 * Media I/O for the video pipeline: finding ffmpeg/ffprobe, probing a file, sampling frames at
 * their true timestamps in one decode pass, and decoding audio to 16 kHz mono Float32.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ffmpeg from 'fluent-ffmpeg';
import {
  FfmpegNotFoundError,
  InputFileError,
  InvalidOptionError,
  MediaDecodeError,
  NoVideoStreamError,
} from './core/errors/index.js';
import type { TimeSpan } from '../alignment/align.js';
import { env as processEnv, readEnv, type EnvVars } from './core/env.js';

// ---------------------------------------------------------------------------------------------
// Binaries

/** Where a binary came from: an environment variable, the PATH, or an npm installer package. */
export type BinarySource = 'env' | 'path' | 'npm';

export interface ResolvedBinary {
  path: string;
  source: BinarySource;
}

export interface FfmpegBinaries {
  ffmpeg: ResolvedBinary;
  ffprobe: ResolvedBinary;
}

/** Injected lookups so resolution can be tested without touching the real machine. */
export interface ResolveBinariesOptions {
  /** The variables to read (default: the process's, through src/core/env.ts). */
  env?: EnvVars;
  /** Finds an executable in the PATH's folders; default: the first executable file of that name. */
  which?: (name: string, searchPath: readonly string[]) => string | null;
  /** The path an npm installer package provides; default requires `@ffmpeg-installer/ffmpeg` / `@ffprobe-installer/ffprobe`. */
  npmPath?: (tool: 'ffmpeg' | 'ffprobe') => string | null;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, fsConstants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function whichOnPath(name: string, searchPath: readonly string[]): string | null {
  for (const dir of searchPath) {
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

const requireCjs = createRequire(import.meta.url);

function npmInstallerPath(tool: 'ffmpeg' | 'ffprobe'): string | null {
  try {
    const mod = requireCjs(tool === 'ffmpeg' ? '@ffmpeg-installer/ffmpeg' : '@ffprobe-installer/ffprobe') as { path?: string };
    return mod.path && isExecutable(mod.path) ? mod.path : null;
  } catch {
    return null; // the installer throws on unsupported platforms or a missing optional package
  }
}

const ENV_VAR = Object.freeze({ ffmpeg: 'FFMPEG_PATH', ffprobe: 'FFPROBE_PATH' } as const);

/**
 * Finds ffmpeg and ffprobe: `FFMPEG_PATH`/`FFPROBE_PATH`, then the PATH (Debian's ffmpeg), then the
 * npm installer packages (an old static build, kept as the last resort). A set-but-wrong variable
 * is an error rather than a silent fallback, since the user asked for that binary.
 *
 * @example
 * const { ffmpeg, ffprobe } = resolveFfmpegBinaries();
 * console.log(`${ffmpeg.path} (from ${ffmpeg.source})`);
 */
export function resolveFfmpegBinaries({
  env: vars,
  which = whichOnPath,
  npmPath = npmInstallerPath,
}: ResolveBinariesOptions = {}): FfmpegBinaries {
  const env = vars ? readEnv(vars) : processEnv;
  const find = (tool: 'ffmpeg' | 'ffprobe'): ResolvedBinary => {
    const fromEnv = env.get(ENV_VAR[tool]);
    if (fromEnv) {
      if (isExecutable(fromEnv)) return { path: fromEnv, source: 'env' };
      throw new FfmpegNotFoundError(tool, [`${ENV_VAR[tool]}=${fromEnv} (not an executable file)`]);
    }
    const onPath = which(tool, env.searchPath);
    if (onPath) return { path: onPath, source: 'path' };
    const fromNpm = npmPath(tool);
    if (fromNpm) return { path: fromNpm, source: 'npm' };
    throw new FfmpegNotFoundError(tool, [`${ENV_VAR[tool]} (unset)`, 'PATH', `the npm package @${tool}-installer/${tool}`]);
  };
  return { ffmpeg: find('ffmpeg'), ffprobe: find('ffprobe') };
}

let cachedBinaries: FfmpegBinaries | undefined;
/** The default binaries, resolved once per process. */
export function defaultBinaries(): FfmpegBinaries {
  cachedBinaries ??= resolveFfmpegBinaries();
  return cachedBinaries;
}

// ---------------------------------------------------------------------------------------------
// Probing

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

function parseRate(rate: string | undefined): number | null {
  if (!rate) return null;
  const [n, d] = rate.split('/').map(Number);
  const v = d ? n / d : n;
  return Number.isFinite(v) && v > 0 ? v : null;
}

function firstLines(text: string, n = 2): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(0, n)
    .join(' | ');
}

// Image formats ffprobe happily reads as a one-frame "video".
const STILL_IMAGE_FORMATS = /^(image2|.*_pipe|gif|webp)$/;

/**
 * Probes a media file with ffprobe (via fluent-ffmpeg). Throws {@link InputFileError} for a missing
 * file and {@link MediaDecodeError} for anything ffprobe cannot read; does not require a video
 * stream (see {@link requireVideo}).
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
  const data = await new Promise<ffmpeg.FfprobeData>((resolve, reject) => {
    ffmpeg(file)
      .setFfprobePath(binaries.ffprobe.path)
      .ffprobe((err: unknown, out: ffmpeg.FfprobeData) => (err ? reject(err) : resolve(out)));
  }).catch((err: unknown) => {
    const msg = err instanceof Error ? err.message : String(err);
    // A crash is the tool's fault, not the file's: the static ffprobe of @ffprobe-installer segfaults on
    // every MPEG-TS file, for one. Say which binary it was and how to use another.
    const signal = /ffprobe was killed with signal (\w+)/.exec(msg);
    if (signal) {
      throw new MediaDecodeError(
        file,
        `could not be probed: ffprobe (${binaries.ffprobe.path}, from ${binaries.ffprobe.source}) crashed with ${signal[1]}. ` +
          'Install a current ffmpeg (Debian: apt-get install ffmpeg) or point FFPROBE_PATH at a working ffprobe',
        '',
        err,
      );
    }
    // fluent-ffmpeg prefixes "ffprobe exited with code 1"; the useful part is the last line.
    const lines = msg.split('\n').filter((l) => l.trim() && !l.startsWith('ffprobe exited'));
    throw new MediaDecodeError(file, 'is not a media file ffmpeg can read', firstLines(lines.slice(-2).join('\n').replace(`${file}: `, '')), err);
  });
  const streams = data.streams.map((s) => String(s.codec_type ?? 'unknown'));
  const v = data.streams.find((s) => s.codec_type === 'video' && !(s.disposition && s.disposition.attached_pic));
  const a = data.streams.find((s) => s.codec_type === 'audio');
  const parsedStart = Number(data.format.start_time);
  const startTime = Number.isFinite(parsedStart) ? parsedStart : 0;
  let duration = Number(data.format.duration);
  // A streamed file (e.g. MKV written to a pipe) has no container duration: use where the longest
  // stream ends, else the last video packet, so such videos are not rejected as unplayable.
  if (!(duration > 0)) duration = longestStreamEnd(data.streams, startTime);
  if (!(duration > 0) && v) {
    const fps = parseRate(v.avg_frame_rate) ?? parseRate(v.r_frame_rate);
    const lastPts = await lastPacketTime(file, typeof v.index === 'number' ? String(v.index) : 'v:0', binaries);
    if (lastPts !== null) duration = lastPts - startTime + (fps ? 1 / fps : 0);
  }
  return {
    file,
    duration: Number.isFinite(duration) && duration > 0 ? duration : 0,
    startTime,
    format: String(data.format.format_name ?? ''),
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
function longestStreamEnd(streams: readonly ffmpeg.FfprobeStream[], startTime: number): number {
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

// ---------------------------------------------------------------------------------------------
// Frame sampling

/** How frames are picked. Closed union: add a mode here and the compiler finds every switch. */
export type SamplingMode = 'fps' | 'cue' | 'scene';
export const SAMPLING_MODES: readonly SamplingMode[] = Object.freeze(['fps', 'cue', 'scene'] as const);

export type SamplingPlan =
  /** Every 1/fps s on the grid 0, 1/fps, 2/fps…: the first frame at or after each grid time. */
  | { mode: 'fps'; fps: number }
  /** `perCue` frames evenly inside each cue (1 = its midpoint): the first frame at or after each target. */
  | { mode: 'cue'; perCue: number; cues: readonly TimeSpan[] }
  /** The first frame, then every frame whose scene-change score exceeds `threshold` (0–1). */
  | { mode: 'scene'; threshold: number };

/** One sampled frame: its true presentation time (s, from the video's start) and its JPEG bytes. */
export interface SampledFrame {
  time: number;
  jpeg: Buffer;
}

export interface SampleFramesOptions {
  binaries?: FfmpegBinaries;
  /** JPEG quality 1–100 (mapped onto ffmpeg's -q:v 31–2). Default 90. */
  jpegQuality?: number;
  /** Called per frame as it arrives, e.g. to write it and tick a progress bar. */
  onFrame?: (frame: SampledFrame, index: number) => void | Promise<void>;
  /**
   * Keep each frame's JPEG in the returned array (default true). Streaming callers that consume
   * frames in `onFrame` pass false, so memory does not grow with the length of the video.
   */
  keepJpeg?: boolean;
  signal?: AbortSignal;
}

/** Checks a plan eagerly so a bad value fails before ffmpeg starts. */
export function validatePlan(plan: SamplingPlan): SamplingPlan {
  switch (plan.mode) {
    case 'fps':
      if (!(Number.isFinite(plan.fps) && plan.fps > 0 && plan.fps <= 1000)) {
        throw new InvalidOptionError('fps', plan.fps, 'a frame rate > 0 and <= 1000');
      }
      return plan;
    case 'cue':
      if (!(Number.isInteger(plan.perCue) && plan.perCue >= 1 && plan.perCue <= 100)) {
        throw new InvalidOptionError('per-cue', plan.perCue, 'an integer from 1 to 100');
      }
      return plan;
    case 'scene':
      if (!(Number.isFinite(plan.threshold) && plan.threshold > 0 && plan.threshold < 1)) {
        throw new InvalidOptionError('scene-threshold', plan.threshold, 'a number between 0 and 1 (e.g. 0.3)');
      }
      return plan;
    default:
      throw new InvalidOptionError('mode', (plan as { mode: unknown }).mode, `one of ${SAMPLING_MODES.join(', ')}`);
  }
}

/**
 * Seconds, at millisecond precision, at which cue mode wants a frame (before snapping to real frames).
 * Each cue is first clamped to the video, [0, `duration`), so a cue running past the end still gets
 * frames from the part that is shown; a cue wholly outside gets none.
 *
 * @example
 * cueTargets([{ start: 0, end: 3 }], 3); // [0.5, 1.5, 2.5]
 * cueTargets([{ start: 15, end: 22 }], 1, 18); // [16.5]
 */
export function cueTargets(cues: readonly TimeSpan[], perCue: number, duration = Infinity): number[] {
  const out: number[] = [];
  for (const c of cues) {
    const start = Math.max(c.start, 0);
    const end = Math.min(c.end, duration);
    // Clamped to nothing: outside the video. A zero-length cue inside it still gets its instant.
    if (start >= duration || end < start || (end === start && c.end > c.start)) continue;
    const span = end - start;
    for (let i = 0; i < perCue; i++) {
      const t = Math.round((start + ((i + 0.5) * span) / perCue) * 1000) / 1000;
      if (t < duration) out.push(t);
    }
  }
  return [...new Set(out)].sort((a, b) => a - b);
}

const EPS = 1e-6;

/**
 * The ffmpeg `select` expression for a plan. Without `-copyts` ffmpeg already shifts every input
 * timestamp by minus the container start time, so `t` is relative to the start, as the audio
 * decode is: subtracting the start again would put frames of an MPEG-TS (start ~1.4 s) at negative times.
 */
function selectExpression(plan: SamplingPlan, duration: number): string {
  const rel = 't';
  switch (plan.mode) {
    case 'fps': {
      // First frame at or after each grid point k/fps: the grid index rises between the last pick and this frame.
      // Unlike `fps=N` this never invents a timestamp: every frame keeps its own pts.
      const f = plan.fps;
      return `isnan(prev_selected_t)+gte(floor(${rel}*${f}+${EPS})-floor(prev_selected_t*${f}+${EPS}),1)`;
    }
    case 'cue': {
      // First frame at or after each target: a target lies in (previous frame, this frame].
      const targets = cueTargets(plan.cues, plan.perCue, duration);
      if (targets.length === 0) return '0';
      const prev = 'prev_t';
      const terms = targets.map((t) => `gte(${rel},${t})*lt(${prev},${t})`);
      return `gte(isnan(prev_t)*gte(${rel},${targets[0]})+${balancedSum(terms)},1)`;
    }
    case 'scene':
      return `isnan(prev_selected_t)+gt(scene,${plan.threshold})`;
    default:
      throw new InvalidOptionError('mode', (plan as { mode: unknown }).mode, `one of ${SAMPLING_MODES.join(', ')}`);
  }
}

/**
 * `a+b+c+…` as a balanced tree of parenthesised pairs. ffmpeg's expression parser rejects a flat
 * sum of more than about 100 terms (its nesting guard counts each `+`); the tree nests only log2(n) deep.
 */
function balancedSum(terms: readonly string[]): string {
  if (terms.length === 1) return terms[0];
  const mid = terms.length >> 1;
  return `(${balancedSum(terms.slice(0, mid))}+${balancedSum(terms.slice(mid))})`;
}

function qscale(quality: number): number {
  return Math.round(31 - ((quality - 1) * 29) / 99);
}

/**
 * Splits a concatenated MJPEG stream into JPEGs by walking marker segments (an EOI byte pair can
 * occur inside a table, never inside stuffed entropy-coded data).
 */
export class JpegStreamSplitter {
  private buf: Buffer = Buffer.alloc(0);
  private scanFrom = 0;
  private inScan = false;

  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Buffer[] = [];
    for (;;) {
      const end = this.findEnd();
      if (end < 0) break;
      out.push(Buffer.from(this.buf.subarray(0, end)));
      this.buf = this.buf.subarray(end);
      this.scanFrom = 0;
      this.inScan = false;
    }
    return out;
  }

  /** Bytes left over at the end of the stream (a truncated JPEG); empty when the stream ended cleanly. */
  get pending(): number {
    return this.buf.length;
  }

  private findEnd(): number {
    const b = this.buf;
    if (this.scanFrom === 0) {
      if (b.length < 2) return -1;
      if (b[0] !== 0xff || b[1] !== 0xd8) throw new Error('MJPEG stream out of sync: expected SOI');
      this.scanFrom = 2;
    }
    let i = this.scanFrom;
    while (!this.inScan) {
      if (i + 4 > b.length) {
        this.scanFrom = i;
        return -1;
      }
      if (b[i] !== 0xff) throw new Error('MJPEG stream out of sync: expected a marker');
      const marker = b[i + 1];
      if (marker === 0xff) {
        i += 1; // fill byte
        continue;
      }
      const len = b.readUInt16BE(i + 2);
      if (i + 2 + len > b.length) {
        this.scanFrom = i;
        return -1;
      }
      i += 2 + len;
      if (marker === 0xda) this.inScan = true; // start of scan: entropy-coded data follows
    }
    for (; i + 1 < b.length; i++) {
      if (b[i] !== 0xff) continue;
      const next = b[i + 1];
      if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) continue; // stuffing, restart markers
      if (next === 0xd9) return i + 2;
    }
    this.scanFrom = i;
    return -1;
  }
}

const EMPTY = Buffer.alloc(0);
const SHOWINFO = /Parsed_showinfo_\d+ @ [^\]]*\] (?:\[info\] )?n:\s*(\d+)\s+pts:\s*(-?\d+)\s+pts_time:(-?[\d.e+-]+)/;
// Messages that mean ffmpeg refused the filter graph mmalign built: a bug here, not a damaged video.
const FILTER_FAILURE = /Error while parsing expression|Error initializing filter|Error reinitializing filters|Failed to configure|filter network|Error parsing filter/i;
// Messages that mean the input is damaged, not merely unusual.
const DAMAGE = /partial file|Invalid data found|Error while decoding|corrupt|truncat|moov atom not found|error reading header/i;

interface FfmpegRun {
  code: number | null;
  errors: string[];
}

/**
 * Runs ffmpeg, streaming stdout to `onStdout` and stderr lines to `onLine`; collects error-level
 * lines (`-loglevel level+...` tags each line) so damage can be reported instead of ignored.
 */
function runFfmpeg(
  bin: string,
  args: readonly string[],
  { onStdout, onLine, signal }: { onStdout: (chunk: Buffer) => void; onLine?: (line: string) => void; signal?: AbortSignal },
): Promise<FfmpegRun> {
  return new Promise((resolve, reject) => {
    // SIGKILL on abort: the output is being thrown away, so there is nothing for ffmpeg to finish.
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], signal, killSignal: 'SIGKILL' });
    const errors: string[] = [];
    let rest = '';
    let failed: unknown = null;
    child.stdout.on('data', (chunk: Buffer) => {
      if (failed) return;
      try {
        onStdout(chunk);
      } catch (err) {
        failed = err;
        child.kill('SIGKILL');
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      rest += s;
      const lines = rest.split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        if (/^\[(error|fatal|panic)\]|\] \[(error|fatal|panic)\]/.test(line)) errors.push(line.replace(/\[(error|fatal|panic)\] ?/, '').trim());
        onLine?.(line);
      }
    });
    // An abort of a running ffmpeg still waits for 'close', so callers never outlive the process.
    let aborted: unknown = null;
    child.on('error', (err) => {
      if (child.pid === undefined) reject(err);
      else aborted ??= err;
    });
    child.on('close', (code) => {
      if (rest) onLine?.(rest);
      if (failed) reject(failed);
      else if (aborted) reject(aborted);
      else resolve({ code, errors });
    });
  });
}

function damageDetail(errors: readonly string[]): string {
  return firstLines(errors.map((e) => e.replace(/^\[[^\]]*@ 0x[0-9a-f]+\] /, '')).join('\n'));
}

/**
 * Samples frames in ONE decode pass: an ffmpeg `select` filter picks them, `showinfo` reports each
 * picked frame's real pts, and the JPEGs come back over a pipe, so nothing is re-read from disk.
 * Frame times are true presentation times relative to the video's start: never a grid value that
 * the frame does not have (plain `-vf fps=1` would shift every sample by about half a second).
 * A damaged (truncated, corrupt) video is a {@link MediaDecodeError}.
 *
 * @example
 * const info = requireVideo(await probeMedia('talk.mp4'));
 * const frames = await sampleFrames('talk.mp4', info, { mode: 'fps', fps: 1 });
 * console.log(frames.map((f) => f.time)); // [0, 1, 2, ...]
 */
export async function sampleFrames(
  video: string,
  info: MediaInfo,
  plan: SamplingPlan,
  { binaries = defaultBinaries(), jpegQuality = 90, onFrame, keepJpeg = true, signal }: SampleFramesOptions = {},
): Promise<SampledFrame[]> {
  validatePlan(plan);
  if (!(Number.isInteger(jpegQuality) && jpegQuality >= 1 && jpegQuality <= 100)) {
    throw new InvalidOptionError('jpeg-quality', jpegQuality, 'an integer from 1 to 100');
  }
  const expr = selectExpression(plan, info.duration);
  const filter = `select='${expr}',showinfo`;
  // Long cue lists would overflow one argv string (128 KiB on Linux): use a filter script file.
  let scriptDir: string | null = null;
  const filterArgs: string[] = [];
  if (filter.length > 32_000) {
    scriptDir = await mkdtemp(path.join(tmpdir(), 'mmalign-filter-'));
    const script = path.join(scriptDir, 'select.txt');
    await writeFile(script, filter);
    filterArgs.push('-filter_script:v', script);
  } else {
    filterArgs.push('-vf', filter);
  }
  const args = [
    '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'level+info',
    '-i', video,
    '-map', '0:v:0', '-an', '-sn', '-dn',
    ...filterArgs,
    // Passthrough: emit exactly the selected frames, never duplicates to fill a constant rate.
    '-vsync', 'passthrough',
    '-f', 'image2pipe', '-c:v', 'mjpeg', '-pix_fmt', 'yuvj420p', '-q:v', String(qscale(jpegQuality)),
    'pipe:1',
  ];

  const times: number[] = [];
  const jpegs: Buffer[] = [];
  const frames: SampledFrame[] = [];
  const splitter = new JpegStreamSplitter();
  const pendingWork: Promise<void>[] = [];
  // The first onFrame failure (e.g. a full disk) stops ffmpeg and is rethrown once it has exited;
  // each promise is caught as it is pushed, so a rejection is never unhandled.
  let callbackFailure: { error: unknown } | null = null;
  const stop = new AbortController();
  const forwardAbort = () => stop.abort(signal?.reason);
  if (signal?.aborted) forwardAbort();
  else signal?.addEventListener('abort', forwardAbort, { once: true });
  const fail = (error: unknown) => {
    if (callbackFailure) return;
    callbackFailure = { error };
    stop.abort(error);
  };
  const emit = () => {
    // Pair the n-th JPEG with the n-th showinfo line; whichever arrives second completes the frame.
    while (!callbackFailure && frames.length < Math.min(times.length, jpegs.length)) {
      const i = frames.length;
      const frame = { time: times[i], jpeg: jpegs[i] };
      jpegs[i] = EMPTY;
      frames.push(keepJpeg ? frame : { time: frame.time, jpeg: EMPTY });
      if (onFrame) {
        let work: Promise<void>;
        try {
          work = Promise.resolve(onFrame(frame, i));
        } catch (err) {
          work = Promise.reject(err);
        }
        pendingWork.push(work.catch(fail));
      }
    }
  };
  let run: FfmpegRun;
  try {
    run = await runFfmpeg(binaries.ffmpeg.path, args, {
      signal: stop.signal,
      onStdout: (chunk) => {
        jpegs.push(...splitter.push(chunk));
        emit();
      },
      onLine: (line) => {
        const m = SHOWINFO.exec(line);
        if (m) {
          // Already relative to the container start: ffmpeg rebases input timestamps (no -copyts).
          times.push(Math.round(Number(m[3]) * 1e6) / 1e6);
          emit();
        }
      },
    });
  } catch (err) {
    if (!callbackFailure) throw err;
    run = { code: null, errors: [] }; // killed by fail(): the callback's error is the one to report
  } finally {
    signal?.removeEventListener('abort', forwardAbort);
    // Let in-flight writes settle (they never reject: fail() caught them) before the caller cleans up.
    await Promise.all(pendingWork);
    if (scriptDir) await rm(scriptDir, { recursive: true, force: true });
  }
  emit();
  await Promise.all(pendingWork);
  if (callbackFailure) throw (callbackFailure as { error: unknown }).error;
  const damage = run.errors.filter((e) => DAMAGE.test(e));
  const filterFailure = run.errors.find((e) => FILTER_FAILURE.test(e));
  if (run.code !== 0 && damage.length === 0 && filterFailure) {
    throw new Error(`ffmpeg rejected the frame-selection filter mmalign built for ${video} (a bug in mmalign, not in the video; please report it): ${filterFailure.slice(0, 300)}`);
  }
  if (run.code !== 0 || damage.length > 0 || splitter.pending > 0) {
    const reason = damage.length ? 'is truncated or corrupt; ffmpeg could not decode all of it' : 'could not be decoded';
    throw new MediaDecodeError(video, `${reason}. Re-download or re-encode it`, damageDetail(damage.length ? damage : run.errors));
  }
  if (times.length !== jpegs.length) {
    throw new MediaDecodeError(video, `frame sampling went out of step (${times.length} timestamps, ${jpegs.length} images)`, '');
  }
  return frames;
}

// ---------------------------------------------------------------------------------------------
// Audio

/** Sample rate every audio encoder in mmalign takes (Wav2Vec2's). */
export const AUDIO_SAMPLE_RATE = 16_000;

/** Decoded mono audio; `samples[i]` plays at `start + i / sampleRate` s from the video's start. */
export interface DecodedAudio {
  samples: Float32Array;
  sampleRate: number;
  /** Time of sample 0 in seconds (0 unless a window was decoded). */
  start?: number;
}

export interface DecodeAudioOptions {
  binaries?: FfmpegBinaries;
  sampleRate?: number;
  /** Decode only a window: from `start` seconds... */
  start?: number;
  /** ...for `duration` seconds (default: to the end). */
  duration?: number;
  signal?: AbortSignal;
}

/**
 * Decodes a file's first audio stream (or a window of it) to mono Float32 at 16 kHz in one pass
 * into memory. The stream is padded or trimmed so sample 0 is exactly `start` (`aresample async
 * first_pts=0`), which keeps slices aligned with subtitle times even when audio starts late.
 * About 64 KB per second of audio: decode long inputs in windows.
 *
 * @example
 * const audio = await decodeAudio('talk.mp4');
 * const cue = sliceAudio(audio, 12.5, 15.0); // Float32Array of 40 000 samples
 * const window = await decodeAudio('film.mkv', { start: 600, duration: 600 });
 */
export async function decodeAudio(
  file: string,
  { binaries = defaultBinaries(), sampleRate = AUDIO_SAMPLE_RATE, start = 0, duration, signal }: DecodeAudioOptions = {},
): Promise<DecodedAudio> {
  const chunks: Buffer[] = [];
  let total = 0;
  const args = [
    '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'level+error',
    ...(start > 0 ? ['-ss', String(start)] : []),
    ...(duration !== undefined ? ['-t', String(duration)] : []),
    '-i', file,
    '-map', '0:a:0', '-vn', '-sn', '-dn',
    '-af', `aresample=${sampleRate}:async=1:first_pts=0`,
    '-ac', '1', '-f', 'f32le', '-c:a', 'pcm_f32le',
    'pipe:1',
  ];
  const run = await runFfmpeg(binaries.ffmpeg.path, args, {
    signal,
    onStdout: (c) => {
      chunks.push(c);
      total += c.length;
    },
  });
  const damage = run.errors.filter((e) => DAMAGE.test(e));
  if (run.code !== 0 || damage.length > 0) {
    throw new MediaDecodeError(file, 'has an audio track ffmpeg could not decode. Re-encode it', damageDetail(damage.length ? damage : run.errors));
  }
  const bytes = Buffer.concat(chunks, total);
  // Copy into a fresh, aligned buffer: Buffer.concat's pool offset need not be a multiple of 4.
  const samples = new Float32Array(Math.floor(bytes.length / 4));
  new Uint8Array(samples.buffer).set(bytes.subarray(0, samples.length * 4));
  return { samples, sampleRate, start };
}

/**
 * The samples for [start, end) seconds of the video's timeline, clamped to what was decoded (a view, not a copy).
 *
 * @example
 * sliceAudio({ samples, sampleRate: 16000 }, 1, 2).length; // 16000
 */
export function sliceAudio(audio: DecodedAudio, start: number, end: number): Float32Array {
  const n = audio.samples.length;
  const origin = audio.start ?? 0;
  const a = Math.min(n, Math.max(0, Math.round((start - origin) * audio.sampleRate)));
  const b = Math.min(n, Math.max(a, Math.round((end - origin) * audio.sampleRate)));
  return audio.samples.subarray(a, b);
}

// ---------------------------------------------------------------------------------------------
// Naming

/**
 * A frame's file name from its time: `t000012.500.jpg`. Zero-padded milliseconds so names sort
 * in time order and one name maps to one time (to the ms).
 *
 * @example
 * frameFileName(12.5); // 't000012.500.jpg'
 */
export function frameFileName(time: number): string {
  const ms = Math.round(time * 1000);
  const s = Math.floor(ms / 1000);
  return `t${String(s).padStart(6, '0')}.${String(ms % 1000).padStart(3, '0')}.jpg`;
}
