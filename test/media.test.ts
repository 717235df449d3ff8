import { copyFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  FfmpegNotFoundError,
  InputFileError,
  InvalidOptionError,
  MediaDecodeError,
  NoVideoStreamError,
} from '../src/core/errors/index.js';
import { decodeAudio, probeMedia, requireVideo, resolveFfmpegBinaries, sliceAudio, type MediaInfo } from '../src/core/ffmpeg/index.js';
import { JpegStreamSplitter, cueTargets, frameFileName, sampleFrames } from '../src/media.js';
import { SAMPLE_FPS, SAMPLE_MP4, ffmpegMake, frameNumberOf, tempDir } from './media-helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(() => cleanup());

describe('resolveFfmpegBinaries', () => {
  const exe = process.execPath; // any real executable file stands in for ffmpeg

  it('prefers FFMPEG_PATH over the PATH and npm', () => {
    const b = resolveFfmpegBinaries({ env: { FFMPEG_PATH: exe }, which: () => '/usr/bin/x', npmPath: () => '/npm/x' });
    expect(b).toEqual({ ffmpeg: { path: exe, source: 'env' } });
  });

  it('uses the PATH when no variable is set', () => {
    const b = resolveFfmpegBinaries({ env: {}, which: (name) => `/opt/bin/${name}`, npmPath: () => '/npm/x' });
    expect(b.ffmpeg).toEqual({ path: '/opt/bin/ffmpeg', source: 'path' });
  });

  it('falls back to the npm installer package when the PATH has none', () => {
    const b = resolveFfmpegBinaries({ env: {}, which: () => null, npmPath: (tool) => `/npm/${tool}` });
    expect(b.ffmpeg).toEqual({ path: '/npm/ffmpeg', source: 'npm' });
  });

  it('needs no ffprobe anywhere: ffmpeg alone is resolved', () => {
    const asked: string[] = [];
    resolveFfmpegBinaries({ env: {}, which: (name) => (asked.push(name), `/opt/bin/${name}`), npmPath: () => null });
    expect(asked).toEqual(['ffmpeg']);
  });

  it('throws FfmpegNotFoundError listing what it tried when nothing is found', () => {
    expect(() => resolveFfmpegBinaries({ env: {}, which: () => null, npmPath: () => null })).toThrow(FfmpegNotFoundError);
    expect(() => resolveFfmpegBinaries({ env: {}, which: () => null, npmPath: () => null })).toThrow(/FFMPEG_PATH/);
  });

  it('rejects an FFMPEG_PATH that is not an executable instead of silently using another ffmpeg', () => {
    expect(() => resolveFfmpegBinaries({ env: { FFMPEG_PATH: '/no/such/ffmpeg' }, which: () => '/usr/bin/ffmpeg' })).toThrow(/FFMPEG_PATH=\/no\/such\/ffmpeg/);
  });
});

describe('probeMedia', () => {
  it('reads duration, size, frame rate and the audio stream of the fixture', async () => {
    const info = await probeMedia(SAMPLE_MP4);
    expect(info.duration).toBeCloseTo(18, 1);
    expect(info.video).toMatchObject({ width: 320, height: 240, fps: 25 });
    expect(info.audio?.channels).toBe(1);
    expect(info.streams).toEqual(['video', 'audio']);
  });

  it('names a missing file', async () => {
    const missing = path.join(dir, 'nope.mp4');
    await expect(probeMedia(missing)).rejects.toThrow(InputFileError);
    await expect(probeMedia(missing)).rejects.toThrow(missing);
  });

  it('rejects a text file as not a media file', async () => {
    const file = path.join(dir, 'notes.mp4');
    await writeFile(file, 'these are not video bytes\n');
    await expect(probeMedia(file)).rejects.toThrow(MediaDecodeError);
    await expect(probeMedia(file)).rejects.toThrow(/not a media file/);
  });

  it('rejects an audio-only file as having no video stream', async () => {
    const file = path.join(dir, 'speech.m4a');
    ffmpegMake(['-i', SAMPLE_MP4, '-vn', '-c:a', 'copy', file]);
    const info = await probeMedia(file);
    expect(() => requireVideo(info)).toThrow(NoVideoStreamError);
    expect(() => requireVideo(info)).toThrow(/no video stream \(streams: audio\)/);
  });

  it('rejects a still image as not a video', async () => {
    const file = path.join(dir, 'still.png');
    ffmpegMake(['-f', 'lavfi', '-i', 'color=c=red:s=32x32', '-frames:v', '1', file]);
    const info: MediaInfo = await probeMedia(file);
    expect(info.video).not.toBeNull(); // ffprobe does call it a one-frame video stream
    expect(() => requireVideo(info)).toThrow(/still image/);
  });
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

  it('spreads N frames evenly inside a cue with perCue', () => {
    expect(cueTargets([{ start: 0, end: 3 }], 3)).toEqual([0.5, 1.5, 2.5]);
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

describe('decodeAudio', () => {
  it('decodes the whole track to 16 kHz mono with speech inside cues and silence in the gap', async () => {
    const audio = await decodeAudio(SAMPLE_MP4);
    expect(audio.sampleRate).toBe(16000);
    expect(audio.samples.length / 16000).toBeCloseTo(18, 0);
    const rms = (x: Float32Array) => Math.sqrt(x.reduce((a, v) => a + v * v, 0) / x.length);
    expect(rms(sliceAudio(audio, 0.5, 3.233))).toBeGreaterThan(0.02);
    expect(rms(sliceAudio(audio, 9.5, 12.0))).toBeLessThan(0.002);
  });

  it('decodes a window whose samples line up with the same times in a full decode', async () => {
    const full = await decodeAudio(SAMPLE_MP4);
    const window = await decodeAudio(SAMPLE_MP4, { start: 12, duration: 4 });
    expect(window.samples.length).toBe(4 * 16000);
    const a = sliceAudio(full, 12.5, 15);
    const b = sliceAudio(window, 12.5, 15);
    const corr = (lag: number) => {
      let ab = 0;
      let aa = 0;
      let bb = 0;
      for (let i = 400; i < a.length - 400; i++) {
        ab += a[i] * b[i + lag];
        aa += a[i] * a[i];
        bb += b[i + lag] * b[i + lag];
      }
      return ab / Math.sqrt(aa * bb);
    };
    expect(corr(0)).toBeGreaterThan(0.95);
    expect(corr(0)).toBeGreaterThan(corr(80)); // 5 ms off already correlates worse
  });

  it('slices by seconds and clamps to the track', () => {
    const audio = { samples: new Float32Array(16000 * 2), sampleRate: 16000 };
    expect(sliceAudio(audio, 0.5, 1).length).toBe(8000);
    expect(sliceAudio({ ...audio, start: 10 }, 10.5, 11).length).toBe(8000);
    expect(sliceAudio(audio, 1.5, 9).length).toBe(8000);
    expect(sliceAudio(audio, 5, 6).length).toBe(0);
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
