/**
 * An in-process stand-in for `alignVideo` and the pool, for the corpus runner tests: it writes an
 * align output folder (frames, pairs.jsonl, run.json) in milliseconds. What it does is steered by
 * the "video" file's text: `bad` fails as bad input, `crash-once` dies like a killed worker the
 * first time, anything else gives `pairs=N` pairs (default 3).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MediaDecodeError, WorkerCrashedError } from '../../src/core/errors/index.js';
import type { CorpusTask, CorpusTaskResult } from '../../src/corpus/child.js';
import { finalizeCorpus } from '../../src/corpus/finalize.js';
import { runVideoJob } from '../../src/corpus/job.js';
import type { TaskRunner } from '../../src/corpus/local.js';
import { readPlan } from '../../src/corpus/state.js';
import type { alignVideo } from '../../src/pipeline/index.js';

export interface FakeAligner {
  align: typeof alignVideo;
  runTask: TaskRunner;
  /** Videos aligned, in order (a video retried appears twice). */
  calls: string[];
}

export function fakeAligner(): FakeAligner {
  const calls: string[] = [];
  const crashed = new Set<string>();
  const align = (async (video: string, subtitles: string, o: { out: string }) => {
    calls.push(video);
    const text = readFileSync(video, 'utf8');
    if (text.startsWith('bad')) throw new MediaDecodeError(video, 'is not a media file ffmpeg can read', 'Invalid data found when processing input');
    if (text.startsWith('crash-once') && !crashed.has(video)) {
      crashed.add(video);
      throw new WorkerCrashedError(`video ${path.basename(video)}`, null, 'SIGKILL');
    }
    const n = Number(/pairs=(\d+)/.exec(text)?.[1] ?? 3);
    mkdirSync(path.join(o.out, 'frames'), { recursive: true });
    const pairs = Array.from({ length: n }, (_, i) => {
      const frame = path.join(o.out, 'frames', `t${String(i).padStart(6, '0')}.000.jpg`);
      writeFileSync(frame, `jpeg of ${path.basename(video)} at ${i}`);
      return { video, frame, frame_time: i, cue_index: i + 1, start: i, end: i + 0.9, text: `${path.basename(video)} cue ${i + 1}`, distance: 0 };
    });
    writeFileSync(path.join(o.out, 'pairs.jsonl'), pairs.map((p) => JSON.stringify(p) + '\n').join(''));
    writeFileSync(path.join(o.out, 'run.json'), JSON.stringify({ video, pairs: n, duration: 60 }));
    return { video, subtitles, out: o.out, duration: 60, frames: n, pairs: n, train: n, dev: 0, hasAudio: false, embedded: false, warnings: [] };
  }) as unknown as typeof alignVideo;
  const runTask: TaskRunner = async (task: CorpusTask): Promise<CorpusTaskResult> => {
    if (task.kind === 'video') return { kind: 'video', ...(await runVideoJob(task.spec, { align })) };
    return { kind: 'finalize', summary: await finalizeCorpus(await readPlan(task.planFile), { queueFailures: task.queueFailures }) };
  };
  return { align, runTask, calls };
}
