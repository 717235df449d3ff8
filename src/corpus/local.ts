/**
 * The local mode of `corpus align`: the pending videos of a plan on a pool of worker processes, one
 * video per job, each retried on a crash or transient error and failed at once on bad input; then
 * the corpus-level step in this process.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CORPUS_DEFAULTS } from '../core/defaults.js';
import type { CorpusTask, CorpusTaskResult } from './child.js';
import { isRetryable, serializeError } from './errors.js';
import { finalizeCorpus, type CorpusSummary } from './finalize.js';
import { ProcessPool, siblingModule } from './pool.js';
import { silentCorpusProgress, type CorpusProgress } from './progress.js';
import { readAllRecords, writeFailure, writePlan } from './state.js';
import type { CorpusPlan, PlannedVideo, VideoJobSpec, VideoOutcome } from './types.js';

/** Runs one task somewhere (a pool child by default; tests pass an in-process runner). */
export type TaskRunner = (task: CorpusTask, label: string) => Promise<CorpusTaskResult>;

export interface LocalRunOptions {
  /** Worker processes. */
  workers: number;
  /** onnxruntime intra-op threads per worker. */
  threads: number;
  /** Retries after a failed attempt (bad input is never retried). */
  retries?: number;
  /** Stop starting videos once more than this many failed (null: never). */
  maxFailures?: number | null;
  /** First retry delay in ms, doubled per retry. */
  backoffMs?: number;
  progress?: CorpusProgress;
  /** Injectable for tests; default: a {@link ProcessPool} of `workers` children. */
  runTask?: TaskRunner;
}

export interface CorpusRunResult {
  summary: CorpusSummary & { upToDate: boolean };
  /** Videos aligned by this run (not reused). */
  aligned: number;
  /** The run stopped early on `--max-failures`. */
  aborted: boolean;
}

/** The job spec of a planned video. */
export function specOf(plan: CorpusPlan, e: PlannedVideo): VideoJobSpec {
  const { jobHash, jobId: _id, state: _s, duplicateOf: _d, planError: _p, ...entry } = e;
  return { corpusId: plan.corpusId, out: plan.out, entry, jobHash, align: plan.settings.align, subLang: plan.settings.subLang };
}

/** What progress starts from: the videos a plan already has an outcome for. */
export async function progressStart(plan: CorpusPlan, where: string): Promise<Parameters<CorpusProgress['start']>[0]> {
  const records = await readAllRecords(plan.out);
  const settled = plan.entries.filter((e) => e.state !== 'pending');
  const alreadyHours = settled.reduce((a, e) => {
    const r = records.get(e.key);
    return a + (e.state === 'complete' && r?.status === 'complete' ? r.duration / 3600 : 0);
  }, 0);
  return { total: plan.entries.length, alreadyDone: settled.length, alreadyHours, failed: plan.entries.filter((e) => e.state === 'failed').length, where };
}

/**
 * Aligns the pending videos of `plan` on local worker processes, then finalizes the corpus.
 *
 * @example
 * const { plan } = await planCorpus('videos/', { out: 'corpus-out', settings });
 * const { summary } = await runLocalCorpus(plan, { workers: 2, threads: 1 });
 */
export async function runLocalCorpus(plan: CorpusPlan, options: LocalRunOptions): Promise<CorpusRunResult> {
  const { workers, threads, retries = CORPUS_DEFAULTS.retries, maxFailures = null, backoffMs = CORPUS_DEFAULTS.backoffMs, progress = silentCorpusProgress } = options;
  await writePlan(plan);
  const pending = plan.entries.filter((e) => e.state === 'pending');
  let pool: ProcessPool<CorpusTask, CorpusTaskResult> | null = null;
  const runTask: TaskRunner =
    options.runTask ??
    ((task, label) => {
      pool ??= new ProcessPool<CorpusTask, CorpusTaskResult>({ module: siblingModule(import.meta.url, 'child'), size: Math.min(workers, Math.max(pending.length, 1)) });
      return pool.run(task, label);
    });
  progress.start(await progressStart(plan, `${Math.min(workers, pending.length)} local worker(s), ${threads} thread(s) each`));
  let failures = plan.entries.filter((e) => e.state === 'failed').length;
  let aligned = 0;
  let stopped = false;
  const queue = [...pending];

  const runOne = async (e: PlannedVideo): Promise<void> => {
    const spec = specOf(plan, e);
    const t0 = performance.now();
    for (let attempt = 1; ; attempt++) {
      try {
        const r = await runTask({ kind: 'video', spec, threads }, `video ${e.key}`);
        if (r.kind !== 'video') throw new Error(`a worker answered a video task with ${r.kind}`);
        if (!r.reused) aligned++;
        progress.videoDone({ key: e.key, video: e.video, status: r.reused ? 'reused' : 'ok', duration: r.record.duration, pairs: r.record.pairs, seconds: (performance.now() - t0) / 1000 });
        return;
      } catch (err) {
        const last = !isRetryable(err) || attempt > retries;
        if (!last) {
          await sleep(backoffMs * 2 ** (attempt - 1));
          continue;
        }
        const s = serializeError(err);
        await writeFailure(plan.out, { key: e.key, jobHash: e.jobHash, video: e.video }, s, attempt);
        failures++;
        const outcome: VideoOutcome = { key: e.key, video: e.video, status: 'failed', duration: 0, pairs: 0, seconds: (performance.now() - t0) / 1000, error: s.message, code: s.code, attempts: attempt };
        progress.videoDone(outcome);
        if (maxFailures !== null && failures > maxFailures) stopped = true;
        return;
      }
    }
  };

  const lane = async (): Promise<void> => {
    while (!stopped && queue.length > 0) await runOne(queue.shift()!);
  };
  try {
    if (maxFailures !== null && failures > maxFailures) stopped = true;
    await Promise.all(Array.from({ length: Math.max(1, Math.min(workers, queue.length)) }, lane));
  } finally {
    await (pool as ProcessPool<CorpusTask, CorpusTaskResult> | null)?.close();
  }
  progress.phase(stopped ? 'stopped: too many failures' : 'finalize');
  const summary = await finalizeCorpus(plan, { aborted: stopped });
  return { summary, aligned, aborted: stopped };
}
