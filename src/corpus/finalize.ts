/**
 * The corpus-level step, run once after every video's job has ended (by the local runner, or as the
 * parent job of the BullMQ flow): the train/dev split over the whole corpus, corpus train.jsonl and
 * dev.jsonl, the WebDataset shards, knowledge-base ingestion, stats.json, errors.jsonl and
 * corpus.json (written last: its presence says the corpus is finalized). Only this step writes
 * shards, and it streams one video at a time, so memory does not grow with the corpus.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../core/fs.js';
import { defaultBinaries, type FfmpegBinaries } from '../core/ffmpeg/index.js';
import { llamaFactoryDatasetInfo, splitTrainDev, toDatasetRecord, type AlignedPair } from '../pipeline/dataset.js';
import { CueAudio } from './audio-clips.js';
import { openAtomicStream, type AtomicStream } from './atomic-stream.js';
import { ingestCorpus, type KbIngestStats } from './kb-ingest.js';
import { hashOf, sampleKey } from './keys.js';
import { ShardWriter, type ShardStats } from './shards.js';
import { videoSplit } from './split.js';
import { CORPUS_FILES, readAllRecords, videoOutDir } from './state.js';
import type { CompleteRecord, CorpusPlan, PlannedVideo, VideoJobRecord } from './types.js';

/** How a video ended, as corpus.json lists it (`ok` as the report page expects). */
export type EntryStatus = 'ok' | 'failed' | 'duplicate' | 'not-run';

export interface CorpusEntrySummary {
  key: string;
  video: string;
  subtitles: string | null;
  status: EntryStatus;
  /** Its align output folder, relative to the corpus folder. */
  out: string;
  duration: number | null;
  pairs: number | null;
  error?: string;
  code?: string;
  attempts?: number;
  duplicateOf?: string;
}

/** corpus.json. */
export interface CorpusSummary {
  version: 1;
  corpusId: string;
  input: string;
  out: string;
  /** Videos in the input. */
  videos: number;
  complete: number;
  failures: number;
  duplicates: number;
  /** Videos a stopped run (`--max-failures`) never started. */
  notRun: number;
  /** Media hours of the complete videos. */
  hours: number;
  /** Samples (frame–cue pairs) in the dataset and shards. */
  pairs: number;
  train: number;
  dev: number;
  shards: number;
  format: string;
  splitBy: string;
  withAudio: boolean;
  kb: KbIngestStats | null;
  /** True when `--max-failures` stopped the run: no dataset files or shards were (re)written. */
  aborted: boolean;
  /** Hash of the plan and every video's outcome; equal on a rerun means nothing to redo. */
  finalizeHash: string;
  finishedAt: string;
  /** Wall seconds of this finalize step. */
  seconds: number;
  entries: CorpusEntrySummary[];
}

export interface FinalizeOptions {
  /** Failure reasons the queue knows for jobs that left no record (e.g. stalled too often), by job id. */
  queueFailures?: Readonly<Record<string, string>>;
  /** The run was stopped by `--max-failures`: write errors.jsonl and corpus.json only. */
  aborted?: boolean;
  /** Redo the step even when corpus.json says it is up to date. */
  force?: boolean;
  binaries?: FfmpegBinaries;
  onPhase?: (phase: 'samples' | 'kb' | 'summary') => void;
}

interface Resolved {
  entry: PlannedVideo;
  status: EntryStatus;
  record?: CompleteRecord;
  error?: { message: string; code: string; attempts: number };
}

function resolveEntry(entry: PlannedVideo, record: VideoJobRecord | undefined, queueFailures: Readonly<Record<string, string>>, aborted: boolean): Resolved {
  if (entry.state === 'duplicate') return { entry, status: 'duplicate' };
  if (entry.planError) return { entry, status: 'failed', error: { ...entry.planError, attempts: 0 } };
  if (record && record.jobHash === entry.jobHash) {
    if (record.status === 'complete') return { entry, status: 'ok', record };
    return { entry, status: 'failed', error: { message: record.error, code: record.code, attempts: record.attempts } };
  }
  const lost = queueFailures[entry.jobId];
  if (lost !== undefined) return { entry, status: 'failed', error: { message: lost, code: 'QUEUE', attempts: 0 } };
  if (aborted) return { entry, status: 'not-run' };
  return { entry, status: 'failed', error: { message: 'its job ended without a result (the worker was lost); run the command again to retry it', code: 'INCOMPLETE', attempts: 0 } };
}

