import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { env as processEnv, readEnv, type EnvVars } from '../src/core/env.js';
import { EmbedBatchError, EncodeInputError, FfmpegNotFoundError, InvalidOptionError } from '../src/core/errors/index.js';
import { BaseEncoder, describeMedia, mean, type BaseEncoderParams, type Unit } from './base.js';
import type { AudioInput, PcmAudio } from './types.js';

/** Wav2Vec2 and friends take 16 kHz mono. */
export const SAMPLE_RATE = 16_000;

/**
 * The ffmpeg binary to use: `$FFMPEG_PATH` if set, else the first `ffmpeg` on `$PATH`, else the
 * static build from `@ffmpeg-installer/ffmpeg`. The system one comes first because the npm build
 * dates from 2018 and reads fewer formats.
 *
 * @example
 * const bin = await resolveFfmpeg(); // '/usr/bin/ffmpeg'
 */
export async function resolveFfmpeg({ env: vars }: { env?: EnvVars } = {}): Promise<string> {
  const env = vars ? readEnv(vars) : processEnv;
  if (env.ffmpegPath) return env.ffmpegPath;
  for (const dir of env.searchPath) {
    const candidate = join(dir, 'ffmpeg');
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  try {
    const mod = createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string };
    return mod.path;
  } catch (err) {
    throw new FfmpegNotFoundError('ffmpeg', [`FFMPEG_PATH (unset)`, 'PATH', `@ffmpeg-installer/ffmpeg (${(err as Error).message})`]);
  }
}

function isPcm(x: unknown): x is PcmAudio {
  return typeof x === 'object' && x !== null && !(x instanceof Uint8Array) && 'samples' in x && 'sampleRate' in x;
}

/** Runs ffmpeg with optional stdin bytes and returns its stdout as float32 samples. */
function runFfmpeg(ffmpeg: string, args: string[], stdin: Uint8Array | null): Promise<Float32Array> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpeg, args, { stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        const lines = err.trim().split('\n').filter(Boolean);
        reject(new Error(lines.slice(-2).join(' / ') || `ffmpeg exited with ${code}`));
        return;
      }
      const buf = Buffer.concat(out);
      // Copy into an aligned buffer: Buffer.concat's offset need not be a multiple of 4.
      const samples = new Float32Array(Math.floor(buf.byteLength / 4));
      new Uint8Array(samples.buffer).set(buf.subarray(0, samples.length * 4));
      resolve(samples);
    });
    if (stdin && child.stdin) {
      // ffmpeg may stop reading early (bad data); that EPIPE is reported by the exit code instead.
      child.stdin.on('error', () => undefined);
      child.stdin.end(stdin);
    }
  });
}

/**
 * Decodes any audio ffmpeg reads (a path or encoded bytes), or takes PCM samples, and returns
 * 16 kHz mono float32. PCM at another rate or with several channels is downmixed by averaging
 * channels and resampled by ffmpeg (its default swresample filter), so files and PCM go through
 * the same resampler.
 *
 * @example
 * const samples = await decodeAudio('speech.mp3'); // Float32Array at 16 kHz
 */
