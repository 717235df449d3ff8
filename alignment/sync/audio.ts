/** Synchronisation against decoded audio: the VAD, then {@link synchroniseCues}. */
import { DEFAULT_VAD } from '../../src/core/defaults.js';
import type { Cue } from '../../src/core/types.js';
import { synchroniseCues, type SynchroniseOptions, type SubtitleSyncResult } from './synchronise.js';
import { createVad, type VadName } from './vad/index.js';
import type { SileroOptions } from './vad/silero.js';
import type { DetectOptions, VoiceActivityDetector } from './vad/types.js';

/** Decoded mono audio; sample 0 plays at `start` seconds (0 unless a window was decoded). */
export interface AudioSamples {
  samples: Float32Array;
  sampleRate: number;
  start?: number;
}

export interface SynchroniseAudioOptions extends Omit<SynchroniseOptions, 'method'>, DetectOptions {
  /** A VAD by name (default 'silero') or an instance the caller owns (reused across videos). */
  vad?: VadName | VoiceActivityDetector;
  silero?: SileroOptions;
}

/**
 * Finds the mapping of cues onto the speech of decoded 16 kHz audio and moves them when trustworthy.
 * This is what `align --sync auto` calls with the audio it has decoded anyway.
 *
 * @example
 * const audio = await decodeAudio('film.mkv');
 * const { mapping, cues, speech } = await synchroniseAudio(doc.cues, audio, { vad: 'silero' });
 */
export async function synchroniseAudio(cues: readonly Cue[], audio: AudioSamples, options: SynchroniseAudioOptions = {}): Promise<SubtitleSyncResult> {
  const { vad = DEFAULT_VAD, silero, onProgress, signal, ...rest } = options;
  const owned = typeof vad === 'string';
  const detector = owned ? await createVad(vad, silero) : vad;
  try {
    const curve = await detector.detect(audio.samples, audio.sampleRate, { onProgress, signal });
    const origin = audio.start ?? 0;
    const speech = origin === 0 ? curve : { ...curve, start: curve.start + origin };
    return synchroniseCues(cues, speech, { ...rest, method: detector.name === 'silero' ? 'vad-silero' : 'vad-webrtc' });
  } finally {
    if (owned) await detector.close();
  }
}
