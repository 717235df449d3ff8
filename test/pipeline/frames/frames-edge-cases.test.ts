/** Frame sampling at the edges: containers that start late or have no duration, long cue lists, failing callbacks, cues past the end. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { probeMedia, requireVideo } from '../../../src/core/ffmpeg/index.js';
import { sampleFrames } from '../../../src/pipeline/frames/index.js';
import { SAMPLE_FPS, SAMPLE_MP4, ffmpegMake, frameNumberOf } from '../../helpers/media.js';
import { tempDir } from '../../helpers/tmp.js';

let dir: string;
beforeEach(() => {
  dir = tempDir('frames-edge');
});

describe('timelines of a container that does not start at 0', () => {
  it('reports MPEG-TS frame times from the video start, matching the frame number burnt into each frame', async () => {
    const ts = path.join(dir, 'sample.ts');
    ffmpegMake(['-i', SAMPLE_MP4, '-c', 'copy', '-f', 'mpegts', ts]);
    const info = requireVideo(await probeMedia(ts));
    expect(info.startTime).toBeGreaterThan(1); // the muxer's default offset: the case under test
    const frames = await sampleFrames(ts, info, { mode: 'fps', fps: 1 });
    expect(frames.length).toBe(18);
    for (const [k, f] of frames.entries()) {
      expect(f.time).toBeGreaterThanOrEqual(k);
      expect(f.time).toBeLessThan(k + 1 / SAMPLE_FPS + 0.05); // the first frame at or after k s
      // The video stream may start a few ms after the container: one constant offset, under 0.1 s.
      const offset = f.time - (await frameNumberOf(f.jpeg)) / SAMPLE_FPS;
      expect(offset).toBeGreaterThanOrEqual(-1e-3);
      expect(offset).toBeLessThan(0.1);
    }
  });
});

describe('cue mode with many targets', () => {
  it('samples 150 cue targets, each at the first frame at or after its target', async () => {
    const info = requireVideo(await probeMedia(SAMPLE_MP4));
    // 150 zero-length cues every 0.1 s: one target each, more than a flat ffmpeg sum can hold.
    const cues = Array.from({ length: 150 }, (_, i) => ({ start: 0.013 + i * 0.1, end: 0.013 + i * 0.1 }));
    const targets = cues.map((c) => Math.round(c.start * 1000) / 1000);
    const frames = await sampleFrames(SAMPLE_MP4, info, { mode: 'cue', perCue: 1, cues });
    expect(frames.map((f) => f.time)).toHaveLength(150);
    for (const [i, f] of frames.entries()) {
      expect(f.time).toBeGreaterThanOrEqual(targets[i]);
      expect(f.time - targets[i]).toBeLessThan(1 / SAMPLE_FPS); // no earlier frame was also at or after it
      expect(await frameNumberOf(f.jpeg)).toBe(Math.round(f.time * SAMPLE_FPS));
    }
  });
});

describe('a failing onFrame callback', () => {
  it('makes sampleFrames reject with the callback error instead of an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);
    try {
      const info = requireVideo(await probeMedia(SAMPLE_MP4));
      const diskFull = new Error('ENOSPC: no space left on device');
      const run = sampleFrames(SAMPLE_MP4, info, { mode: 'fps', fps: 5 }, {
        keepJpeg: false,
        onFrame: async (_frame, i) => {
          if (i === 1) throw diskFull;
        },
      });
      await expect(run).rejects.toBe(diskFull);
      await new Promise((r) => setTimeout(r, 50)); // give a stray rejection time to surface
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', record);
    }
  });

  it('waits for writes already in flight before rejecting, so the caller can clean up safely', async () => {
    const info = requireVideo(await probeMedia(SAMPLE_MP4));
    let firstWriteDone = false;
    const run = sampleFrames(SAMPLE_MP4, info, { mode: 'fps', fps: 5 }, {
      keepJpeg: false,
      onFrame: async (_frame, i) => {
        if (i === 0) {
          await new Promise((r) => setTimeout(r, 300));
          firstWriteDone = true;
        } else if (i === 1) throw new Error('write failed');
      },
    });
    await expect(run).rejects.toThrow('write failed');
    expect(firstWriteDone).toBe(true);
  });

  it('reports a callback that throws synchronously as the rejection', async () => {
    const info = requireVideo(await probeMedia(SAMPLE_MP4));
    const run = sampleFrames(SAMPLE_MP4, info, { mode: 'fps', fps: 5 }, {
      keepJpeg: false,
      onFrame: (_frame, i) => {
        if (i === 2) throw new Error('sync failure');
      },
    });
    await expect(run).rejects.toThrow('sync failure');
  });
});

describe('a video without a container duration', () => {
  it('takes the duration of a streamed MKV from its last video packet and samples it to the end', async () => {
    const mkv = path.join(dir, 'nodur.mkv');
    // Written to a pipe, the muxer cannot seek back to store the duration: the streamed-MKV case.
    await writeFile(mkv, ffmpegMake(['-i', SAMPLE_MP4, '-c', 'copy', '-f', 'matroska', '-']));
    const info = requireVideo(await probeMedia(mkv));
    expect(info.duration).toBeGreaterThan(17.9);
    expect(info.duration).toBeLessThan(18.2);
    const frames = await sampleFrames(mkv, info, { mode: 'fps', fps: 1 });
    const last = frames[frames.length - 1];
    expect(last.time).toBeLessThan(info.duration);
    expect(await frameNumberOf(last.jpeg)).toBe(18 * SAMPLE_FPS - 1); // reached the fixture's final frame
  });
});

describe('cue targets of cues that overhang the video', () => {
  it('samples a frame for a cue that starts inside the video and ends after it', async () => {
    const info = requireVideo(await probeMedia(SAMPLE_MP4));
    const frames = await sampleFrames(SAMPLE_MP4, info, { mode: 'cue', perCue: 1, cues: [{ start: 15, end: 22 }] });
    expect(frames).toHaveLength(1);
    const target = (15 + Math.min(22, info.duration)) / 2;
    expect(frames[0].time).toBeGreaterThanOrEqual(target - 1e-6);
    expect(frames[0].time - target).toBeLessThan(1 / SAMPLE_FPS);
    expect(await frameNumberOf(frames[0].jpeg)).toBe(Math.round(frames[0].time * SAMPLE_FPS));
  });
});
