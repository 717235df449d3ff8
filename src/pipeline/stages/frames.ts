/**
 * Stage 3, frames: reuse the frames of an earlier run when video and sampling match, else sample
 * them in one decode pass into a staging folder that the export stage moves into place.
 */
import { createHash } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cueTargets } from '../../../alignment/index.js';
import { environmentError } from '../../core/errors/index.js';
import { makeStagingDir } from '../../core/fs.js';
import type { MediaInfo } from '../../core/ffmpeg/index.js';
import { loadReusableFrames, writeFramesManifest, type VideoFingerprint } from '../frames/manifest.js';
import { frameFileName } from '../frames/names.js';
import type { SamplingPlan } from '../frames/plan.js';
import { sampleCheckedFrames, type SampledFrame } from '../frames/sample.js';
import type { FrameRecord, StageContext } from '../types.js';
import type { ImageStream } from './embed-images.js';

export interface FramesInput {
  video: string;
  info: MediaInfo;
  plan: SamplingPlan;
  jpegQuality: number;
  /** `DIR/frames`: where the frames live once the run completes. */
  framesDir: string;
  videoId: VideoFingerprint;
  /** The sampling key recorded in the frames manifest (see samplingKey). */
  sampling: unknown;
  /** Where new frames go to be embedded as they are sampled, or null (not embedding). */
  images: ImageStream | null;
}

export interface FramesOutput {
  /** In time order. */
  frames: FrameRecord[];
  /** True when the frames of an earlier run were reused. */
  reused: boolean;
  /** The staging folder holding new frames (to move over `framesDir` at export), or null when reused. */
  staged: string | null;
}

/**
 * Produces the run's frames. A failure removes the staging folder it made; a full disk or a
 * read-only folder is a DiskFullError / NotWritableError naming DIR/frames.
 *
 * @example
 * const { frames, staged } = await framesStage({ video, info, plan, jpegQuality: 90, framesDir, videoId, sampling, keepJpeg: true }, ctx);
 */
export async function framesStage(input: FramesInput, ctx: StageContext): Promise<FramesOutput> {
  const { video, info, plan, jpegQuality, framesDir, videoId, sampling, images } = input;
  const reused = await loadReusableFrames(framesDir, videoId, sampling);
  if (reused) {
    ctx.log(`frames: reusing ${reused.length} frames in ${framesDir}`);
    ctx.progress.stage('frames', reused.length).done();
    return { frames: reused, reused: true, staged: null };
  }
  // Only failures of our own writes are the machine's (a full disk, a read-only folder).
  const writeFailed = (err: unknown): never => {
    throw environmentError(err, framesDir, 'writing frames') ?? err;
  };
  const staging = await makeStagingDir(framesDir).catch(writeFailed);
  const expected = plan.mode === 'fps' ? Math.ceil(info.duration * plan.fps) : plan.mode === 'cue' ? cueTargets(plan.cues, plan.perCue, info.duration).length : 0;
  const bar = ctx.progress.stage('frames', expected);
  const records: FrameRecord[] = [];
  try {
    await sampleCheckedFrames(video, info, plan, {
      binaries: ctx.binaries,
      jpegQuality,
      signal: ctx.signal,
      keepJpeg: false,
      // With embedding, frames wait for the encoder: a few batches, then ffmpeg pauses.
      maxPending: images ? 8 : 16,
      onFrame: async (f: SampledFrame) => {
        const name = frameFileName(f.time);
        const rec: FrameRecord = { time: f.time, file: path.join(framesDir, name), sha1: createHash('sha1').update(f.jpeg).digest('hex'), bytes: f.jpeg.length };
        records.push(rec);
        await writeFile(path.join(staging, name), f.jpeg).catch(writeFailed);
        // The bytes go to the image encoder now, not at the embed stage: memory stays flat however long the video.
        await images?.add(rec, f.jpeg);
        if (expected === 0) bar.setTotal(records.length); // scene mode: the count is only known as cuts are found
        bar.tick();
      },
    });
    await writeFramesManifest(staging, videoId, sampling, records).catch(writeFailed);
  } catch (err) {
    // Staged frames are not kept: a partial sampling cannot be resumed, and on a full disk they hold
    // the space the user has to free. The previous run's frames in DIR/frames are untouched.
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
  bar.setTotal(records.length);
  bar.done();
  return { frames: records, reused: false, staged: staging };
}
