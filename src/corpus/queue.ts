/**
 * Distributed mode (`corpus align --queue redis://HOST:PORT/DB`): the coordinator side. The corpus
 * becomes one BullMQ flow: a `finalize` parent job with one `video` child per pending video. Job ids
 * are deterministic (corpus id + content hash), so submitting the same corpus again while it runs
 * adds nothing; children that fail after their retries are "ignored" dependencies, so the parent
 * still runs and lists them. Workers (`corpus worker`) on any number of machines do the work.
 */
import { FlowProducer, Queue, QueueEvents, type FlowJob, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { CORPUS_DEFAULTS } from '../core/defaults.js';
import { QueueError } from '../core/errors/index.js';
import type { Logger } from '../core/progress.js';
import { finalizeCorpus, readCorpusSummary } from './finalize.js';
import { checkQueueUrl } from './queue-url.js';
import { finalizeJobId } from './keys.js';
import { progressStart, specOf, type CorpusRunResult } from './local.js';
import { silentCorpusProgress, type CorpusProgress } from './progress.js';
import { clearStop, readRecord, writePlan, writeStop } from './state.js';
import type { CorpusPlan, PlannedVideo, VideoJobSpec } from './types.js';

/** The queue a coordinator and its workers share. */
export interface QueueTarget {
  url: string;
  /** Default {@link CORPUS_DEFAULTS.queueName}. */
  name?: string;
  /** Redis key prefix; default {@link CORPUS_DEFAULTS.queuePrefix}. */
  prefix?: string;
}

/** Data of the jobs this module adds. */
export type CorpusJobData = { kind: 'video'; spec: VideoJobSpec } | { kind: 'finalize'; planFile: string; corpusId: string; planHash: string; out: string };

/** What a video job returns (kept small: it is stored in Redis). */
export interface VideoJobReturn {
  key: string;
  duration: number;
  pairs: number;
  seconds: number;
  reused: boolean;
}

/** A connection for BullMQ (which needs `maxRetriesPerRequest: null` for its blocking commands). */
export function bullConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null });
}

/**
 * Connects once to check the server before any job is added: reachable, Redis ≥ 6.2 (what BullMQ
 * needs), and `maxmemory-policy noeviction` (an evicting Redis silently drops jobs).
 */
