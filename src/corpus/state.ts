/**
 * The corpus folder's own bookkeeping under `DIR/.mmalign/`: one record per video job (its outcome),
 * the plans coordinators hand to workers, and what the finalize step already put in a knowledge base.
 * Every file is replaced atomically, and each record has one writer at a time (the job's holder), so
 * any machine that shares the folder can read them while others write.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { InputFileError } from '../core/errors/index.js';
import { writeFileAtomic } from '../core/fs.js';
import type { CorpusPlan, FailedRecord, SerializedError, VideoJobRecord } from './types.js';

/** Files and folders of a corpus output folder. */
export const CORPUS_FILES = Object.freeze({
  state: '.mmalign',
  videos: 'videos',
  shards: 'shards',
  train: 'train.jsonl',
  dev: 'dev.jsonl',
  stats: 'stats.json',
  errors: 'errors.jsonl',
  summary: 'corpus.json',
  datasetInfo: 'dataset_info.json',
});

export const stateDir = (out: string): string => path.join(out, CORPUS_FILES.state);
export const jobsDir = (out: string): string => path.join(stateDir(out), 'jobs');
export const recordFile = (out: string, key: string): string => path.join(jobsDir(out), `${key}.json`);
export const planFile = (out: string, planHash: string): string => path.join(stateDir(out), 'plans', `${planHash.slice(0, 32)}.json`);
/** Where a video's embedded subtitle stream is extracted to: corpus bookkeeping, not the video's align folder (which align owns). */
export const extractedSubtitlesDir = (out: string, key: string): string => path.join(stateDir(out), 'subtitles', key);
/** The align output folder of one video. */
export const videoOutDir = (out: string, key: string): string => path.join(out, CORPUS_FILES.videos, key);

/** `host:pid` of this process, recorded with what it wrote. */
export const workerName = (): string => `${hostname()}:${process.pid}`;

function parseRecord(text: string): VideoJobRecord | null {
  try {
    const r = JSON.parse(text) as VideoJobRecord;
    return r && r.version === 1 && (r.status === 'complete' || r.status === 'failed') && typeof r.jobHash === 'string' ? r : null;
  } catch {
    return null; // a record from another version, or damaged: the job simply runs again
  }
}

/**
 * The record of one video, or null when it has none (never ran, or its record is unreadable).
 *
 * @example
 * const r = await readRecord('/data/out', 'intro-3f2a9c1d');
 * if (r?.status === 'complete' && r.jobHash === hash) console.log('already done');
 */
export async function readRecord(out: string, key: string): Promise<VideoJobRecord | null> {
  const text = await readFile(recordFile(out, key), 'utf8').catch(() => null);
  return text === null ? null : parseRecord(text);
}

/**
 * Every record in the folder by key: one readdir and one read per record, which is what a resume of
 * ten thousand videos over a network filesystem can afford (not a stat of every output folder).
 */
export async function readAllRecords(out: string): Promise<Map<string, VideoJobRecord>> {
  const names = await readdir(jobsDir(out)).catch(() => [] as string[]);
  const records = new Map<string, VideoJobRecord>();
  const todo = names.filter((n) => n.endsWith('.json') && !n.startsWith('.'));
  // A few reads at a time: a network filesystem answers in parallel, a local disk does not mind.
  for (let i = 0; i < todo.length; i += 32) {
    await Promise.all(
      todo.slice(i, i + 32).map(async (name) => {
        const text = await readFile(path.join(jobsDir(out), name), 'utf8').catch(() => null);
        const r = text === null ? null : parseRecord(text);
        if (r) records.set(name.slice(0, -'.json'.length), r);
      }),
    );
  }
  return records;
}

/** Replaces a video's record atomically. */
export async function writeRecord(out: string, record: VideoJobRecord): Promise<void> {
  await mkdir(jobsDir(out), { recursive: true });
  await writeFileAtomic(recordFile(out, record.key), JSON.stringify(record, null, 1) + '\n');
}

/** Records a video's final failure (after its retries, or at once for bad input). */
export async function writeFailure(
  out: string,
  spec: { key: string; jobHash: string; video: string },
  error: SerializedError,
  attempts: number,
): Promise<FailedRecord> {
  const record: FailedRecord = {
    version: 1,
    status: 'failed',
    key: spec.key,
    jobHash: spec.jobHash,
    video: spec.video,
    error: error.message,
    code: error.code,
    attempts,
    retryable: error.retryable,
    worker: workerName(),
    finishedAt: new Date().toISOString(),
  };
  await writeRecord(out, record);
  return record;
}

/** Forgets a video's record (its output is redone on the next run). */
export async function removeRecord(out: string, key: string): Promise<void> {
  await rm(recordFile(out, key), { force: true });
}

/** Writes the plan workers read (same plan, same bytes: a resubmission rewrites it unchanged). */
export async function writePlan(plan: CorpusPlan): Promise<string> {
  const file = planFile(plan.out, plan.planHash);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, JSON.stringify(plan) + '\n');
  return file;
}

/** Reads a plan written by {@link writePlan}. */
export async function readPlan(file: string): Promise<CorpusPlan> {
  const plan = JSON.parse(await readFile(file, 'utf8')) as CorpusPlan;
  if (plan.version !== 1) throw new InputFileError(file, `is a corpus plan of version ${String(plan.version)}, which this mmalign does not read; run workers of the coordinator's version`);
  return plan;
}

const stopFile = (out: string): string => path.join(stateDir(out), 'stop.json');

/**
 * Tells the workers of a queued run that it was stopped (`--max-failures`): video jobs not yet begun
 * end without aligning, and the finalize job writes only errors.jsonl and corpus.json.
 */
export async function writeStop(out: string, planHash: string): Promise<void> {
  await mkdir(stateDir(out), { recursive: true });
  await writeFileAtomic(stopFile(out), JSON.stringify({ planHash, at: new Date().toISOString() }) + '\n');
}

/** The plan hash of a stopped run, or null when none was stopped. */
export async function readStop(out: string): Promise<string | null> {
  try {
    return (JSON.parse(await readFile(stopFile(out), 'utf8')) as { planHash?: string }).planHash ?? null;
  } catch {
    return null;
  }
}

/** A new submission is not stopped. */
export async function clearStop(out: string): Promise<void> {
  await rm(stopFile(out), { force: true });
}
