/**
 * `mmalign corpus worker --queue URL`: a BullMQ worker that takes video and finalize jobs of any
 * corpus on that queue. Each job runs in a child process of its own pool, so this process only
 * renews job locks; a worker that dies (even SIGKILL) takes its children with it, its job's lock
 * runs out, and another worker's stalled-job check puts the job back to be retried.
 */
import { availableParallelism } from 'node:os';
import { UnrecoverableError, Worker } from 'bullmq';
import { CORPUS_DEFAULTS } from '../core/defaults.js';
import { InvalidOptionError } from '../core/errors/index.js';
import type { CorpusTask, CorpusTaskResult } from './child.js';
import { serializeError } from './errors.js';
import type { TaskRunner } from './local.js';
import { mapPath, mapSpec, type PathMap } from './paths.js';
import { ProcessPool, siblingModule } from './pool.js';
import { bullConnection, checkRedis, type CorpusJobData, type QueueTarget, type VideoJobReturn } from './queue.js';
import { readStop, writeFailure } from './state.js';

/** The part of a BullMQ job the processor reads (a fake in tests). */
export interface JobLike {
  id?: string;
  name: string;
  data: CorpusJobData;
  attemptsMade: number;
  opts: { attempts?: number };
  getIgnoredChildrenFailures(): Promise<Record<string, string>>;
}

export interface ProcessorOptions {
  runTask: TaskRunner;
  /** onnxruntime intra-op threads per video. */
  threads: number;
  pathMap?: PathMap;
  /** One line per event (start, done, failed), e.g. to stderr. */
  log?: (line: string) => void;
}

/**
 * The job processor: a video job aligns one video (failing at once, as unrecoverable, on bad input;
 * recording the failure on its last attempt); a finalize job runs the corpus-level step with the
 * failures BullMQ knows of children that left no record.
 *
 * @example
 * const worker = new Worker(name, corpusProcessor({ runTask, threads: 1 }), { connection });
 */
export function corpusProcessor({ runTask, threads, pathMap = [], log = () => {} }: ProcessorOptions): (job: JobLike) => Promise<unknown> {
  return async (job) => {
    const data = job.data;
    const attempts = job.opts.attempts ?? 1;
    const attempt = job.attemptsMade + 1;
    if (data.kind === 'video') {
      const spec = mapSpec(data.spec, pathMap);
      const key = spec.entry.key;
      if ((await readStop(spec.out)) !== null) {
        log(`skip ${key}: its corpus run was stopped`);
        // No record: the video is simply not done, and a rerun of the command takes it up again.
        throw new UnrecoverableError('its corpus run was stopped (--max-failures); run the command again to resume');
      }
      log(`start ${key} (attempt ${attempt}/${attempts})`);
      const t0 = performance.now();
      try {
        const r = await runTask({ kind: 'video', spec, threads }, `video ${key}`);
        if (r.kind !== 'video') throw new Error(`a worker process answered a video task with ${r.kind}`);
        const seconds = (performance.now() - t0) / 1000;
        log(`${r.reused ? 'reused' : 'done'} ${key}: ${r.record.duration.toFixed(1)} s media, ${r.record.pairs} pairs, ${seconds.toFixed(1)} s`);
        return { key, duration: r.record.duration, pairs: r.record.pairs, seconds, reused: r.reused } satisfies VideoJobReturn;
      } catch (err) {
        const s = serializeError(err);
        const last = !s.retryable || attempt >= attempts;
        if (last) await writeFailure(spec.out, { key, jobHash: spec.jobHash, video: spec.entry.video }, s, attempt);
        log(`failed ${key} (attempt ${attempt}/${attempts}${last ? ', final' : ', will retry'}): ${s.message}`);
        // Bad input fails the same way every time: no retries for it.
        if (!s.retryable) throw new UnrecoverableError(s.message);
        throw new Error(s.message);
      }
    }
    if (data.kind === 'finalize') {
      log(`finalize ${data.corpusId}`);
      const failures = await job.getIgnoredChildrenFailures();
      // Keys are `<prefix>:<queue>:<job id>`; ids never hold a colon.
      const queueFailures = Object.fromEntries(Object.entries(failures).map(([k, reason]) => [k.slice(k.lastIndexOf(':') + 1), reason]));
      const planFile = mapPath(data.planFile, pathMap);
      const stopped = (await readStop(mapPath(data.out, pathMap))) === data.planHash;
      const r = await runTask({ kind: 'finalize', planFile, queueFailures, pathMap, aborted: stopped }, `finalize ${data.corpusId}`);
      if (r.kind !== 'finalize') throw new Error(`a worker process answered a finalize task with ${r.kind}`);
      const { entries: _entries, ...summary } = r.summary;
      log(`finalized ${data.corpusId}: ${summary.complete}/${summary.videos} videos, ${summary.pairs} samples, ${summary.shards} shards, ${summary.failures} failed`);
      return summary;
    }
    throw new UnrecoverableError(`unknown corpus job ${JSON.stringify((data as { kind?: unknown }).kind)} (a newer coordinator?)`);
  };
}

export interface CorpusWorkerOptions extends QueueTarget {
  /** Jobs at once (default: the core count). */
  concurrency?: number;
  /** Threads per job (default: cores / concurrency). */
  threads?: number;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  maxStalledCount?: number;
  pathMap?: PathMap;
  log?: (line: string) => void;
  /** Injectable for tests; default: a process pool of `concurrency` children. */
  runTask?: TaskRunner;
}

/** A running worker; `close()` lets running jobs finish (`force`: abandons them to be retried elsewhere). */
export interface RunningWorker {
  readonly concurrency: number;
  readonly threads: number;
  close(force?: boolean): Promise<void>;
}

/**
 * Starts a corpus worker on the queue.
 *
 * @example
 * const w = await startCorpusWorker({ url: 'redis://10.0.0.5:6379/0', concurrency: 2 });
 * process.on('SIGTERM', () => void w.close());
 */
export async function startCorpusWorker(options: CorpusWorkerOptions): Promise<RunningWorker> {
  const { url, name = CORPUS_DEFAULTS.queueName, prefix = CORPUS_DEFAULTS.queuePrefix } = options;
  const concurrency = options.concurrency ?? availableParallelism();
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new InvalidOptionError('concurrency', concurrency, 'a whole number of jobs at once, at least 1');
  const threads = options.threads ?? Math.max(1, Math.floor(availableParallelism() / concurrency));
  await checkRedis(url);
  const pool = options.runTask ? null : new ProcessPool<CorpusTask, CorpusTaskResult>({ module: siblingModule(import.meta.url, 'child'), size: concurrency });
  const runTask: TaskRunner = options.runTask ?? ((task, label) => pool!.run(task, label));
  const connection = bullConnection(url);
  const worker = new Worker(name, corpusProcessor({ runTask, threads, pathMap: options.pathMap, log: options.log }) as never, {
    connection,
    prefix,
    concurrency,
    lockDuration: options.lockDurationMs ?? CORPUS_DEFAULTS.lockDurationMs,
    stalledInterval: options.stalledIntervalMs ?? CORPUS_DEFAULTS.stalledIntervalMs,
    maxStalledCount: options.maxStalledCount ?? CORPUS_DEFAULTS.maxStalledCount,
  });
  worker.on('error', (err) => options.log?.(`queue error: ${serializeError(err).message}`));
  await worker.waitUntilReady();
  return {
    concurrency,
    threads,
    async close(force = false) {
      await worker.close(force);
      await (force ? pool?.destroy() : pool?.close());
      connection.disconnect();
    },
  };
}
