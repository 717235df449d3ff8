/**
 * The frames manifest (`frames/.mmalign-frames.json`): which video and which sampling produced the
 * frames in a folder, so a rerun reuses them only when both are unchanged and every file is intact.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cueTargets } from '../../../alignment/index.js';
import { InvalidOptionError } from '../../core/errors/index.js';
import type { FrameRecord } from '../types.js';
import { SAMPLING_MODES, type SamplingPlan } from './plan.js';

/** The manifest's name inside the frames folder. */
export const FRAMES_MANIFEST = '.mmalign-frames.json';
// 2: frame times of videos whose container starts after 0 were off by that start (fixed in the sampler).
const MANIFEST_VERSION = 2;

/** What identifies a video file cheaply: size, mtime and a hash of its first MiB. */
export interface VideoFingerprint {
  path: string;
  size: number;
  mtimeMs: number;
  headSha256: string;
}

interface FramesManifest {
  version: number;
  video: VideoFingerprint;
  sampling: unknown;
  frames: { time: number; file: string; bytes: number; sha1: string }[];
}

/**
 * The fingerprint of a video file.
 *
 * @example
 * const id = await fingerprint('/data/talk.mp4'); // { path, size, mtimeMs, headSha256 }
 */
export async function fingerprint(video: string): Promise<VideoFingerprint> {
  const st = await stat(video);
  const hash = createHash('sha256');
  await new Promise<void>((resolve, reject) => {
    createReadStream(video, { start: 0, end: Math.min(st.size, 1 << 20) - 1 })
      .on('data', (c) => hash.update(c))
      .on('end', resolve)
      .on('error', reject);
  });
  return { path: video, size: st.size, mtimeMs: Math.round(st.mtimeMs), headSha256: hash.digest('hex') };
}

/**
 * Everything that decides which frames come out; any change means the frames are redone.
 *
 * @example
 * samplingKey({ mode: 'fps', fps: 1 }, 90, 60); // { mode: 'fps', fps: 1, jpegQuality: 90 }
 */
export function samplingKey(plan: SamplingPlan, jpegQuality: number, duration: number): unknown {
  switch (plan.mode) {
    case 'fps':
      return { mode: 'fps', fps: plan.fps, jpegQuality };
    case 'cue':
      return {
        mode: 'cue',
        perCue: plan.perCue,
        jpegQuality,
        targets: createHash('sha1').update(cueTargets(plan.cues, plan.perCue, duration).join(',')).digest('hex'),
      };
    case 'scene':
      return { mode: 'scene', threshold: plan.threshold, jpegQuality };
    default:
      throw new InvalidOptionError('mode', (plan as { mode: unknown }).mode, SAMPLING_MODES.join(' | '));
  }
}

/**
 * The frames of an earlier run in `framesDir`, or null unless its manifest names the same video and
 * sampling and every frame file is there with its recorded size.
 *
 * @example
 * const reused = await loadReusableFrames('out/frames', await fingerprint(video), samplingKey(plan, 90, info.duration));
 */
export async function loadReusableFrames(framesDir: string, video: VideoFingerprint, sampling: unknown): Promise<FrameRecord[] | null> {
  let manifest: FramesManifest;
  try {
    manifest = JSON.parse(await readFile(path.join(framesDir, FRAMES_MANIFEST), 'utf8')) as FramesManifest;
  } catch {
    return null;
  }
  if (manifest.version !== MANIFEST_VERSION) return null;
  if (JSON.stringify(manifest.video) !== JSON.stringify(video) || JSON.stringify(manifest.sampling) !== JSON.stringify(sampling)) return null;
  for (const f of manifest.frames) {
    const st = await stat(path.join(framesDir, f.file)).catch(() => null);
    if (!st || st.size !== f.bytes) return null;
  }
  return manifest.frames.map((f) => ({ time: f.time, file: path.join(framesDir, f.file), sha1: f.sha1, bytes: f.bytes }));
}

/**
 * Writes the manifest of freshly sampled frames into their (staging) folder.
 *
 * @example
 * await writeFramesManifest(staging, videoId, sampling, records);
 */
export async function writeFramesManifest(dir: string, video: VideoFingerprint, sampling: unknown, frames: readonly FrameRecord[]): Promise<void> {
  const manifest: FramesManifest = {
    version: MANIFEST_VERSION,
    video,
    sampling,
    frames: frames.map((r) => ({ time: r.time, file: path.basename(r.file), bytes: r.bytes, sha1: r.sha1 })),
  };
  await writeFile(path.join(dir, FRAMES_MANIFEST), JSON.stringify(manifest, null, 1));
}
