/**
 * Frame sampling for the video pipeline: picking frames at their true timestamps in one decode pass
 * of the ffmpeg driver (src/core/ffmpeg/), and naming them.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TimeSpan } from '../alignment/align.js';
import { JPEG_QUALITY } from './core/defaults.js';
import { InvalidOptionError, MediaDecodeError } from './core/errors/index.js';
import { DAMAGE, damageDetail, defaultBinaries, runFfmpeg, type FfmpegBinaries, type FfmpegRun, type MediaInfo } from './core/ffmpeg/index.js';

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
  { binaries = defaultBinaries(), jpegQuality = JPEG_QUALITY, onFrame, keepJpeg = true, signal }: SampleFramesOptions = {},
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
    run = { code: null, signal: null, errors: [] }; // killed by fail(): the callback's error is the one to report
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
