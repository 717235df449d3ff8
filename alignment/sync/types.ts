/** Shapes shared by the synchronisation steps (see PLAN.md's sync.json contract). */
import type { Cue } from '../../src/core/types.js';

/** A soft speech curve: `probabilities[n]` is P(speech) at `start + n * step` seconds. */
export interface SpeechCurve {
  step: number;
  start: number;
  probabilities: Float32Array;
}

/** From subtitle time `at` (original timeline, seconds) on, cues move by `offset` instead. */
export interface SyncSplit {
  at: number;
  offset: number;
}

export type SyncMethod = 'vad-silero' | 'vad-webrtc' | 'reference-subtitles' | 'none';

/**
 * How subtitle time maps onto video time: `video = ratio * sub + offset`, with `offset` replaced by
 * `splits[k].offset` from `splits[k].at` on. `applied` says whether the cues were moved; when not,
 * `reason` says why and the numbers are the best estimate, for information.
 */
export interface SyncMapping {
  offset: number;
  ratio: number;
  splits: SyncSplit[];
  confidence: number;
  method: SyncMethod;
  applied: boolean;
  reason: string;
}

/** A cue after synchronisation, with its original times and whether it was used as speech. */
export interface SyncedCue extends Cue {
  originalStart: number;
  originalEnd: number;
  spoken: boolean;
}

/** A time span in seconds (cue or shot). */
export interface Span {
  start: number;
  end: number;
  /** For a cue: the silent gap before it (after the previous cue's end), seconds; scored when given. */
  gap?: number;
}