async function readPairs(dir: string): Promise<AlignedPair[]> {
  const text = await readFile(path.join(dir, 'pairs.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as AlignedPair);
}

/** corpus.json of a corpus folder, or null when there is none (or it is unreadable). */
export async function readCorpusSummary(out: string): Promise<CorpusSummary | null> {
  try {
    return JSON.parse(await readFile(path.join(out, CORPUS_FILES.summary), 'utf8')) as CorpusSummary;
  } catch {
    return null;
  }
}

/** Every entry's outcome as the folder records it now, and the hash the finalize step keys on. */
async function resolveAll(plan: CorpusPlan, options: FinalizeOptions): Promise<{ resolved: Resolved[]; finalizeHash: string }> {
  const records = await readAllRecords(plan.out);
  const resolved = [...plan.entries]
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((e) => resolveEntry(e, records.get(e.key), options.queueFailures ?? {}, options.aborted ?? false));
  const finalizeHash = hashOf({ plan: plan.planHash, aborted: options.aborted ?? false, outcomes: resolved.map((r) => [r.entry.key, r.status, r.record?.jobHash ?? null, r.error?.code ?? null]) });
  return { resolved, finalizeHash };
}

/**
 * corpus.json when it is up to date for `plan` (same plan, same outcome of every video), else null:
 * then a rerun has nothing to do.
 *
 * @example
 * if (plan.entries.every((e) => e.state !== 'pending') && (await finalizedSummary(plan))) console.log('nothing to do');
 */
export async function finalizedSummary(plan: CorpusPlan): Promise<CorpusSummary | null> {
  const [{ finalizeHash }, previous] = await Promise.all([resolveAll(plan, {}), readCorpusSummary(plan.out)]);
  return previous?.finalizeHash === finalizeHash ? previous : null;
}

/** The JSON of one sample in its shard: everything about it, plus the manifest's extra columns. */
function sampleJson(key: string, p: AlignedPair, r: Resolved, split: 'train' | 'dev', prompt: string): Record<string, unknown> {
  return {
    key,
    video_key: r.entry.key,
    video: r.entry.video,
    subtitles: r.record?.subtitles ?? r.entry.subtitles,
    cue_index: p.cue_index,
    start: p.start,
    end: p.end,
    frame_time: p.frame_time,
    text: p.text,
    distance: p.distance,
    ...(p.frame_text_similarity !== undefined ? { frame_text_similarity: p.frame_text_similarity } : {}),
    ...(p.audio_text_similarity !== undefined ? { audio_text_similarity: p.audio_text_similarity } : {}),
    // Cues carry a speaker where the subtitles name one (WebVTT <v>, ASS actor).
    ...((p as AlignedPair & { speaker?: string }).speaker !== undefined ? { speaker: (p as AlignedPair & { speaker?: string }).speaker } : {}),
    split,
    prompt,
    metadata: r.entry.metadata,
  };
}

/**
 * Runs the corpus-level step for `plan` and returns what it wrote to corpus.json. A rerun whose
 * plan and video outcomes are unchanged returns the existing summary without touching a file.
 *
 * @example
 * const summary = await finalizeCorpus(plan);
 * console.log(`${summary.pairs} samples in ${summary.shards} shards, ${summary.failures} failed`);
 */
export async function finalizeCorpus(plan: CorpusPlan, options: FinalizeOptions = {}): Promise<CorpusSummary & { upToDate: boolean }> {
  const t0 = performance.now();
  const { out, settings } = plan;
  const { resolved, finalizeHash } = await resolveAll(plan, options);
  const previous = await readCorpusSummary(out);
  if (!options.force && previous?.finalizeHash === finalizeHash) return { ...previous, upToDate: true };

  const ok = resolved.filter((r) => r.status === 'ok');
  let counts = { pairs: 0, train: 0, dev: 0 };
  let shardStats: ShardStats[] = [];
  let kb: KbIngestStats | null = null;
  if (!options.aborted) {
    options.onPhase?.('samples');
    ({ counts, shardStats } = await writeSamples(plan, ok, options.binaries ?? defaultBinaries()));
    if (settings.kb) {
      options.onPhase?.('kb');
      kb = await ingestCorpus(settings.kb, ok.map((r) => ({ key: r.entry.key, jobHash: r.entry.jobHash, video: r.entry.video, dir: videoOutDir(out, r.entry.key) })), out);
    }
  }

  options.onPhase?.('summary');
  const entries: CorpusEntrySummary[] = resolved.map((r) => ({
    key: r.entry.key,
    video: r.entry.video,
    subtitles: r.record?.subtitles ?? r.entry.subtitles,
    status: r.status,
    out: `${CORPUS_FILES.videos}/${r.entry.key}`,
    duration: r.record?.duration ?? null,
    pairs: r.record?.pairs ?? null,
    ...(r.error ? { error: r.error.message, code: r.error.code, attempts: r.error.attempts } : {}),
    ...(r.entry.duplicateOf ? { duplicateOf: r.entry.duplicateOf } : {}),
  }));
  const failed = resolved.filter((r) => r.status === 'failed');
  await writeFileAtomic(
    path.join(out, CORPUS_FILES.errors),
    failed.map((r) => JSON.stringify({ video: r.entry.video, key: r.entry.key, error: r.error!.message, code: r.error!.code, attempts: r.error!.attempts }) + '\n').join(''),
  );
  const hours = ok.reduce((a, r) => a + (r.record?.duration ?? 0), 0) / 3600;
  const seconds = Math.round(performance.now() - t0) / 1000;
  if (!options.aborted) {
    await writeFileAtomic(
      path.join(out, CORPUS_FILES.stats),
      JSON.stringify(
        {
          version: 1,
          videos: { total: resolved.length, complete: ok.length, failed: failed.length, duplicates: resolved.filter((r) => r.status === 'duplicate').length },
          hours,
          samples: counts.pairs,
          train: counts.train,
          dev: counts.dev,
          splitBy: settings.splitBy,
          shardSize: settings.shardSize,
          withAudio: settings.withAudio,
          shards: shardStats,
          kb,
          finalizeSeconds: seconds,
        },
        null,
        2,
      ) + '\n',
    );
  }
  const summary: CorpusSummary = {
    version: 1,
    corpusId: plan.corpusId,
    input: plan.input,
    out,
    videos: resolved.length,
    complete: ok.length,
    failures: failed.length,
    duplicates: resolved.filter((r) => r.status === 'duplicate').length,
    notRun: resolved.filter((r) => r.status === 'not-run').length,
    hours,
    pairs: counts.pairs,
    train: counts.train,
    dev: counts.dev,
    shards: shardStats.length,
    format: settings.align.format,
    splitBy: settings.splitBy,
    withAudio: settings.withAudio,
    kb,
    aborted: options.aborted ?? false,
    finalizeHash,
    finishedAt: new Date().toISOString(),
    seconds,
    entries,
  };
  await writeFileAtomic(path.join(out, CORPUS_FILES.summary), JSON.stringify(summary, null, 1) + '\n');
  return { ...summary, upToDate: false };
}

/** Streams every sample of the complete videos into train/dev.jsonl and the shards. */
async function writeSamples(plan: CorpusPlan, ok: readonly Resolved[], binaries: FfmpegBinaries): Promise<{ counts: { pairs: number; train: number; dev: number }; shardStats: ShardStats[] }> {
  const { out, settings } = plan;
  const { align } = settings;
  const devVideos = settings.splitBy === 'video' ? videoSplit(ok.filter((r) => (r.record?.pairs ?? 0) > 0).map((r) => r.entry.key), align.split, align.seed) : new Set<string>();
  const counts = { pairs: 0, train: 0, dev: 0 };
  const shards = new ShardWriter(path.join(out, CORPUS_FILES.shards), settings.shardSize);
  const files: AtomicStream[] = [];
  try {
    await mkdir(shards.dir, { recursive: true });
    const train = await openAtomicStream(path.join(out, CORPUS_FILES.train));
    files.push(train);
    const dev = await openAtomicStream(path.join(out, CORPUS_FILES.dev));
    files.push(dev);
    for (const r of ok) {
      const dir = videoOutDir(out, r.entry.key);
      const pairs = await readPairs(dir);
      const prompt = r.entry.prompt ?? align.prompt;
      // By cue: the video's own per-cue split, the one `align` wrote into its train/dev.jsonl.
      const devPairs = settings.splitBy === 'cue' ? new Set(splitTrainDev(pairs, (p) => p.cue_index, { train: align.split, seed: align.seed }).dev) : null;
      const audio = settings.withAudio && r.record?.hasAudio ? new CueAudio(r.entry.video, binaries) : null;
      for (const p of pairs) {
        const split: 'train' | 'dev' = (devPairs ? devPairs.has(p) : devVideos.has(r.entry.key)) ? 'dev' : 'train';
        const key = sampleKey(r.entry.key, p.cue_index, p.frame_time);
        const frame = path.join(dir, 'frames', path.basename(p.frame));
        const local: AlignedPair = { ...p, video: r.entry.video, frame };
        const record = toDatasetRecord(local, align.format, prompt) as object;
        const line = Object.keys(r.entry.metadata).length > 0 ? { ...record, metadata: r.entry.metadata } : record;
        await (split === 'train' ? train : dev).write(JSON.stringify(line) + '\n');
        const sampleFiles: { ext: string; data: Uint8Array }[] = [
          { ext: 'jpg', data: await readFile(frame) },
          { ext: 'txt', data: Buffer.from(p.text, 'utf8') },
          { ext: 'json', data: Buffer.from(JSON.stringify(sampleJson(key, p, r, split, prompt)), 'utf8') },
        ];
        if (audio) sampleFiles.push({ ext: 'wav', data: await audio.wav(p.start, p.end) });
        await shards.add(key, split, sampleFiles);
        counts.pairs++;
        counts[split]++;
      }
    }
    const shardStats = await shards.close();
    await train.commit();
    await dev.commit();
    files.length = 0;
    // GLM-4.1V trains through LLaMA-Factory, which wants the files registered; other formats must not keep a stale card.
    const card = path.join(out, CORPUS_FILES.datasetInfo);
    if (align.format === 'glm41v') await writeFileAtomic(card, JSON.stringify(llamaFactoryDatasetInfo(CORPUS_FILES.train, CORPUS_FILES.dev), null, 2) + '\n');
    else await rm(card, { force: true });
    return { counts, shardStats };
  } catch (err) {
    await shards.abort();
    for (const f of files) await f.abort();
    throw err;
  }
}
