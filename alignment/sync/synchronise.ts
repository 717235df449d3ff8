/**
 * Synchronisation from cues and a speech curve to a mapping and moved cues: spoken cues only,
 * global fit (offset, framerate), split-aware refinement, quality gate. Pure: no file, no process.
 */
import { InvalidOptionError } from '../../src/core/errors/index.js';
import type { Cue, Warning } from '../../src/core/types.js';
import { spokenCues } from './cues.js';
import { GATE_DEFAULTS, SYNC_DEFAULTS, type SyncTuning } from './defaults.js';
import { NoSpokenCuesError } from '../../src/core/errors/index.js';
import { confidenceOf, decide, measureCoverage, measureSupport, type Evidence } from './gate.js';
import { fitGlobal, type GlobalFit } from './global.js';
import { applyMapping, identityMapping, largestShift, splitsFromSegments, type TimeMapping } from './mapping.js';
import { spanSeconds, SpeechScorer, withGaps } from './signal.js';
import { fitSplits } from './splits.js';
import type { Span, SpeechCurve, SyncedCue, SyncMapping, SyncMethod } from './types.js';
import { maxOf } from '../../src/core/arrays.js';


export interface SynchroniseOptions {
  /** Largest offset searched either way, seconds (default 60). */
  maxOffset?: number;
  /** Try framerate ratios (25/24, 25/23.976, 24/23.976 and inverses, then a fine search); default true. */
  framerate?: boolean;
  /** Allow the mapping to change offset between cues (inserted or removed stretches); default true. */
  splits?: boolean;
  /** What made the speech curve, for the report (default 'none'). */
  method?: SyncMethod;
  /** Names the subtitles in errors (default '<cues>'). */
  file?: string;
  /** Expert knobs (penalty, margins, grid); see SYNC_DEFAULTS. */
  tuning?: Partial<SyncTuning>;
}

export interface SyncDiagnostics {
  spokenCues: number;
  global: GlobalFit;
  evidence: Evidence;
  /** Normalised scores: original timing, global fit, final mapping. */
  scores: { original: number; global: number; final: number };
}

/** `synchronised`: cues moved; `in-sync`: they needed no move; `uncertain`: left as they were, not trustworthy. */
export type SyncStatus = 'synchronised' | 'in-sync' | 'uncertain';

export interface SubtitleSyncResult {
  /** The mapping found; `applied` says whether `cues` were moved by it. */
  mapping: SyncMapping;
  status: SyncStatus;
  /** Every cue (spoken or not), moved when the mapping was applied, else as given. */
  cues: SyncedCue[];
  /** The speech curve the mapping was fitted to (for sync.json). */
  speech: SpeechCurve;
  warnings: Warning[];
  diagnostics: SyncDiagnostics;
}

function resolveTuning(options: SynchroniseOptions): SyncTuning {
  const t: SyncTuning = { ...SYNC_DEFAULTS, ...options.tuning };
  if (options.maxOffset !== undefined) t.maxOffset = options.maxOffset;
  if (!(Number.isFinite(t.maxOffset) && t.maxOffset > 0)) throw new InvalidOptionError('maxOffset', t.maxOffset, 'a number of seconds > 0');
  if (!(t.splitPenalty >= 0)) throw new InvalidOptionError('splitPenalty', t.splitPenalty, 'a number >= 0');
  if (!(t.searchStep > 0 && t.step > 0)) throw new InvalidOptionError('searchStep', t.searchStep, 'a positive step in seconds');
  return t;
}

function checkCurve(speech: SpeechCurve): void {
  if (!(speech.step > 0) || !Number.isFinite(speech.start) || speech.probabilities.length === 0) {
    throw new InvalidOptionError('speech', { step: speech.step, start: speech.start, length: speech.probabilities.length }, 'a non-empty curve with a positive step');
  }
}

/**
 * Finds how the cues map onto the speech and, when the gate trusts it, moves them.
 *
 * @example
 * const { mapping, cues } = synchroniseCues(doc.cues, speech, { method: 'vad-silero' });
 * if (mapping.applied) await writeSubtitleFile('fixed.srt', cues);
 */
