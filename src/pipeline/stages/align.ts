/**
 * Stage 6, align: frames to cues, then pairs, dropping empty texts and exact duplicates. Which
 * frame a cue gets depends on how the frames were sampled:
 * - fps: each frame pairs with the nearest cue within the threshold;
 * - cue: each frame with the cues that asked for it;
 * - scene: a scene frame stands for its whole shot (up to the next scene frame), so each cue pairs
 *   with the shot it overlaps most, however far that shot's frame lies from the cue.
 */
import { alignByTimestamp, matchCueTargets, pairCuesWithShots, shotsFromFrames, type FrameMatch } from '../../../alignment/index.js';
import type { Cue } from '../../core/types.js';
import type { AlignedPair } from '../dataset.js';
import type { SamplingPlan } from '../frames/plan.js';
import type { FrameRecord, StageContext } from '../types.js';

export interface AlignInput {
  video: string;
  subtitles: string;
  frames: readonly FrameRecord[];
  cues: readonly Cue[];
  plan: SamplingPlan;
  duration: number;
  threshold: number;
}

export interface AlignOutput {
  pairs: AlignedPair[];
  /** The frame of each pair, index for index. */
  pairFrames: FrameRecord[];
  unpairedFrames: number;
  unpairedCues: number;
  dropped: { duplicates: number; emptyText: number };
}

/**
 * Scene mode's matches: one per cue that overlaps a shot (the frames' shots tile the video), in
 * frame order, each with the frame's own distance to its cue (0 inside it) for pairs.jsonl.
 */
function byShot(frames: readonly FrameRecord[], cues: readonly Cue[], duration: number): FrameMatch[] {
  const shots = shotsFromFrames(frames.map((f) => f.time), duration);
  const matches: FrameMatch[] = [];
  for (const p of pairCuesWithShots(cues, shots)) {
    if (p.shot === null) continue;
    const t = frames[p.shot].time;
    const c = cues[p.cue];
    matches.push({ frame: p.shot, cue: p.cue, distance: t < c.start ? c.start - t : t > c.end ? t - c.end : 0 });
  }
  return matches.sort((a, b) => a.frame - b.frame || cues[a.cue!].start - cues[b.cue!].start || a.cue! - b.cue!);
}

/**
 * Pairs frames with cues; warns when nothing pairs.
 *
 * @example
 * const { pairs } = alignStage({ video, subtitles, frames, cues, plan, duration: 600, threshold: 0.5 }, ctx);
 */
export function alignStage({ video, subtitles, frames, cues, plan, duration, threshold }: AlignInput, ctx: StageContext): AlignOutput {
  // Cue mode sampled each frame for particular cues: pair it with those, not with whichever cue is
  // nearest, or a cue nested in a longer one would lose its frames to it.
  const matches =
    plan.mode === 'cue'
      ? matchCueTargets(frames, cues, plan.perCue, duration, threshold)
      : plan.mode === 'scene'
        ? byShot(frames, cues, duration)
        : alignByTimestamp(frames, cues, { threshold });
  const pairs: AlignedPair[] = [];
  const pairFrames: FrameRecord[] = [];
  const seen = new Set<string>();
  const usedCues = new Set<number>();
  const dropped = { duplicates: 0, emptyText: 0 };
  let unpairedFrames = 0;
  for (const m of matches) {
    if (m.cue === null || m.distance === null) {
      unpairedFrames++;
      continue;
    }
    const cue = cues[m.cue];
    const text = cue.text.trim();
    if (text === '') {
      dropped.emptyText++;
      continue;
    }
    const frame = frames[m.frame];
    const key = `${frame.sha1}\u0000${text}`;
    if (seen.has(key)) {
      dropped.duplicates++;
      continue;
    }
    seen.add(key);
    usedCues.add(m.cue);
    pairs.push({
      video,
      frame: frame.file,
      frame_time: frame.time,
      cue_index: cue.index,
      start: cue.start,
      end: cue.end,
      text,
      distance: Math.round(m.distance * 1e6) / 1e6,
    });
    pairFrames.push(frame);
  }
  const unpairedCues = cues.filter((c, i) => !usedCues.has(i) && c.text.trim() !== '').length;
  // Scene mode matches by cue: a frame no cue chose is unpaired (counted once however many cues skipped it).
  if (plan.mode === 'scene') unpairedFrames = frames.length - new Set(pairFrames.map((f) => f.file)).size;
  ctx.progress.stage('align', 1).done();
  if (pairs.length === 0) {
    ctx.warnings.push({
      file: subtitles,
      message:
        plan.mode === 'scene'
          ? 'no cue overlaps the shots of the scene frames: the dataset is empty'
          : `no frame lies within ${threshold} s of any cue: the dataset is empty (raise --threshold or sample more frames)`,
    });
  }
  return { pairs, pairFrames, unpairedFrames, unpairedCues, dropped };
}
