/**
 * Frame sampling: picking frames at their true timestamps in one decode pass of the ffmpeg driver
 * (src/core/ffmpeg/).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { JPEG_QUALITY } from '../../core/defaults.js';
import { MediaDecodeError } from '../../core/errors/index.js';
import { DAMAGE, damageDetail, defaultBinaries, runFfmpeg, type FfmpegBinaries, type FfmpegRun, type MediaInfo } from '../../core/ffmpeg/index.js';
import { JpegStreamSplitter } from './jpeg-stream.js';
import { checkJpegQuality, validatePlan, type SamplingPlan } from './plan.js';
import { qscale, selectExpression } from './select.js';

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
  /**
   * At most this many `onFrame` calls may be unfinished at once (default 16): beyond that ffmpeg is
   * paused until half of them are done, so a slow consumer (a disk, an encoder) bounds the frames in memory.
   */
  maxPending?: number;
  signal?: AbortSignal;
}

const MAX_PENDING = 16;

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
export async function sampleFrames(video: string, info: MediaInfo, plan: SamplingPlan, options: SampleFramesOptions = {}): Promise<SampledFrame[]> {
  validatePlan(plan);
  checkJpegQuality(options.jpegQuality ?? JPEG_QUALITY);
  return sampleCheckedFrames(video, info, plan, options);
}

/**
 * {@link sampleFrames} for callers that validated the plan and quality already (the pipeline does,
 * once, at its boundary).
 */
export async function sampleCheckedFrames(
  video: string,
  info: MediaInfo,
  plan: SamplingPlan,
  { binaries = defaultBinaries(), jpegQuality = JPEG_QUALITY, onFrame, keepJpeg = true, maxPending = MAX_PENDING, signal }: SampleFramesOptions = {},
): Promise<SampledFrame[]> {
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
  // Unfinished onFrame calls; ffmpeg's stdout is paused while there are too many.
  const inFlight = new Set<Promise<void>>();
  let flow: { pause(): void; resume(): void } | null = null;
  let paused = false;
  // Frames queued behind the limit start as earlier calls finish: wait until none is left.
  const settled = async () => {
    while (inFlight.size > 0) await Promise.all([...inFlight]);
  };
  const limit = Math.max(1, Math.floor(maxPending));
  // The first onFrame failure (e.g. a full disk) stops ffmpeg and is rethrown once it has exited;
  // each promise is caught as it is pushed, so a rejection is never unhandled.
  let callbackFailure: { error: unknown } | null = null;
  const stop = new AbortController();
  // A killed ffmpeg only closes once its stdout is drained: never leave it paused when stopping.
  const unpause = () => {
    paused = false;
    flow?.resume();
  };
  const forwardAbort = () => {
    unpause();
    stop.abort(signal?.reason);
  };
  if (signal?.aborted) forwardAbort();
  else signal?.addEventListener('abort', forwardAbort, { once: true });
  const fail = (error: unknown) => {
    if (callbackFailure) return;
    callbackFailure = { error };
    unpause();
    stop.abort(error);
  };
  const emit = () => {
    // Pair the n-th JPEG with the n-th showinfo line; whichever arrives second completes the frame.
    // At most `limit` onFrame calls run at once; complete frames beyond that wait here (their bytes
    // are already read, and ffmpeg is paused, so the queue is bounded by what one pipe read holds).
    while (!callbackFailure && frames.length < Math.min(times.length, jpegs.length) && (!onFrame || inFlight.size < limit)) {
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
        const tracked: Promise<void> = work.catch(fail).finally(() => {
          inFlight.delete(tracked);
          emit();
          const queued = Math.min(times.length, jpegs.length) - frames.length;
          if (paused && queued === 0 && inFlight.size <= limit / 2) {
            paused = false;
            flow?.resume();
          }
        });
        inFlight.add(tracked);
        if (!paused && inFlight.size >= limit) {
          paused = true;
          flow?.pause();
        }
      }
    }
  };
  let run: FfmpegRun;
  try {
    run = await runFfmpeg(binaries.ffmpeg.path, args, {
      signal: stop.signal,
      onStdoutFlow: (f) => (flow = f),
      onStdout: (chunk) => {
        for (const jpeg of splitter.push(chunk)) jpegs.push(jpeg);
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
    await settled();
    if (scriptDir) await rm(scriptDir, { recursive: true, force: true });
  }
  emit();
  await settled();
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