export async function checkRedis(url: string, logger?: Logger): Promise<void> {
  checkQueueUrl(url);
  const probe = new Redis(url, { lazyConnect: true, connectTimeout: 5000, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  // The socket's own error (ECONNREFUSED, ENOTFOUND, NOAUTH) says more than connect()'s "Connection is closed".
  let socketError: Error | null = null;
  probe.on('error', (err: Error) => (socketError ??= err));
  try {
    await probe.connect().catch((err: unknown) => {
      const why = (socketError as Error | null)?.message ?? (err as Error).message;
      throw new QueueError(url, `cannot connect (${why}). Start Redis 6.2 or newer there (see README: "Corpus runs"), or fix --queue`, err);
    });
    const info = await probe.info('server');
    const version = /redis_version:(\d+)\.(\d+)/.exec(info);
    if (version && (Number(version[1]) < 6 || (Number(version[1]) === 6 && Number(version[2]) < 2))) {
      throw new QueueError(url, `is Redis ${version[1]}.${version[2]}; BullMQ needs 6.2 or newer`);
    }
    let policy: string | null = null;
    try {
      const reply = (await probe.config('GET', 'maxmemory-policy')) as string[];
      policy = reply[1] ?? null;
    } catch {
      logger?.warn(`queue ${url}: cannot read maxmemory-policy (CONFIG is disabled here); make sure it is noeviction`);
    }
    if (policy !== null && policy !== 'noeviction') {
      throw new QueueError(url, `has maxmemory-policy ${policy}; set it to noeviction (redis-cli CONFIG SET maxmemory-policy noeviction, or in redis.conf), or Redis may delete queued jobs`);
    }
  } finally {
    probe.disconnect();
  }
}

export interface FlowSettings {
  queueName: string;
  retries: number;
  backoffMs: number;
  keepSeconds: number;
}

/**
 * The BullMQ flow of a plan: the finalize job as parent, one child per pending video.
 *
 * @example
 * const flow = buildFlow(plan, planFile, pending, { queueName: 'mmalign-corpus', retries: 2, backoffMs: 2000, keepSeconds: 86400 });
 */
export function buildFlow(plan: CorpusPlan, planFile: string, pending: readonly PlannedVideo[], s: FlowSettings): FlowJob {
  const keep = { age: s.keepSeconds };
  const childOpts = (e: PlannedVideo): JobsOptions => ({
    jobId: e.jobId,
    attempts: s.retries + 1,
    backoff: { type: 'exponential', delay: s.backoffMs },
    // The folder holds the result; a finished record in Redis only has to outlive the parent's wait.
    removeOnComplete: true,
    removeOnFail: keep,
    // A video that fails for good must not fail the corpus: the parent runs and lists it in errors.jsonl.
    ignoreDependencyOnFailure: true,
  });
  return {
    name: 'finalize',
    queueName: s.queueName,
    data: { kind: 'finalize', planFile, corpusId: plan.corpusId, planHash: plan.planHash, out: plan.out } satisfies CorpusJobData,
    opts: { jobId: finalizeJobId(plan.corpusId, plan.planHash), attempts: 3, backoff: { type: 'exponential', delay: s.backoffMs }, removeOnComplete: keep, removeOnFail: keep },
    children: pending.map((e) => ({ name: 'video', queueName: s.queueName, data: { kind: 'video', spec: specOf(plan, e) } satisfies CorpusJobData, opts: childOpts(e) })),
  };
}

/** What the coordinator needs from the queue; BullMQ in production, an in-memory fake in tests. */
export interface FlowQueue {
  state(jobId: string): Promise<string>;
  remove(jobId: string): Promise<void>;
  add(flow: FlowJob): Promise<void>;
}

/**
 * Adds a plan's flow so that a resubmission adds nothing twice: jobs still waiting or running are
 * left to attach to (same ids); jobs that already finished are stale (their video is pending again,
 * or the corpus must be finalized anew), so they are removed first and added fresh.
 */
export async function submitFlow(queue: FlowQueue, flow: FlowJob): Promise<{ removed: string[]; attached: string[] }> {
  const ids = [flow.opts!.jobId!, ...(flow.children ?? []).map((c) => c.opts!.jobId!)];
  const removed: string[] = [];
  const attached: string[] = [];
  for (let i = 0; i < ids.length; i += 64) {
    await Promise.all(
      ids.slice(i, i + 64).map(async (id) => {
        const state = await queue.state(id);
        if (state === 'completed' || state === 'failed') {
          await queue.remove(id);
          removed.push(id);
        } else if (state !== 'unknown') attached.push(id);
      }),
    );
  }
  await queue.add(flow);
  return { removed, attached };
}

export interface QueuedRunOptions extends QueueTarget {
  retries?: number;
  maxFailures?: number | null;
  backoffMs?: number;
  progress?: CorpusProgress;
  logger?: Logger;
  /** How often the parent job's state is polled, in ms. */
  pollMs?: number;
}

const parseReturn = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

/**
 * Submits `plan` to the queue and waits until its finalize job has run. Progress comes from the
 * queue's events; if more than `maxFailures` videos fail, the videos not yet started and the finalize
 * job are withdrawn and only errors.jsonl and corpus.json are written.
 *
 * @example
 * const { summary } = await runQueuedCorpus(plan, { url: 'redis://127.0.0.1:6379/0' });
 */
export async function runQueuedCorpus(plan: CorpusPlan, options: QueuedRunOptions): Promise<CorpusRunResult> {
  const { url, name = CORPUS_DEFAULTS.queueName, prefix = CORPUS_DEFAULTS.queuePrefix, retries = CORPUS_DEFAULTS.retries, maxFailures = null } = options;
  const { backoffMs = CORPUS_DEFAULTS.backoffMs, progress = silentCorpusProgress, pollMs = 500 } = options;
  await checkRedis(url, options.logger);
  await clearStop(plan.out);
  const planFile = await writePlan(plan);
  const pending = plan.entries.filter((e) => e.state === 'pending');
  const flow = buildFlow(plan, planFile, pending, { queueName: name, retries, backoffMs, keepSeconds: CORPUS_DEFAULTS.keepFinishedSeconds });
  const parentId = flow.opts!.jobId!;
  const children = new Map(pending.map((e) => [e.jobId, e]));
  const connections = [bullConnection(url), bullConnection(url), bullConnection(url)];
  const queue = new Queue(name, { connection: connections[0], prefix });
  const producer = new FlowProducer({ connection: connections[1], prefix });
  const events = new QueueEvents(name, { connection: connections[2], prefix });
  const settled = new Set<string>();
  let failures = plan.entries.filter((e) => e.state === 'failed').length;
  let stopped = maxFailures !== null && failures > maxFailures;
  let aligned = 0;
  const started = Date.now();
  try {
    await events.waitUntilReady();
    events.on('completed', ({ jobId, returnvalue }) => {
      const e = children.get(jobId);
      if (!e || settled.has(jobId)) return;
      settled.add(jobId);
      const r = parseReturn<VideoJobReturn>(returnvalue);
      if (!r.reused) aligned++;
      progress.videoDone({ key: e.key, video: e.video, status: r.reused ? 'reused' : 'ok', duration: r.duration, pairs: r.pairs, seconds: r.seconds });
    });
    events.on('failed', ({ jobId, failedReason }) => {
      const e = children.get(jobId);
      if (!e || settled.has(jobId)) return;
      settled.add(jobId);
      failures++;
      if (maxFailures !== null && failures > maxFailures) stopped = true;
      void readRecord(plan.out, e.key).then((r) =>
        progress.videoDone({ key: e.key, video: e.video, status: 'failed', duration: 0, pairs: 0, seconds: (Date.now() - started) / 1000, error: failedReason, attempts: r?.status === 'failed' ? r.attempts : undefined }),
      );
    });
    progress.start(await progressStart(plan, `queue ${url} (${name})`));
    if (!stopped) {
      await submitFlow(
        {
          state: (id) => queue.getJobState(id),
          remove: async (id) => void (await queue.remove(id, { removeChildren: false })),
          add: async (f) => void (await producer.add(f)),
        },
        flow,
      );
    }
    for (;;) {
      if (stopped) {
        // Workers check the stop file before they begin a video, and the finalize job before it writes a dataset.
        await writeStop(plan.out, plan.planHash);
        await withdraw(queue, parentId, [...children.keys()].filter((id) => !settled.has(id)));
        progress.phase('stopped: too many failures');
        return { summary: await finalizeCorpus(plan, { aborted: true }), aligned, aborted: true };
      }
      const state = await queue.getJobState(parentId);
      if (state === 'completed') {
        progress.phase('finalized');
        // The finalize job wrote corpus.json into the shared folder; the whole summary is read from there.
        const summary = await readCorpusSummary(plan.out);
        if (!summary) throw new QueueError(url, `the finalize job ${parentId} completed, but ${plan.out}/corpus.json is missing: do the workers write into the same folder (see corpus worker --map)?`);
        return { summary: { ...summary, upToDate: false }, aligned, aborted: false };
      }
      if (state === 'failed') {
        const job = await queue.getJob(parentId);
        throw new QueueError(url, `the corpus finalize job ${parentId} failed after its retries: ${job?.failedReason ?? 'no reason recorded'}`);
      }
      if (state === 'unknown') throw new QueueError(url, `the corpus finalize job ${parentId} is gone (removed by hand, or Redis lost it); run the command again`);
      if (settled.size === children.size) progress.phase('finalize');
      await new Promise((r) => setTimeout(r, pollMs));
    }
  } finally {
    await Promise.allSettled([events.close(), producer.close(), queue.close()]);
    for (const c of connections) c.disconnect();
  }
}

/** Takes back what has not started: waiting children, then the parent (running children finish on their own). */
async function withdraw(queue: Queue, parentId: string, childIds: readonly string[]): Promise<void> {
  for (const id of childIds) {
    const state = await queue.getJobState(id);
    if (state === 'waiting' || state === 'delayed' || state === 'prioritized') await queue.remove(id).catch(() => 0);
  }
  await queue.remove(parentId, { removeChildren: false }).catch(() => 0);
}
