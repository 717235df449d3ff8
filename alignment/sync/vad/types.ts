/** What every voice activity detector offers: 16 kHz mono samples in, a soft speech curve out. */
import type { SpeechCurve } from '../types.js';

export interface DetectOptions {
  /** Called as work proceeds with seconds of audio done and in total. */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface VoiceActivityDetector {
  readonly name: 'silero' | 'webrtc';
  /** Soft P(speech) on a 10 ms grid starting at 0 (sample 0's time). */
  detect(samples: Float32Array, sampleRate: number, options?: DetectOptions): Promise<SpeechCurve>;
  /** Frees the model or WASM instances. */
  close(): Promise<void>;
}

/**
 * Puts per-frame probabilities whose frame k stands at time `centre(k)` onto the grid of `step`
 * (bin n stands for [n·step, (n+1)·step), read at its middle) by linear interpolation.
 */
export function frameProbabilitiesToGrid(
  frames: Float32Array,
  centre: (k: number) => number,
  duration: number,
  step: number,
): Float32Array {
  const out = new Float32Array(Math.max(1, Math.ceil(duration / step - 1e-9)));
  if (frames.length === 0) return out;
  let k = 0;
  for (let n = 0; n < out.length; n++) {
    const t = (n + 0.5) * step;
    while (k + 1 < frames.length && centre(k + 1) <= t) k++;
    const t0 = centre(k);
    if (t <= t0 || k + 1 >= frames.length) {
      out[n] = frames[k];
    } else {
      const t1 = centre(k + 1);
      out[n] = frames[k] + ((t - t0) / (t1 - t0)) * (frames[k + 1] - frames[k]);
    }
  }
  return out;
}
