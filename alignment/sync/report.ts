/** The sync.json document of an align output folder (PLAN.md's contract), from a sync result. */
import { SYNC_DEFAULTS } from './defaults.js';
import { decimate } from './signal.js';
import type { SpeechCurve, SyncedCue, SyncMapping } from './types.js';

export interface SyncJson {
  version: 1;
  mapping: SyncMapping;
  cues: { index: number; start: number; end: number; originalStart: number; originalEnd: number; spoken: boolean }[];
  speech: { step: number; start: number; probabilities: number[] };
}

/**
 * The JSON written to `DIR/sync.json`. Long videos get their speech curve averaged to
 * `reportStep` (0.05 s) so the file stays small; probabilities are rounded to 3 decimals.
 *
 * @example
 * await writeFileAtomic(join(dir, 'sync.json'), JSON.stringify(toSyncJson(result)));
 */
export function toSyncJson(result: { mapping: SyncMapping; cues: readonly SyncedCue[]; speech: SpeechCurve }): SyncJson {
  const s = result.speech;
  const duration = s.probabilities.length * s.step;
  const curve = duration > SYNC_DEFAULTS.reportDecimateAfter ? decimate(s, SYNC_DEFAULTS.reportStep) : s;
  return {
    version: 1,
    mapping: result.mapping,
    cues: result.cues.map((c) => ({
      index: c.index,
      start: c.start,
      end: c.end,
      originalStart: c.originalStart,
      originalEnd: c.originalEnd,
      spoken: c.spoken,
    })),
    speech: {
      step: Math.round(curve.step * 1e6) / 1e6,
      start: curve.start,
      probabilities: Array.from(curve.probabilities, (p) => Math.round(p * 1000) / 1000),
    },
  };
}
