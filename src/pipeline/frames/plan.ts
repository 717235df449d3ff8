/** What frames to take: the sampling modes, their plans, and the one check of a plan's numbers. */
import type { TimeSpan } from '../../../alignment/index.js';
import { InvalidOptionError } from '../../core/errors/index.js';

/** How frames are picked. Closed union: add a mode here and the compiler finds every switch. */
export type SamplingMode = 'fps' | 'cue' | 'scene';
export const SAMPLING_MODES: readonly SamplingMode[] = Object.freeze(['fps', 'cue', 'scene'] as const);

export type SamplingPlan =
  /** Every 1/fps s on the grid 0, 1/fps, 2/fps…: the first frame at or after each grid time. */
  | { mode: 'fps'; fps: number }
  /** `perCue` frames evenly inside each cue (1 = its midpoint): the first frame at or after each target. */
  | { mode: 'cue'; perCue: number; cues: readonly TimeSpan[] }
  /** The first frame, then every frame whose scene-change score exceeds `threshold` (0–1). */
  | { mode: 'scene'; threshold: number };

/**
 * Checks a plan eagerly so a bad value fails before ffmpeg starts.
 *
 * @example
 * validatePlan({ mode: 'fps', fps: 0 }); // throws InvalidOptionError: fps
 */
export function validatePlan(plan: SamplingPlan): SamplingPlan {
  switch (plan.mode) {
    case 'fps':
      if (!(Number.isFinite(plan.fps) && plan.fps > 0 && plan.fps <= 1000)) {
        throw new InvalidOptionError('fps', plan.fps, 'a frame rate > 0 and <= 1000');
      }
      return plan;
    case 'cue':
      if (!(Number.isInteger(plan.perCue) && plan.perCue >= 1 && plan.perCue <= 100)) {
        throw new InvalidOptionError('per-cue', plan.perCue, 'an integer from 1 to 100');
      }
      return plan;
    case 'scene':
      if (!(Number.isFinite(plan.threshold) && plan.threshold > 0 && plan.threshold < 1)) {
        throw new InvalidOptionError('scene-threshold', plan.threshold, 'a number between 0 and 1 (e.g. 0.3)');
      }
      return plan;
    default:
      throw new InvalidOptionError('mode', (plan as { mode: unknown }).mode, `one of ${SAMPLING_MODES.join(', ')}`);
  }
}

/**
 * Checks a JPEG quality (1–100).
 *
 * @example
 * checkJpegQuality(90); // 90
 */
export function checkJpegQuality(quality: number): number {
  if (!(Number.isInteger(quality) && quality >= 1 && quality <= 100)) {
    throw new InvalidOptionError('jpeg-quality', quality, 'an integer from 1 to 100');
  }
  return quality;
}