export function synchroniseCues(cues: readonly Cue[], speech: SpeechCurve, options: SynchroniseOptions = {}): SubtitleSyncResult {
  const t = resolveTuning(options);
  checkCurve(speech);
  const spoken = spokenCues(cues);
  if (spoken.length === 0) throw new NoSpokenCuesError(options.file ?? '<cues>', cues.length);
  const spans = withGaps(spoken, t.maxGap);
  const total = spanSeconds(spans);
  const scorer = new SpeechScorer(speech, t);

  const global = fitGlobal(spans, speech, { ...t, framerate: options.framerate ?? true });
  let mapping: TimeMapping = { offset: global.offset, ratio: global.ratio, splits: [] };
  let finalScore = global.score;
  if (options.splits ?? true) {
    let fit = fitSplits(spans, scorer, global.ratio, t);
    let penalty = t.splitPenalty;
    if (fit.segments.length > 1) {
      // A split must gain clearly more than splits gain by chance on this curve (see splitGainByChance):
      // with a VAD deaf in noise, blocks of cues can always shop for speech somewhere.
      penalty = Math.max(penalty, t.splitChanceFactor * splitGainByChance(spans, speech, global.ratio, t));
      if (penalty > t.splitPenalty) fit = fitSplits(spans, scorer, global.ratio, { ...t, splitPenalty: penalty });
    }
    if (fit.segments.length > 1 && fit.score - penalty * (fit.segments.length - 1) > global.score) {
      mapping = { ratio: global.ratio, ...splitsFromSegments(spans, fit.segments) };
      finalScore = fit.score;
    }
  }
  const originalScore = scorer.total(spans, 1, 0);
  const evidence: Evidence = {
    ...measureCoverage(scorer, spans, mapping),
    prominence: global.prominence,
    support: measureSupport(scorer, spans, mapping),
  };
  const confidence = confidenceOf(evidence, GATE_DEFAULTS);
  const verdict = decide(
    { confidence, evidence, shift: largestShift(mapping, spans.map((c) => c.start)), gain: (finalScore - originalScore) / total },
    t,
  );
  const round = (x: number, d = 1000) => Math.round(x * d) / d;
  const result: SyncMapping = {
    offset: round(mapping.offset),
    ratio: round(mapping.ratio, 1e7),
    splits: mapping.splits.map((s) => ({ at: round(s.at), offset: round(s.offset) })),
    confidence,
    method: options.method ?? 'none',
    applied: verdict.applied,
    reason: verdict.reason,
  };
  const moved = applyMapping(cues, verdict.applied ? mapping : identityMapping());
  const warnings: Warning[] = [];
  if (moved.dropped > 0) {
    warnings.push({ file: options.file, message: `${moved.dropped} cue(s) fall before the start of the video after synchronisation and were dropped` });
  }
  return {
    mapping: result,
    status: verdict.applied ? 'synchronised' : verdict.lowConfidence ? 'uncertain' : 'in-sync',
    cues: moved.cues,
    speech,
    warnings,
    diagnostics: {
      spokenCues: spoken.length,
      global,
      evidence,
      scores: { original: originalScore / total, global: global.score / total, final: finalScore / total },
    },
  };
}

/**
 * What one split gains by chance on this curve: the split search run on the speech curve played
 * backwards (the same amount and rhythm of speech, no true alignment with any cue), its gain over
 * one global offset divided by its number of splits.
 */
function splitGainByChance(spans: readonly Span[], speech: SpeechCurve, ratio: number, t: SyncTuning): number {
  const reversed: SpeechCurve = { ...speech, probabilities: Float32Array.from(speech.probabilities).reverse() };
  const scaled = spans.map((c) => ({ start: ratio * c.start, end: ratio * c.end, gap: ratio * (c.gap ?? 0) }));
  const nullGlobal = fitGlobal(scaled, reversed, { ...t, framerate: false });
  const nullFit = fitSplits(scaled, new SpeechScorer(reversed, t), 1, t);
  const splits = nullFit.segments.length - 1;
  return splits > 0 ? Math.max(0, nullFit.score - nullGlobal.score) / splits : 0;
}

/**
 * A "speech" curve made from correctly timed subtitles (1 inside their spoken cues), to synchronise
 * other subtitles against them instead of against audio.
 *
 * @example
 * const speech = referenceSpeech(referenceDoc.cues);
 * synchroniseCues(doc.cues, speech, { method: 'reference-subtitles' });
 */
export function referenceSpeech(cues: readonly Cue[], { step = SYNC_DEFAULTS.step, duration, file }: { step?: number; duration?: number; file?: string } = {}): SpeechCurve {
  const spoken = spokenCues(cues);
  if (spoken.length === 0) throw new NoSpokenCuesError(file ?? '<reference>', cues.length);
  const end = Math.max(duration ?? 0, maxOf(spoken.map((c) => c.end))) + 1;
  const p = new Float32Array(Math.ceil(end / step));
  for (const c of spoken) {
    const a = Math.max(0, c.start / step);
    const b = Math.min(p.length, c.end / step);
    for (let n = Math.floor(a); n < Math.ceil(b); n++) {
      const cover = Math.min(b, n + 1) - Math.max(a, n);
      p[n] = Math.min(1, p[n] + cover);
    }
  }
  return { step, start: 0, probabilities: p };
}
