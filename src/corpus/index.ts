/**
 * Corpus runs as a library: plan a folder or manifest, align it on a local pool or on BullMQ workers,
 * finalize it into a dataset and WebDataset shards. The BullMQ pieces load bullmq only when called.
 */
import type { CorpusRunResult } from './local.js';
import type { CorpusPlan } from './types.js';
import type { QueuedRunOptions } from './queue.js';
import type { CorpusWorkerOptions, RunningWorker } from './worker.js';

export { discoverInputs, VIDEO_EXTENSIONS, SUBTITLE_EXTENSIONS, type Discovery, type DiscoverOptions } from './input.js';
export { corpusSettings, type CorpusSettingsInput } from './settings.js';
export { planCorpus, type PlanOptions } from './plan.js';
export { runLocalCorpus, type LocalRunOptions, type CorpusRunResult } from './local.js';
export { finalizeCorpus, finalizedSummary, readCorpusSummary, type CorpusSummary, type CorpusEntrySummary, type FinalizeOptions } from './finalize.js';
export { ShardWriter, readShard, type ShardStats, type SampleFile } from './shards.js';
export { sampleKey, videoKey } from './keys.js';
export { createCorpusProgress, type CorpusProgress } from './progress.js';
export type { CorpusEntry, CorpusPlan, CorpusSettings, VideoAlignSettings, SplitBy, JsonValue } from './types.js';
export type { QueuedRunOptions, QueueTarget } from './queue.js';
export type { CorpusWorkerOptions, RunningWorker } from './worker.js';

/**
 * Runs a plan on BullMQ workers (see `mmalign corpus worker`) and waits for its finalize job.
 *
 * @example
 * const { plan } = await planCorpus('videos/', { out: '/shared/out', settings: corpusSettings() });
 * const { summary } = await runQueuedCorpus(plan, { url: 'redis://10.0.0.5:6379/0' });
 */
export async function runQueuedCorpus(plan: CorpusPlan, options: QueuedRunOptions): Promise<CorpusRunResult> {
  return (await import('./queue.js')).runQueuedCorpus(plan, options);
}

/**
 * Starts a corpus worker on a BullMQ queue in this process.
 *
 * @example
 * const worker = await startCorpusWorker({ url: 'redis://10.0.0.5:6379/0', concurrency: 2 });
 * process.on('SIGTERM', () => void worker.close());
 */
export async function startCorpusWorker(options: CorpusWorkerOptions): Promise<RunningWorker> {
  return (await import('./worker.js')).startCorpusWorker(options);
}
