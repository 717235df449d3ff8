/**
 * One video's job: align it into `DIR/videos/<key>/` through the public `alignVideo`, then record
 * it complete. The output is idempotent: a retry after a crash, or a second worker on the same job,
 * rewrites the same files atomically (alignVideo replaces each one and reuses finished frames), and
 * the record is written last, so "complete" always means a complete output folder.
 */
import { availableParallelism } from 'node:os';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Encoder } from '../../encoders/types.js';
import type { Device } from '../../encoders/types.js';
import { defaultBinaries, type FfmpegBinaries } from '../core/ffmpeg/index.js';
import { alignVideo, type AlignVideoResult, type EncoderFactory } from '../pipeline/index.js';
import { extractEmbeddedSubtitles } from './embedded-subtitles.js';
import { extractedSubtitlesDir, readRecord, videoOutDir, workerName, writeRecord } from './state.js';
import type { CompleteRecord, VideoJobSpec } from './types.js';

/** What a job needs from its process: ffmpeg, intra-op threads, and (for tests) the aligner. */
export interface JobRuntime {
  binaries?: FfmpegBinaries;
  /** onnxruntime intra-op threads per encoder; default: the core count. */
  threads?: number;
  /** Default: the public `alignVideo`. */
  align?: typeof alignVideo;
  /** Default: `createEncoder` with `threads`. */
  createEncoder?: EncoderFactory;
  signal?: AbortSignal;
}

/**
 * The encoder factory a corpus worker aligns with: the project's encoders, with `threads` intra-op
 * threads, so N workers on C cores run C/N threads each instead of N×C.
 *
 * @example
 * const createEncoder = threadedEncoderFactory(1);
 */
export function threadedEncoderFactory(threads: number): EncoderFactory {
  return async (modality, o): Promise<Encoder> => {
    const { createEncoder } = await import('../../encoders/encoder.js');
    return createEncoder(modality, {
      model: o.model,
      dtype: o.dtype,
      allowRemote: o.allowRemote,
      modelsDir: o.modelsDir,
      device: o.device as Device | undefined,
      heads: o.heads,
      logger: o.logger,
      threads,
    });
  };
}

/** Whether a record says this video's output is complete for exactly this job (content and settings). */
export async function isComplete(out: string, key: string, jobHash: string): Promise<CompleteRecord | null> {
  const r = await readRecord(out, key);
  if (r?.status !== 'complete' || r.jobHash !== jobHash) return null;
  // The record is written after run.json; a folder deleted by hand since then means "redo it".
  const run = await stat(path.join(videoOutDir(out, key), 'run.json')).catch(() => null);
  return run ? r : null;
}

/**
 * Runs one video job and returns its record. A video already complete for the same job hash is not
 * touched (`reused: true`).
 *
 * @example
 * const { record, reused } = await runVideoJob(spec, { threads: 1 });
 */
export async function runVideoJob(spec: VideoJobSpec, runtime: JobRuntime = {}): Promise<{ record: CompleteRecord; reused: boolean }> {
  const { entry, out, jobHash, align: a } = spec;
  const done = await isComplete(out, entry.key, jobHash);
  if (done) return { record: done, reused: true };
  const binaries = runtime.binaries ?? defaultBinaries();
  const dir = videoOutDir(out, entry.key);
  const t0 = performance.now();
  const subtitles = entry.subtitles ?? (await extractEmbeddedSubtitles(entry.video, extractedSubtitlesDir(out, entry.key), spec.subLang, binaries));
  const align = runtime.align ?? alignVideo;
  const result: AlignVideoResult = await align(entry.video, subtitles, {
    out: dir,
    mode: a.mode,
    fps: a.fps,
    perCue: a.perCue,
    sceneThreshold: a.sceneThreshold,
    threshold: a.threshold,
    offset: a.offset,
    sync: a.sync,
    embed: a.embed,
    device: a.device,
    model: a.model,
    dtype: a.dtype,
    allowRemote: a.allowRemote,
    modelsDir: a.modelsDir ?? undefined,
    heads: a.heads ?? undefined,
    format: a.format,
    prompt: entry.prompt ?? a.prompt,
    split: a.split,
    seed: a.seed,
    jpegQuality: a.jpegQuality,
    binaries,
    createEncoder: runtime.createEncoder ?? threadedEncoderFactory(runtime.threads ?? availableParallelism()),
    signal: runtime.signal,
  });
  const record: CompleteRecord = {
    version: 1,
    status: 'complete',
    key: entry.key,
    jobHash,
    video: entry.video,
    subtitles,
    duration: result.duration,
    frames: result.frames,
    pairs: result.pairs,
    train: result.train,
    dev: result.dev,
    hasAudio: result.hasAudio,
    embedded: result.embedded,
    warnings: result.warnings.slice(0, 10).map((w) => (w.file ? `${w.file}: ${w.message}` : w.message)),
    seconds: Math.round(performance.now() - t0) / 1000,
    worker: workerName(),
    finishedAt: new Date().toISOString(),
  };
  await writeRecord(out, record);
  return { record, reused: false };
}
