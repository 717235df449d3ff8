import { stat } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { EmbedBatchError, EncodeInputError, InvalidOptionError } from '../src/core/errors/index.js';
import { AUDIO_SAMPLE_RATE, decodePcm, defaultBinary, type PcmRun } from '../src/core/ffmpeg/index.js';
import { BaseEncoder, describeMedia, mean, type BaseEncoderParams, type Unit } from './base.js';
import type { AudioInput, PcmAudio } from './types.js';

function isPcm(x: unknown): x is PcmAudio {
  return typeof x === 'object' && x !== null && !(x instanceof Uint8Array) && 'samples' in x && 'sampleRate' in x;
}

/** What ffmpeg said when a decode failed: its last error lines. */
function ffmpegSays(run: PcmRun): string {
  return run.errors.slice(-2).join(' / ') || `ffmpeg exited with ${run.code}`;
}

/**
 * Decodes any audio ffmpeg reads (a path or encoded bytes), or takes PCM samples, and returns
 * 16 kHz mono float32. PCM at another rate or with several channels is downmixed by averaging
 * channels and resampled by ffmpeg (its default swresample filter), so files and PCM go through
 * the same resampler. Every failure is an {@link EncodeInputError} naming the input.
 *
 * @example
 * const samples = await decodeAudioInput('speech.mp3'); // Float32Array at 16 kHz
 */
export async function decodeAudioInput(input: AudioInput, { ffmpeg, sampleRate = AUDIO_SAMPLE_RATE }: { ffmpeg?: string; sampleRate?: number } = {}): Promise<Float32Array> {
  const name = describeMedia(input);
  const fail = (reason: string, cause?: unknown) => new EncodeInputError(name, 'audio', reason, { cause });
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
    const bin = ffmpeg ?? defaultBinary('ffmpeg').path;
    const run = await decodePcm({ pcm: mono, sampleRate: rate }, { ffmpeg: bin, sampleRate }).catch((err: unknown) => {
      throw fail(`cannot resample: ${(err as Error).message}`, err);
    });
    if (run.code !== 0) throw fail(`cannot resample: ${ffmpegSays(run)}`);
    return run.samples;
  }
  if (typeof input === 'string') {
    const st = await stat(input).catch((err: NodeJS.ErrnoException) => {
      throw fail(err.code === 'ENOENT' ? 'no such file' : `cannot read it (${err.code ?? err.message})`, err);
    });
    if (!st.isFile()) throw fail('is not a file');
  } else if (!(input instanceof Uint8Array)) {
    throw fail(`expected a file path, encoded bytes or PcmAudio, got ${typeof input}`);
  }
  const bin = ffmpeg ?? defaultBinary('ffmpeg').path;
  let run: PcmRun;
  try {
    run = await decodePcm(input, { ffmpeg: bin, sampleRate });
  } catch (err) {
    throw fail(`ffmpeg cannot decode it: ${(err as Error).message}`, err);
  }
  if (run.code !== 0) {
    const msg = ffmpegSays(run);
    if (/Invalid data found|could not find codec|Invalid argument|does not contain any stream|moov atom|unknown format/i.test(msg)) {
      throw fail(`is not audio ffmpeg can decode (${msg})`);
    }
    throw fail(`ffmpeg cannot decode it: ${msg}`);
  }
  if (run.samples.length === 0) throw fail('contains no audio samples');
  return run.samples;
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
    this.#window = Math.round(windowSeconds * AUDIO_SAMPLE_RATE);
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
        t += u.weights[i] / AUDIO_SAMPLE_RATE;
        return { start, end: t, vector: this.heads.project('audio', v) };
      });
    });
  }

  protected describe(input: AudioInput): string {
    return describeMedia(input);
  }

  protected async prepare(input: AudioInput): Promise<Unit<AudioUnit>[]> {
    const samples = await decodeAudioInput(input, { ffmpeg: this.#ffmpeg });
    if (samples.length < this.#min) {
      throw new EncodeInputError(describeMedia(input), 'audio', `is too short (${((samples.length / AUDIO_SAMPLE_RATE) * 1000).toFixed(1)} ms; the model needs at least ${((this.#min / AUDIO_SAMPLE_RATE) * 1000).toFixed(1)} ms)`);
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
