import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEncoder, EmbedBatchError, EncodeInputError, type AudioEncoderApi } from 'mmalign';
import { audioWindows, decodeAudioInput, normalizeAudio, receptiveField } from '../encoders/audio.js';
import { resolveFfmpegBinary } from '../src/core/ffmpeg/index.js';
import { makeAudio, maxDiff, norm, tone, type AudioFixtures } from './encoders-media.js';

const MODELS = fileURLToPath(new URL('../fixtures/models', import.meta.url));
const MODEL = 'mmalign/tiny-wav2vec2';
const quiet = { warn: () => undefined };

let enc: AudioEncoderApi;
let dir: string;
let au: AudioFixtures;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mmalign-audio-'));
  [enc, au] = await Promise.all([createEncoder('audio', { model: MODEL, modelsDir: MODELS, device: 'cpu', logger: quiet }), makeAudio(dir)]);
});
afterAll(async () => {
  await enc?.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('audio decoding', () => {
  it('finds ffmpeg from FFMPEG_PATH first, then PATH', async () => {
    // FFMPEG_PATH must name an executable file (the driver's rule): any will do to see it win over the PATH.
    const bin = join(dir, 'bin');
    await mkdir(bin, { recursive: true });
    await writeFile(join(bin, 'ffmpeg'), '#!/bin/sh\n', { mode: 0o755 });
    expect(resolveFfmpegBinary('ffmpeg', { env: { FFMPEG_PATH: process.execPath, PATH: bin } }).path).toBe(process.execPath);
    expect(resolveFfmpegBinary('ffmpeg', { env: { PATH: `/nonexistent:${bin}` } }).path).toBe(join(bin, 'ffmpeg'));
  });

  it('decodes a float WAV at 16 kHz to exactly its samples', async () => {
    const samples = await decodeAudioInput(au.wav);
    expect(samples.length).toBe(au.samples.length);
    expect(maxDiff(samples, au.samples)).toBeLessThan(1e-6);
  });

  it('downmixes and resamples 44.1 kHz stereo to 16 kHz mono', async () => {
    const samples = await decodeAudioInput(au.wav44);
    expect(Math.abs(samples.length - au.samples.length)).toBeLessThanOrEqual(16);
  });

  it('resamples PcmAudio at another rate with several channels', async () => {
    const mono = tone(1, 8000);
    const stereo = new Float32Array(mono.length * 2);
    mono.forEach((s, i) => stereo.set([s, s], i * 2));
    const out = await decodeAudioInput({ samples: stereo, sampleRate: 8000, channels: 2 });
    expect(out.length).toBeGreaterThanOrEqual(15_990);
    expect(out.length).toBeLessThanOrEqual(16_010);
    // The signal survives: correlate against the same tone generated at 16 kHz.
    const ref = tone(1, 16_000);
    let dot = 0;
    for (let i = 0; i < Math.min(out.length, ref.length); i++) dot += out[i] * ref[i];
    expect(dot / (norm(out) * norm(ref))).toBeGreaterThan(0.95);
  });

  it('normalises to zero mean and unit variance', () => {
    const x = normalizeAudio(tone(0.5));
    const mean = x.reduce((a, b) => a + b, 0) / x.length;
    const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length;
    expect(Math.abs(mean)).toBeLessThan(1e-5);
    expect(variance).toBeCloseTo(1, 4);
  });

  it('cuts long audio into back-to-back windows and folds a short tail into the last one', () => {
    expect(audioWindows(50, 100, 10)).toEqual([[0, 50]]);
    expect(audioWindows(250, 100, 10)).toEqual([[0, 100], [100, 200], [200, 250]]);
    expect(audioWindows(205, 100, 10)).toEqual([[0, 100], [100, 205]]);
  });

  it('knows the conv stack needs 400 samples for one frame', () => {
    expect(receptiveField({})).toBe(400);
  });
});

describe('audio encoder', () => {
  it('embeds WAV, MP3, OGG, encoded bytes and PcmAudio into 256-d unit vectors', async () => {
    const inputs = [au.wav, au.mp3, au.ogg, au.wav44, await readFile(au.mp3), { samples: au.samples, sampleRate: 16_000 }];
    const out = await enc.embed(inputs);
    expect(out).toHaveLength(inputs.length);
    for (const v of out) {
      expect(v.length).toBe(256);
      expect(norm(v)).toBeCloseTo(1, 5);
    }
    // The float WAV and the PCM it was written from are the same audio.
    expect(maxDiff(out[0], out[5])).toBeLessThan(1e-5);
  });

  it('gives the same vectors in a batch as one clip at a time', async () => {
    const clips = [tone(0.7), tone(1.2), tone(0.7).map((x) => x * 0.5), tone(2)].map((samples) => ({ samples, sampleRate: 16_000 }));
    const batch = await enc.embed(clips);
    for (let i = 0; i < clips.length; i++) {
      const [single] = await enc.embed([clips[i]]);
      expect(maxDiff(batch[i], single)).toBeLessThan(1e-5);
    }
  });

  it('averages long audio over its windows, weighted by duration', async () => {
    const windowed = await createEncoder('audio', { model: MODEL, modelsDir: MODELS, device: 'cpu', logger: quiet, windowSeconds: 1 });
    try {
      const samples = tone(3.5);
      const [whole] = await windowed.embedNative([{ samples, sampleRate: 16_000 }]);
      const parts = [samples.subarray(0, 16_000), samples.subarray(16_000, 32_000), samples.subarray(32_000)];
      const natives = await windowed.embedNative(parts.map((p) => ({ samples: p.slice(), sampleRate: 16_000 })));
      const expected = new Float32Array(whole.length);
      natives.forEach((v, i) => v.forEach((x, k) => (expected[k] += (x * parts[i].length) / samples.length)));
      expect(maxDiff(whole, expected)).toBeLessThan(1e-5);
    } finally {
      await windowed.dispose();
    }
  });

  it('returns each window with its times on request', async () => {
    const windowed = await createEncoder('audio', { model: MODEL, modelsDir: MODELS, device: 'cpu', logger: quiet, windowSeconds: 1 });
    try {
      const [windows] = await windowed.embedWindows([{ samples: tone(2.5), sampleRate: 16_000 }]);
      expect(windows.map((w) => [w.start, w.end])).toEqual([
        [0, 1],
        [1, 2],
        [2, 2.5],
      ]);
      for (const w of windows) expect(norm(w.vector)).toBeCloseTo(1, 5);
      const [second] = await windowed.embed([{ samples: tone(2.5).slice(16_000, 32_000), sampleRate: 16_000 }]);
      expect(maxDiff(windows[1].vector, second)).toBeLessThan(1e-5);
    } finally {
      await windowed.dispose();
    }
  });

  it('names a missing file and a file that is not audio, and embeds the rest', async () => {
    const missing = join(dir, 'missing.wav');
    const err = (await enc.embed([missing, au.wav, au.notAudio]).catch((e: unknown) => e)) as EmbedBatchError;
    expect(err).toBeInstanceOf(EmbedBatchError);
    expect(err.failures.map((f) => f.index)).toEqual([0, 2]);
    expect(err.failures[0].error).toBeInstanceOf(EncodeInputError);
    expect(err.failures[0].error.message).toContain(missing);
    expect(err.failures[1].error.message).toMatch(/not-audio\.mp3.*not audio/);
    expect(err.results[1]?.length).toBe(256);
  });

  it('rejects audio too short for the model with the reason', async () => {
    const [o] = await enc.embedSettled([{ samples: new Float32Array(100), sampleRate: 16_000 }]);
    expect(!o.ok && o.error.message).toMatch(/too short/);
  });
});