export async function decodeAudio(input: AudioInput, { ffmpeg, sampleRate = SAMPLE_RATE }: { ffmpeg?: string; sampleRate?: number } = {}): Promise<Float32Array> {
  const name = describeMedia(input);
  const fail = (reason: string, cause?: unknown) => new EncodeInputError(name, 'audio', reason, { cause });
  const output = ['-vn', '-ac', '1', '-ar', String(sampleRate), '-f', 'f32le', 'pipe:1'];
  const base = ['-nostdin', '-hide_banner', '-loglevel', 'error'];
  if (isPcm(input)) {
    const { samples, sampleRate: rate, channels = 1 } = input;
    if (!(samples instanceof Float32Array)) throw fail('PcmAudio.samples must be a Float32Array');
    if (!Number.isInteger(channels) || channels < 1 || samples.length % channels !== 0) {
      throw fail(`${samples.length} samples do not divide into ${channels} interleaved channels`);
    }
    if (!(rate > 0)) throw fail(`invalid sample rate ${rate}`);
    let mono = samples;
    if (channels > 1) {
      mono = new Float32Array(samples.length / channels);
      for (let i = 0; i < mono.length; i++) {
        let s = 0;
        for (let c = 0; c < channels; c++) s += samples[i * channels + c];
        mono[i] = s / channels;
      }
    }
    if (rate === sampleRate) return mono === samples ? samples.slice() : mono;
    const bin = ffmpeg ?? (await resolveFfmpeg());
    const bytes = new Uint8Array(mono.buffer, mono.byteOffset, mono.byteLength);
    return runFfmpeg(bin, [...base, '-f', 'f32le', '-ar', String(rate), '-ac', '1', '-i', 'pipe:0', ...output], bytes).catch((err) => {
      throw fail(`cannot resample: ${(err as Error).message}`, err);
    });
  }
  if (typeof input === 'string') {
    const st = await stat(input).catch((err: NodeJS.ErrnoException) => {
      throw fail(err.code === 'ENOENT' ? 'no such file' : `cannot read it (${err.code ?? err.message})`, err);
    });
    if (!st.isFile()) throw fail('is not a file');
  } else if (!(input instanceof Uint8Array)) {
    throw fail(`expected a file path, encoded bytes or PcmAudio, got ${typeof input}`);
  }
  const bin = ffmpeg ?? (await resolveFfmpeg());
  const source = typeof input === 'string' ? input : 'pipe:0';
  let samples: Float32Array;
  try {
    samples = await runFfmpeg(bin, [...base, '-i', source, ...output], typeof input === 'string' ? null : input);
  } catch (err) {
    const msg = (err as Error).message;
    if (/Invalid data found|could not find codec|Invalid argument|does not contain any stream|moov atom|unknown format/i.test(msg)) {
      throw fail(`is not audio ffmpeg can decode (${msg})`, err);
    }
    throw fail(`ffmpeg cannot decode it: ${msg}`, err);
  }
  if (samples.length === 0) throw fail('contains no audio samples');
  return samples;
}

/** Zero-mean, unit-variance, as Wav2Vec2FeatureExtractor does (`(x - mean) / sqrt(var + 1e-7)`). */
export function normalizeAudio(x: Float32Array): Float32Array {
  let m = 0;
  for (let i = 0; i < x.length; i++) m += x[i];
  m /= x.length;
  let v = 0;
  for (let i = 0; i < x.length; i++) v += (x[i] - m) * (x[i] - m);
  v /= x.length;
  const inv = 1 / Math.sqrt(v + 1e-7);
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = (x[i] - m) * inv;
  return out;
}

/**
 * Window boundaries, in samples: `[0, W), [W, 2W), …`, no overlap. A tail shorter than `minTail`
 * joins the window before it (so no window is too short for the model to say much about), which
 * makes the last window up to `W + minTail` long.
 */
export function audioWindows(n: number, windowSamples: number, minTail: number): Array<[number, number]> {
  if (n <= windowSamples) return [[0, n]];
  const out: Array<[number, number]> = [];
  for (let s = 0; s < n; s += windowSamples) out.push([s, Math.min(n, s + windowSamples)]);
  const last = out[out.length - 1];
  if (out.length > 1 && last[1] - last[0] < minTail) {
    out.pop();
    out[out.length - 1][1] = n;
  }
  return out;
}

/** The shortest input (in samples) that yields one frame from the conv feature encoder. */
export function receptiveField(config: Record<string, unknown>): number {
  const kernels = (config.conv_kernel as number[] | undefined) ?? [10, 3, 3, 3, 3, 2, 2];
  const strides = (config.conv_stride as number[] | undefined) ?? [5, 2, 2, 2, 2, 2, 2];
  let field = 1;
  let jump = 1;
  kernels.forEach((k, i) => {
    field += (k - 1) * jump;
    jump *= strides[i] ?? 1;
  });
  return field;
}

/** One window of an audio input in the shared space, with its place in the input. */
export interface AudioWindowEmbedding {
  /** Seconds from the start of the input. */
  start: number;
  end: number;
  vector: Float32Array;
}

interface AudioUnit {
  samples: Float32Array;
  start: number;
  end: number;
}

export interface AudioEncoderParams extends Omit<BaseEncoderParams<'audio'>, 'modality' | 'prepareMode' | 'exactSizeBatches' | 'prepareConcurrency'> {
  /** From preprocessor_config.json. */
  doNormalize: boolean;
  /** Seconds per window for long audio (default 10). */
  windowSeconds: number;
  /** Shortest input the model accepts, in samples. */
  minSamples: number;
  ffmpeg?: string;
}

/**
 * Wav2Vec2-style audio encoder: ffmpeg decoding to 16 kHz mono (overlapping the previous batch's
 * inference), per-window normalisation, mean-pooling of the last hidden state over frames. Long
 * audio is cut into windows; `embed` averages them (weighted by duration), `embedWindows` returns
 * each. Only equal-length windows share a batch: Wav2Vec2-base has no attention mask, so padding
 * would change the result.
 */
