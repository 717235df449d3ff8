/** Shared by the frame-sampling, ffmpeg and pipeline tests: the fixture video and small generated media. */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { defaultBinary } from '../../src/core/ffmpeg/index.js';

export const FIXTURE_DIR = fileURLToPath(new URL('../../fixtures/video/', import.meta.url));
export const SAMPLE_MP4 = path.join(FIXTURE_DIR, 'sample.mp4');
export const SAMPLE_SRT = path.join(FIXTURE_DIR, 'sample.srt');
export const SAMPLE_VTT = path.join(FIXTURE_DIR, 'sample.vtt');
/** The fixture's frame rate: frame n is shown from n/25 s. */
export const SAMPLE_FPS = 25;

/**
 * Reads the frame number the fixture burns into every frame: the bottom 16 px strip holds 10
 * blocks of 32 px, block i white when bit i of the frame number is set.
 */
export async function frameNumberOf(jpeg: Buffer | string): Promise<number> {
  const { data, info } = await sharp(jpeg).greyscale().raw().toBuffer({ resolveWithObject: true });
  const y = info.height - 8;
  let n = 0;
  for (let bit = 0; bit < 10; bit++) {
    const x = bit * 32 + 16;
    if (data[y * info.width + x] > 128) n |= 1 << bit;
  }
  return n;
}

/**
 * Runs ffmpeg quietly to make small inputs: the one mmalign resolves (FFMPEG_PATH, the PATH, then
 * the npm package), so the tests need no system ffmpeg. Returns what it wrote to stdout.
 */
export function ffmpegMake(args: string[]): Buffer {
  return execFileSync(defaultBinary('ffmpeg').path, ['-hide_banner', '-loglevel', 'error', '-y', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 256 * 1024 * 1024,
  });
}
