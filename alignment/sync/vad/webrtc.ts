/**
 * WebRTC's VAD (libfvad via @echogarden/fvad-wasm, BSD-3-Clause): a GMM on band energies, binary
 * per 10 ms frame. Each aggressiveness mode gives one yes/no; their mean is the soft probability.
 * Under a steady bed of noise or music the gentler modes say "speech" all the time, so the level
 * the curve rarely drops below (a running low quantile) is taken as "no speech" and rescaled away.
 * Much faster than Silero, less robust to music and noise.
 */
import fvad, { type FvadModule } from '@echogarden/fvad-wasm';
import { InvalidOptionError } from '../../../src/core/errors/index.js';
import { SYNC_DEFAULTS, VAD_DEFAULTS } from '../defaults.js';
import type { SpeechCurve } from '../types.js';
import { frameProbabilitiesToGrid, type DetectOptions, type VoiceActivityDetector } from './types.js';

let modulePromise: Promise<FvadModule> | undefined;

const SAMPLE_RATE = VAD_DEFAULTS.sampleRate;
const FRAME = SAMPLE_RATE / 100; // 10 ms

/**
 * WebRTC VAD as a {@link VoiceActivityDetector}.
 *
 * @example
 * const vad = await WebRtcVad.create();
 * const curve = await vad.detect(audio.samples, 16000);
 */
export class WebRtcVad implements VoiceActivityDetector {
  readonly name = 'webrtc' as const;
  private constructor(
    private readonly m: FvadModule,
    private readonly modes: readonly number[],
  ) {}

  static async create({ modes = VAD_DEFAULTS.webrtcModes }: { modes?: readonly number[] } = {}): Promise<WebRtcVad> {
    for (const mode of modes) if (![0, 1, 2, 3].includes(mode)) throw new InvalidOptionError('modes', mode, 'aggressiveness modes from 0 to 3');
    if (modes.length === 0) throw new InvalidOptionError('modes', modes, 'at least one mode');
    modulePromise ??= fvad();
    return new WebRtcVad(await modulePromise, modes);
  }

  async detect(samples: Float32Array, sampleRate: number, options: DetectOptions = {}): Promise<SpeechCurve> {
    if (sampleRate !== SAMPLE_RATE) throw new InvalidOptionError('sampleRate', sampleRate, `${SAMPLE_RATE} (decode the audio at 16 kHz)`);
    const m = this.m;
    const nFrames = Math.floor(samples.length / FRAME);
    const votes = new Float32Array(nFrames);
    const ptr = m._malloc(FRAME * 2);
    const instances = this.modes.map((mode) => {
      const inst = m._fvad_new();
      if (!inst || m._fvad_set_mode(inst, mode) !== 0 || m._fvad_set_sample_rate(inst, SAMPLE_RATE) !== 0) {
        throw new InvalidOptionError('mode', mode, 'a mode libfvad accepts');
      }
      return inst;
    });
    const total = samples.length / SAMPLE_RATE;
    try {
      for (let k = 0; k < nFrames; k++) {
        // HEAP16 may be replaced when WASM memory grows: take it afresh.
        const heap = m.HEAP16;
        const base = ptr >> 1;
        for (let i = 0; i < FRAME; i++) {
          const v = samples[k * FRAME + i];
          heap[base + i] = v >= 1 ? 32767 : v <= -1 ? -32768 : Math.round(v * 32767);
        }
        let yes = 0;
        for (const inst of instances) if (m._fvad_process(inst, ptr, FRAME) === 1) yes++;
        votes[k] = yes / instances.length;
        if ((k & 8191) === 8191) {
          options.signal?.throwIfAborted();
          options.onProgress?.((k * FRAME) / SAMPLE_RATE, total);
          await new Promise<void>((r) => setImmediate(r)); // let a progress bar draw
        }
      }
    } finally {
      for (const inst of instances) m._fvad_free(inst);
      m._free(ptr);
    }
    options.onProgress?.(total, total);
    removeBaseline(votes, this.modes.length);
    const step = SYNC_DEFAULTS.step;
    const centre = (k: number) => (k + 0.5) * 0.01 - VAD_DEFAULTS.webrtcLatency;
    return { step, start: 0, probabilities: frameProbabilitiesToGrid(votes, centre, total, step) };
  }

  async close(): Promise<void> {}
}

/**
 * Rescales `votes` (multiples of 1/levels) so the running low quantile of the surrounding window
 * becomes 0: `(v − base) / (1 − base)`. Windows with real pauses have base 0 and stay as they are.
 */
export function removeBaseline(
  votes: Float32Array,
  levels: number,
  window = VAD_DEFAULTS.webrtcBaselineWindow,
  quantile = VAD_DEFAULTS.webrtcBaselineQuantile,
): void {
  const half = Math.max(1, Math.round(window / 0.02));
  const counts = new Int32Array(levels + 1);
  const level = (v: number) => Math.round(v * levels);
  const src = Float32Array.from(votes);
  let lo = 0;
  let hi = 0; // the window is src[lo, hi)
  for (let k = 0; k < src.length; k++) {
    const a = Math.max(0, k - half);
    const b = Math.min(src.length, k + half + 1);
    while (hi < b) counts[level(src[hi++])]++;
    while (lo < a) counts[level(src[lo++])]--;
    const need = quantile * (hi - lo);
    let seen = 0;
    let base = 0;
    for (let l = 0; l <= levels; l++) {
      seen += counts[l];
      if (seen > need) {
        base = l / levels;
        break;
      }
    }
    votes[k] = base >= 1 ? 0 : Math.max(0, (src[k] - base) / (1 - base));
  }
}