export class AudioEncoder extends BaseEncoder<'audio', AudioUnit> {
  readonly #doNormalize: boolean;
  readonly #window: number;
  readonly #min: number;
  readonly #ffmpeg: string | undefined;
  readonly #mask: boolean;
  readonly #input: string;
  readonly #output: string;

  constructor({ doNormalize, windowSeconds, minSamples, ffmpeg, ...p }: AudioEncoderParams) {
    super({ ...p, modality: 'audio', prepareMode: 'chunk', exactSizeBatches: true, prepareConcurrency: 2 });
    if (!(windowSeconds > 0)) throw new InvalidOptionError('windowSeconds', windowSeconds, 'a number of seconds > 0');
    this.#doNormalize = doNormalize;
    this.#window = Math.round(windowSeconds * SAMPLE_RATE);
    this.#min = minSamples;
    this.#ffmpeg = ffmpeg;
    this.#mask = p.session.inputNames.includes('attention_mask');
    this.#input = p.session.inputNames.includes('input_values') ? 'input_values' : p.session.inputNames[0];
    this.#output = p.session.outputNames.includes('last_hidden_state') ? 'last_hidden_state' : p.session.outputNames[0];
  }

  /**
   * Embeds each window of each input instead of averaging them: one array of windows per input.
   *
   * @example
   * const [windows] = await audio.embedWindows(['lecture.mp3']);
   * for (const w of windows) console.log(w.start, w.end, w.vector.length); // 0 10 256, 10 20 256, …
   */
  async embedWindows(batch: readonly AudioInput[]): Promise<AudioWindowEmbedding[][]> {
    const units = await this.embedUnits(batch);
    const failures = units.flatMap((u, index) => (u.ok ? [] : [{ index, error: u.error }]));
    if (failures.length > 0) {
      throw new EmbedBatchError(failures, units.map((u) => (u.ok ? this.heads.project('audio', mean(u.vectors, u.weights)) : undefined)));
    }
    return units.map((u) => {
      if (!u.ok) throw u.error;
      // Windows are contiguous, so each starts where the previous ended.
      let t = 0;
      return u.vectors.map((v, i) => {
        const start = t;
        t += u.weights[i] / SAMPLE_RATE;
        return { start, end: t, vector: this.heads.project('audio', v) };
      });
    });
  }

  protected describe(input: AudioInput): string {
    return describeMedia(input);
  }

  protected async prepare(input: AudioInput): Promise<Unit<AudioUnit>[]> {
    const samples = await decodeAudio(input, { ffmpeg: this.#ffmpeg });
    if (samples.length < this.#min) {
      throw new EncodeInputError(describeMedia(input), 'audio', `is too short (${((samples.length / SAMPLE_RATE) * 1000).toFixed(1)} ms; the model needs at least ${((this.#min / SAMPLE_RATE) * 1000).toFixed(1)} ms)`);
    }
    // A tail under a quarter window says little on its own: it joins the window before it.
    return audioWindows(samples.length, this.#window, Math.max(this.#min, Math.round(this.#window / 4))).map(([s, e]) => {
      const w = samples.subarray(s, e);
      return { payload: { samples: this.#doNormalize ? normalizeAudio(w) : w.slice(), start: s, end: e }, weight: e - s, size: e - s };
    });
  }

  protected async run(units: readonly AudioUnit[]): Promise<Float32Array[]> {
    const n = units[0].samples.length;
    const values = new Float32Array(units.length * n);
    units.forEach((u, i) => values.set(u.samples, i * n));
    const feeds: Record<string, ort.Tensor> = { [this.#input]: new ort.Tensor('float32', values, [units.length, n]) };
    if (this.#mask) feeds.attention_mask = new ort.Tensor('int64', new BigInt64Array(units.length * n).fill(1n), [units.length, n]);
    const out = await this.session.run(feeds, [this.#output]);
    const t = out[this.#output];
    try {
      const [b, frames, h] = t.dims;
      const data = t.data as Float32Array;
      return Array.from({ length: b }, (_, i) => {
        const v = new Float32Array(h);
        for (let f = 0; f < frames; f++) {
          const row = (i * frames + f) * h;
          for (let k = 0; k < h; k++) v[k] += data[row + k];
        }
        for (let k = 0; k < h; k++) v[k] /= frames;
        return v;
      });
    } finally {
      t.dispose?.();
    }
  }
}
