/**
 * The plan of a corpus run: every input entry with its job hash and id, and what is already done.
 * The same input, settings and files give the same plan (and plan hash) on every run and machine,
 * which is what makes a resubmission add nothing twice and a rerun skip what is complete.
 */
import path from 'node:path';
import { InputFileError, MmalignError } from '../core/errors/index.js';
import { identifyModel, type ModelIdentity } from '../../encoders/choice.js';
import { MODALITIES, type Modality, type Warning } from '../core/types.js';
import { discoverInputs } from './input.js';
import { isComplete } from './job.js';
import { corpusId as deriveCorpusId, fileHash, hashOf, jobHash, videoContentHash, videoJobId } from './keys.js';
import { readAllRecords } from './state.js';
import type { CorpusPlan, CorpusSettings, PlannedVideo } from './types.js';
import { appendAll } from '../core/arrays.js';

export interface PlanOptions {
  /** The corpus output folder. */
  out: string;
  settings: CorpusSettings;
  /** Default: derived from the output folder's absolute path. */
  corpusId?: string;
}

async function inBatches<T, R>(items: readonly T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) appendAll(out, await Promise.all(items.slice(i, i + size).map(fn)));
  return out;
}

/** The model file of each modality the videos will be embedded with, or null when not embedding. */
async function modelFiles(align: CorpusSettings['align']): Promise<Partial<Record<Modality, ModelIdentity>> | null> {
  if (!align.embed) return null;
  const choice = { model: align.model, dtype: align.dtype, modelsDir: align.modelsDir ?? undefined, allowRemote: align.allowRemote };
  const out: Partial<Record<Modality, ModelIdentity>> = {};
  for (const m of MODALITIES) out[m] = await identifyModel(m, choice);
  return out;
}

/**
 * Reads the input, hashes every video (a sampled content hash) and subtitle file, and marks each
 * entry `complete` (same job hash already done), `failed` (same job hash failed on bad input, which
 * a retry cannot fix), `duplicate` (same content as an earlier entry) or `pending`.
 *
 * @example
 * const { plan } = await planCorpus('/data/videos', { out: '/data/out', settings });
 * console.log(plan.entries.filter((e) => e.state === 'pending').length, 'to align');
 */
export async function planCorpus(input: string, { out, settings, corpusId }: PlanOptions): Promise<{ plan: CorpusPlan; warnings: Warning[] }> {
  const outAbs = path.resolve(out);
  const id = deriveCorpusId(outAbs, corpusId);
  const discovery = await discoverInputs(input, { exclude: [outAbs], subLang: settings.subLang });
  const headsHash = settings.align.heads
    ? await fileHash(settings.align.heads).catch((err: unknown) => {
        throw new InputFileError(settings.align.heads!, 'projection heads file cannot be read; check --heads', err);
      })
    : null;
  // Models are found (and with allowRemote downloaded, once, here) before any video is hashed or job started.
  const models = await modelFiles(settings.align);
  const records = await readAllRecords(outAbs);
  const planned = await inBatches(discovery.entries, 8, async (entry): Promise<PlannedVideo> => {
    let hashes: { video: string; subtitles: string | null };
    try {
      hashes = {
        video: await videoContentHash(entry.video).catch((err: unknown) => {
          throw new InputFileError(entry.video, (err as NodeJS.ErrnoException).code === 'ENOENT' ? `no such video file (listed at ${entry.origin})` : `cannot be read: ${(err as Error).message}`, err);
        }),
        subtitles:
          entry.subtitles === null
            ? null
            : await fileHash(entry.subtitles).catch((err: unknown) => {
                throw new InputFileError(entry.subtitles!, (err as NodeJS.ErrnoException).code === 'ENOENT' ? `no such subtitle file (for ${entry.video})` : `cannot be read: ${(err as Error).message}`, err);
              }),
      };
    } catch (err) {
      const e = err as MmalignError;
      // Its own failure, listed in errors.jsonl; the rest of the corpus goes on.
      const hash = hashOf({ missing: entry.video, subtitles: entry.subtitles });
      return { ...entry, jobHash: hash, jobId: videoJobId(id, hash), state: 'failed', planError: { message: e.message, code: e.code ?? 'INPUT_FILE' } };
    }
    const hash = jobHash({ ...hashes, align: settings.align, prompt: entry.prompt ?? settings.align.prompt, headsHash, subLang: settings.subLang, models });
    const record = records.get(entry.key);
    let state: PlannedVideo['state'] = 'pending';
    if (record?.jobHash === hash) {
      if (record.status === 'complete' && (await isComplete(outAbs, entry.key, hash))) state = 'complete';
      else if (record.status === 'failed' && !record.retryable) state = 'failed';
    }
    return { ...entry, jobHash: hash, jobId: videoJobId(id, hash), state };
  });
  // The same content twice (a copy under another name) is aligned once: twice would put every sample in the dataset twice.
  const firstOf = new Map<string, string>();
  for (const p of planned) {
    if (p.planError) continue;
    const first = firstOf.get(p.jobHash);
    if (first === undefined) firstOf.set(p.jobHash, p.key);
    else Object.assign(p, { state: 'duplicate', duplicateOf: first });
  }
  const warnings: Warning[] = [...discovery.warnings];
  for (const p of planned) if (p.duplicateOf) warnings.push({ file: p.video, message: `same content as ${p.duplicateOf}; aligned once, listed as a duplicate` });
  const planHash = hashOf({
    v: 1,
    corpusId: id,
    settings,
    entries: planned.map((p) => [p.key, p.jobHash, p.video, p.subtitles, p.prompt, p.metadata, p.duplicateOf ?? null, p.planError?.code ?? null]),
  });
  return {
    plan: { version: 1, corpusId: id, input: discovery.location, out: outAbs, settings, models, entries: planned, planHash },
    warnings,
  };
}
