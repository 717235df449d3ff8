/** Frame sampling (src/pipeline/frames/): true timestamps, cue targets, scene cuts, quality, damage, JPEG splitting, names. */
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidOptionError, MediaDecodeError } from '../../../src/core/errors/index.js';
import { probeMedia, requireVideo } from '../../../src/core/ffmpeg/index.js';
import { JpegStreamSplitter, frameFileName, sampleFrames } from '../../../src/pipeline/frames/index.js';
import { SAMPLE_FPS, SAMPLE_MP4, frameNumberOf } from '../../helpers/media.js';
import { tempDir } from '../../helpers/tmp.js';

let dir: string;
beforeEach(() => {
  dir = tempDir('frames');
});

describe('sampleFrames', () => {
  it('samples fps mode at the exact grid times, proven by the frame number burnt into each frame', async () => {
    const info = requireVideo(await probeMedia(SAMPLE_MP4));
    const frames = await sampleFrames(SAMPLE_MP4, info, { mode: 'fps', fps: 1 });
    expect(frames.map((f) => f.time)).toEqual(Array.from({ length: 18 }, (_, k) => k));
    for (const k of [0, 1, 7, 13, 17]) {
      expect(await frameNumberOf(frames[k].jpeg)).toBe(k * SAMPLE_FPS);
    }
  });

  it('reports the real pts of the picked frame when the grid falls between frames', async () => {
    const info = requireVideo(await probeMedia(SAMPLE_MP4));
    const frames = await sampleFrames(SAMPLE_MP4, info, { mode: 'fps', fps: 3 });
    // 1/3 s is between frames 8 (0.32 s) and 9 (0.36 s): the first frame at or after it is 9.
    expect(frames[1].time).toBeCloseTo(0.36, 6);
    for (const f of frames.slice(0, 6)) {
      expect(await frameNumberOf(f.jpeg)).toBe(Math.round(f.time * SAMPLE_FPS));
    }
  });

  it('takes one frame per cue at the first frame at or after its midpoint in cue mode', async () => {
    const info = requireVideo(await probeMedia(SAMPLE_MP4));
    const cues = [
      { start: 0.5, end: 3.233 },
      { start: 12.5, end: 15.153 },
    ];
    const frames = await sampleFrames(SAMPLE_MP4, info, { mode: 'cue', perCue: 1, cues });
    expect(frames.map((f) => f.time)).toEqual([1.88, 13.84]);
    expect(await frameNumberOf(frames[0].jpeg)).toBe(47);
    expect(await frameNumberOf(frames[1].jpeg)).toBe(346);
  });

  it('finds the two hard cuts of the fixture in scene mode, plus the first frame', async () => {
    const info = requireVideo(await probeMedia(SAMPLE_MP4));
    const frames = await sampleFrames(SAMPLE_MP4, info, { mode: 'scene', threshold: 0.3 });
    expect(frames.map((f) => f.time)).toEqual([0, 6, 12]);
    expect(await frameNumberOf(frames[2].jpeg)).toBe(12 * SAMPLE_FPS);
  });

  it('writes smaller JPEGs at a lower quality', async () => {
    const info = requireVideo(await probeMedia(SAMPLE_MP4));
    const plan = { mode: 'scene', threshold: 0.3 } as const;
    const [hi] = await sampleFrames(SAMPLE_MP4, info, plan, { jpegQuality: 95 });
    const [lo] = await sampleFrames(SAMPLE_MP4, info, plan, { jpegQuality: 10 });
    expect(lo.jpeg.length).toBeLessThan(hi.jpeg.length);
  });

  it('rejects a truncated video with MediaDecodeError instead of returning fewer frames', async () => {
    const file = path.join(dir, 'cut.mp4');
    const bytes = await readFile(SAMPLE_MP4);
    await writeFile(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const info = requireVideo(await probeMedia(file)); // the header survives, so probing passes
    await expect(sampleFrames(file, info, { mode: 'fps', fps: 1 })).rejects.toThrow(MediaDecodeError);
    await expect(sampleFrames(file, info, { mode: 'fps', fps: 1 })).rejects.toThrow(/truncated or corrupt/);
  });

  it('rejects an fps of 0 before starting ffmpeg', async () => {
    const copy = path.join(dir, 'v.mp4');
    await copyFile(SAMPLE_MP4, copy);
    const info = requireVideo(await probeMedia(copy));
    await expect(sampleFrames(copy, info, { mode: 'fps', fps: 0 })).rejects.toThrow(InvalidOptionError);
  });
});

describe('sampleFrames with a slow onFrame', () => {
  it('pauses ffmpeg while maxPending calls are unfinished, and still delivers every frame in order', async () => {
    const info = requireVideo(await probeMedia(SAMPLE_MP4));
    let running = 0;
    let most = 0;
    const seen: number[] = [];
    const frames = await sampleFrames(SAMPLE_MP4, info, { mode: 'fps', fps: 10 }, {
      keepJpeg: false,
      maxPending: 4,
      onFrame: async (f) => {
        running++;
        most = Math.max(most, running);
        seen.push(f.time);
        await new Promise((r) => setTimeout(r, 10));
        running--;
      },
    });
    expect(frames).toHaveLength(180);
    expect(seen).toEqual(frames.map((f) => f.time));
    // Frames a pipe read delivers after the pause wait in line: never more than maxPending calls at once,
    // with Debian's ffmpeg (about one JPEG per read) and the npm 2018 build (whole 64 KiB reads) alike.
    expect(most).toBeLessThanOrEqual(4);
    expect(most).toBeGreaterThanOrEqual(4);
  });
});

describe('JpegStreamSplitter', () => {
  it('splits concatenated JPEGs however the stream is chunked', async () => {
    const info = requireVideo(await probeMedia(SAMPLE_MP4));
    const frames = await sampleFrames(SAMPLE_MP4, info, { mode: 'scene', threshold: 0.3 });
    const stream = Buffer.concat(frames.map((f) => f.jpeg));
    const splitter = new JpegStreamSplitter();
    const out: Buffer[] = [];
    for (let i = 0; i < stream.length; i += 777) out.push(...splitter.push(stream.subarray(i, i + 777)));
    expect(out.map((b) => b.length)).toEqual(frames.map((f) => f.jpeg.length));
    expect(splitter.pending).toBe(0);
  });
});

describe('frameFileName', () => {
  it('names frames by zero-padded milliseconds so names sort by time', () => {
    expect(frameFileName(12.5)).toBe('t000012.500.jpg');
    expect(frameFileName(0.04)).toBe('t000000.040.jpg');
    const names = [100, 9.999, 10].map(frameFileName);
    expect([...names].sort()).toEqual(['t000009.999.jpg', 't000010.000.jpg', 't000100.000.jpg']);
  });
});
