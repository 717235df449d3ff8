/** Synchronisation against decoded audio: the VAD (on the whole track, or streamed a window at a time), then {@link synchroniseCues}. */
import { AUDIO_WINDOW_SECONDS, DEFAULT_VAD, SYNC_DEFAULTS, VAD_DEFAULTS } from '../../src/core/defaults.js';
import { InvalidOptionError } from '../../src/core/errors/index.js';
import type { Cue } from '../../src/core/types.js';
import { synchroniseCues, type SynchroniseOptions, type SubtitleSyncResult } from './synchronise.js';
import { createVad, type VadName } from './vad/index.js';
import type { SileroOptions } from './vad/silero.js';
import type { SpeechCurve } from './types.js';
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

/** Window starts are rounded down to a multiple of this (the common multiple of 10 ms and 32 ms). */
const PHASE_SECONDS = 0.16;

/** Reads `duration` seconds of 16 kHz mono audio from `start` (fewer at the end of the track). */
export type AudioWindowReader = (start: number, duration: number) => Promise<AudioSamples>;

export interface StreamedSpeechOptions extends DetectOptions {
  vad?: VadName | VoiceActivityDetector;
  silero?: SileroOptions;
  /** Seconds decoded and detected at a time (default AUDIO_WINDOW_SECONDS). */
  window?: number;
}

/**
 * The speech curve of a long track, read one window at a time so that memory holds one window of
 * samples, never the whole track (two hours at 16 kHz f32 would be 460 MB): each window is read
 * `windowLead` seconds early and that lead is dropped, so the detector has settled where the window
 * begins and the joined curve matches one read of the whole track.
 *
 * @example
 * const { speech } = await streamedSpeech((start, duration) => decodeAudio('film.mkv', { start, duration }), info.duration);
 * const result = synchroniseCues(cues, speech, { method: 'vad-silero' });
 */
export async function streamedSpeech(
  read: AudioWindowReader,
  duration: number,
  options: StreamedSpeechOptions = {},
): Promise<{ speech: SpeechCurve; method: 'vad-silero' | 'vad-webrtc' }> {
  const { vad = DEFAULT_VAD, silero, window = AUDIO_WINDOW_SECONDS, onProgress, signal } = options;
  if (!(window > 0)) throw new InvalidOptionError('window', window, 'a number of seconds > 0');
  const step = SYNC_DEFAULTS.step;
  const lead = VAD_DEFAULTS.windowLead;
  const owned = typeof vad === 'string';
  const detector = owned ? await createVad(vad, silero) : vad;
  try {
    const bins = Math.max(1, Math.ceil(duration / step - 1e-9));
    const out = new Float32Array(bins);
    for (let from = 0; from < duration; from += window) {
      signal?.throwIfAborted();
      const to = Math.min(duration, from + window);
      // Read from a multiple of 160 ms (both the 10 ms grid and Silero's 32 ms window): the detector
      // then sees the same frames as in one read of the whole track, not frames shifted by a fraction.
      const readFrom = Math.max(0, Math.floor((from - lead) / PHASE_SECONDS) * PHASE_SECONDS);
      // The last window reads past the end: ffmpeg stops at the end of the track.
      const audio = await read(readFrom, to - readFrom + (to >= duration ? lead : 0));
      const curve = await detector.detect(audio.samples, audio.sampleRate, {
        signal,
        onProgress: onProgress && ((done) => onProgress(Math.min(duration, from + Math.max(0, done - (from - readFrom))), duration)),
      });
      const origin = (audio.start ?? readFrom) + curve.start;
      const first = Math.round(from / step);
      const last = Math.min(bins, Math.round(to / step) + (to >= duration ? 1 : 0));
      const shift = Math.round(origin / step);
      for (let n = first; n < last; n++) {
        const k = n - shift;
        if (k >= 0 && k < curve.probabilities.length) out[n] = curve.probabilities[k];
      }
    }
    return { speech: { step, start: 0, probabilities: out }, method: detector.name === 'silero' ? 'vad-silero' : 'vad-webrtc' };
  } finally {
    if (owned) await detector.close();
  }
}
