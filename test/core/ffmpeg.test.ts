/** The ffmpeg driver (src/core/ffmpeg/): finding the binaries, probing, decoding and slicing audio. */
import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { FfmpegNotFoundError, InputFileError, MediaDecodeError, NoVideoStreamError } from '../../src/core/errors/index.js';
import { decodeAudio, probeMedia, requireVideo, resolveFfmpegBinaries, sliceAudio, type MediaInfo } from '../../src/core/ffmpeg/index.js';
import { SAMPLE_MP4, ffmpegMake } from '../helpers/media.js';
import { tempDir } from '../helpers/tmp.js';

let dir: string;
beforeEach(() => {
  dir = tempDir('ffmpeg');
});

/** Root-mean-square level of a stretch of samples. */
function rms(samples: Float32Array): number {
  let s = 0;
  for (const x of samples) s += x * x;
  return Math.sqrt(s / Math.max(1, samples.length));
}

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
    expect(info.video).not.toBeNull(); // ffmpeg does call it a one-frame video stream
    expect(() => requireVideo(info)).toThrow(/still image/);
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

describe('timelines of a container that does not start at 0', () => {
  it('decodes MPEG-TS audio on the same zero as its frames, so speech sits where it does in the MP4', async () => {
    const ts = path.join(dir, 'sample.ts');
    ffmpegMake(['-i', SAMPLE_MP4, '-c', 'copy', '-f', 'mpegts', ts]);
    const [fromTs, fromMp4] = await Promise.all([decodeAudio(ts), decodeAudio(SAMPLE_MP4)]);
    // Compare the loudness envelope in 100 ms windows: a timeline shifted by the 1.4 s start would not match.
    let diff = 0;
    let windows = 0;
    for (let t = 0; t + 0.1 <= 17.5; t += 0.1, windows++) {
      const a = rms(sliceAudio(fromTs, t, t + 0.1));
      const b = rms(sliceAudio(fromMp4, t, t + 0.1));
      diff += Math.abs(a - b);
    }
    expect(diff / windows).toBeLessThan(0.02);
    expect(Math.abs(fromTs.samples.length - fromMp4.samples.length)).toBeLessThan(0.1 * fromMp4.sampleRate);
  });
});

describe('an ffmpeg that crashes while probing', () => {
  it('is reported as the tool crashing, naming the binary and how to use another, not as a bad file', async () => {
    const crash = path.join(dir, 'ffmpeg');
    await writeFile(crash, '#!/bin/sh\nkill -SEGV $$\n');
    await chmod(crash, 0o755);
    const err = await probeMedia(SAMPLE_MP4, { ffmpeg: { path: crash, source: 'env' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaDecodeError);
    expect((err as Error).message).toContain(SAMPLE_MP4);
    expect((err as Error).message).toMatch(/ffmpeg \(.*ffmpeg, from env\) crashed with SIGSEGV.*FFMPEG_PATH/);
  });
});
