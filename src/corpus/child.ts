/**
 * The entry of a corpus worker process (started by {@link ProcessPool}): aligns one video, or runs
 * the finalize step, per task. Heavy work lives here rather than in the coordinator or the BullMQ
 * worker, whose event loops must stay free for progress and for renewing job locks.
 */
import { readPlan } from './state.js';
import { finalizeCorpus, type CorpusSummary } from './finalize.js';
import { runVideoJob } from './job.js';
import { mapPlan, type PathMap } from './paths.js';
import { serveTasks } from './pool.js';
import type { CompleteRecord, VideoJobSpec } from './types.js';

/** What a worker process is asked to do. */
export type CorpusTask =
  | { kind: 'video'; spec: VideoJobSpec; threads: number }
  | { kind: 'finalize'; planFile: string; queueFailures?: Record<string, string>; pathMap?: PathMap; aborted?: boolean };

/** Its answer, per kind. */
export type CorpusTaskResult = { kind: 'video'; record: CompleteRecord; reused: boolean } | { kind: 'finalize'; summary: CorpusSummary & { upToDate: boolean } };

let sharpThreads: number | null = null;

// libvips (sharp, the image encoder's decoder) sizes its own thread pool to the core count; with N
// workers per machine that is N times too many, as onnxruntime's threads would be.
async function limitSharp(threads: number): Promise<void> {
  if (sharpThreads === threads) return;
  const sharp = (await import('sharp')).default;
  sharp.concurrency(threads);
  sharpThreads = threads;
}

serveTasks<CorpusTask, CorpusTaskResult>(async (task) => {
  if (task.kind === 'video') {
    await limitSharp(task.threads);
    return { kind: 'video', ...(await runVideoJob(task.spec, { threads: task.threads })) };
  }
  const plan = mapPlan(await readPlan(task.planFile), task.pathMap ?? []);
  return { kind: 'finalize', summary: await finalizeCorpus(plan, { queueFailures: task.queueFailures, aborted: task.aborted }) };
});
