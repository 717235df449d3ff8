/** The ffmpeg `select` expression that picks a plan's frames in one decode pass. */
import { cueTargets } from '../../../alignment/index.js';
import { InvalidOptionError } from '../../core/errors/index.js';
import { SAMPLING_MODES, type SamplingPlan } from './plan.js';

const EPS = 1e-6;

/**
 * The ffmpeg `select` expression for a plan. Without `-copyts` ffmpeg already shifts every input
 * timestamp by minus the container start time, so `t` is relative to the start, as the audio
 * decode is: subtracting the start again would put frames of an MPEG-TS (start ~1.4 s) at negative times.
 *
 * @example
 * selectExpression({ mode: 'scene', threshold: 0.3 }, 60); // 'isnan(prev_selected_t)+gt(scene,0.3)'
 */
export function selectExpression(plan: SamplingPlan, duration: number): string {
  const rel = 't';
  switch (plan.mode) {
    case 'fps': {
      // First frame at or after each grid point k/fps: the grid index rises between the last pick and this frame.
      // Unlike `fps=N` this never invents a timestamp: every frame keeps its own pts.
      const f = plan.fps;
      return `isnan(prev_selected_t)+gte(floor(${rel}*${f}+${EPS})-floor(prev_selected_t*${f}+${EPS}),1)`;
    }
    case 'cue': {
      // First frame at or after each target: a target lies in (previous frame, this frame].
      const targets = cueTargets(plan.cues, plan.perCue, duration);
      if (targets.length === 0) return '0';
      const prev = 'prev_t';
      const terms = targets.map((t) => `gte(${rel},${t})*lt(${prev},${t})`);
      return `gte(isnan(prev_t)*gte(${rel},${targets[0]})+${balancedSum(terms)},1)`;
    }
    case 'scene':
      return `isnan(prev_selected_t)+gt(scene,${plan.threshold})`;
    default:
      throw new InvalidOptionError('mode', (plan as { mode: unknown }).mode, `one of ${SAMPLING_MODES.join(', ')}`);
  }
}

/**
 * `a+b+c+…` as a balanced tree of parenthesised pairs. ffmpeg's expression parser rejects a flat
 * sum of more than about 100 terms (its nesting guard counts each `+`); the tree nests only log2(n) deep.
 */
function balancedSum(terms: readonly string[]): string {
  if (terms.length === 1) return terms[0];
  const mid = terms.length >> 1;
  return `(${balancedSum(terms.slice(0, mid))}+${balancedSum(terms.slice(mid))})`;
}

/**
 * ffmpeg's `-q:v` (31 worst – 2 best) for a JPEG quality 1–100.
 *
 * @example
 * qscale(90); // 5
 */
export function qscale(quality: number): number {
  return Math.round(31 - ((quality - 1) * 29) / 99);
}
