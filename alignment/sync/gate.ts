/**
 * The quality gate: how much to trust a mapping, and whether to apply it. A mapping is applied only
 * when the speech clearly follows the mapped cues, it moves some cue by more than the dead zone, and
 * it scores clearly better than the original timing; otherwise the file is left as it is.
 */
import { GATE_DEFAULTS, type GateTuning } from './defaults.js';
import type { SpeechScorer } from './signal.js';
import type { Span } from './types.js';
import { offsetAt, type TimeMapping } from './mapping.js';

export interface Evidence {
  /** Mean P(speech) inside the mapped spoken cues. */
  coverage: number;
  /** Mean P(speech) in the rest of the audio. */
  background: number;
  /** Prominence of the global correlation peak, in standard deviations of the other offsets. */
  prominence: number;
  /** Share of spoken cues whose own best position (within ±1 s) agrees with the mapping to 0.15 s. */
  support: number;
}

const clamp01 = (x: number): number => (x <= 0 ? 0 : x >= 1 ? 1 : x);

/**
 * Speech inside versus outside the mapped cues (merged, so overlapping cues count once).
 *
 * @example
 * measureCoverage(scorer, spokenSpans, mapping); // { coverage: 0.81, background: 0.12 }
 */
export function measureCoverage(scorer: SpeechScorer, spans: readonly Span[], mapping: TimeMapping): { coverage: number; background: number } {
  const mapped = spans
    .map((c) => {
      const offset = offsetAt(mapping, c.start);
      return { start: Math.max(scorer.start, mapping.ratio * c.start + offset), end: Math.min(scorer.end, mapping.ratio * c.end + offset) };
    })
    .filter((c) => c.end > c.start)
    .sort((a, b) => a.start - b.start);
  let inSpeech = 0;
  let inLength = 0;
  let cursor = -Infinity;
  for (const c of mapped) {
    const a = Math.max(c.start, cursor);
    if (c.end > a) {
      inSpeech += scorer.speech(a, c.end);
      inLength += c.end - a;
      cursor = c.end;
    }
  }
  const allSpeech = scorer.speech(scorer.start, scorer.end);
  const outLength = scorer.end - scorer.start - inLength;
  return {
    coverage: inLength > 0 ? inSpeech / inLength : 0,
    background: outLength > 0 ? (allSpeech - inSpeech) / outLength : 0,
  };
}

/**
 * Share of cues that, moved on their own within ±`radius` s of where the mapping puts them, would
 * stay within ±`tolerance` s. Near 1 when the speech confirms the mapping cue by cue; about
 * 2·tolerance/(2·radius) (chance) when it does not. Independent of how many cues there are.
 *
 * @example
 * measureSupport(scorer, spokenSpans, mapping); // 0.92
 */
export function measureSupport(scorer: SpeechScorer, spans: readonly Span[], mapping: TimeMapping, radius = 1, tolerance = 0.15, step = 0.05): number {
  if (spans.length === 0) return 0;
  let agree = 0;
  const n = Math.round(radius / step);
  for (const c of spans) {
    const offset = offsetAt(mapping, c.start);
    const a = mapping.ratio * c.start + offset;
    const b = mapping.ratio * c.end + offset;
    let best = 0;
    let bestScore = -Infinity;
    for (let k = -n; k <= n; k++) {
      const s = scorer.cue(a + k * step, b + k * step, mapping.ratio * (c.gap ?? 0));
      // Ties go to the smaller move: a flat score (cue wider than its speech) agrees.
      if (s > bestScore + 1e-9 || (Math.abs(s - bestScore) <= 1e-9 && Math.abs(k) < Math.abs(best))) {
        best = k;
        bestScore = s;
      }
    }
    if (Math.abs(best * step) <= tolerance + 1e-9) agree++;
  }
  return agree / spans.length;
}

/**
 * Confidence in [0, 1]: the product of "speech sits in the cues, not elsewhere" and "cue by cue, the
 * speech agrees with the mapping", each ramped from its chance level over its span.
 *
 * @example
 * confidenceOf({ coverage: 0.8, background: 0.15, prominence: 20, support: 0.9 }); // 1
 */
export function confidenceOf(e: Evidence, g: GateTuning = GATE_DEFAULTS): number {
  const contrast = clamp01((e.coverage - e.background - g.contrastFloor) / g.contrastSpan);
  const agreement = clamp01((e.support - g.supportFloor) / g.supportSpan);
  return Math.round(contrast * agreement * 1000) / 1000;
}

export interface GateInput {
  confidence: number;
  evidence: Evidence;
  /** Largest distance the mapping moves a spoken cue start, seconds. */
  shift: number;
  /** (mapping score − original timing score) / spoken seconds. */
  gain: number;
}

export interface GateRules {
  minConfidence: number;
  deadZone: number;
  minGain: number;
}

export type GateVerdict = { applied: boolean; reason: string; lowConfidence: boolean };

const pct = (x: number): string => `${Math.round(x * 100)}%`;

/**
 * Whether to apply the mapping, and why in words a user can act on.
 *
 * @example
 * decide({ confidence: 0.2, evidence, shift: 3, gain: 0.4 }, SYNC_DEFAULTS).reason;
 * // 'low confidence: speech fills 21% of the cues and 18% of the rest; ...'
 */
export function decide(input: GateInput, rules: GateRules): GateVerdict {
  const { confidence, evidence: e } = input;
  if (confidence < rules.minConfidence) {
    return {
      applied: false,
      lowConfidence: true,
      reason:
        `low confidence: after the best mapping speech fills ${pct(e.coverage)} of the cues and ${pct(e.background)} of the rest, ` +
        `${pct(e.support)} of the cues agree with it; the audio may have no speech (music only) or the subtitles may belong to another video; file left as it is`,
    };
  }
  if (input.shift < rules.deadZone) {
    return { applied: false, lowConfidence: false, reason: `no cue would move by ${Math.round(rules.deadZone * 1000)} ms or more; file left as it is` };
  }
  if (input.gain < rules.minGain) {
    return {
      applied: false,
      lowConfidence: true,
      reason: `the best mapping is not clearly better than the original timing (gain ${input.gain.toFixed(3)} < ${rules.minGain}); file left as it is`,
    };
  }
  return { applied: true, lowConfidence: false, reason: `speech fills ${pct(e.coverage)} of the mapped cues and ${pct(e.background)} of the rest` };
}
