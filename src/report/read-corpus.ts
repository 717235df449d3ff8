/**
 * Reads a corpus folder (`mmalign corpus align --out DIR`) for its summary page: corpus.json, the
 * failures in errors.jsonl, and from each video's folder its duration, pairs, sync confidence and
 * similarities, which the page shows as distributions.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Warning } from '../core/types.js';
import { hrefFrom, num, obj, parseJsonLines, parseJsonObject, readOptionalText, str } from './files.js';
import { parseMapping } from './read-sync.js';
import type { CorpusReport, CorpusVideoEntry, Histogram } from './types.js';

/** Bins of the summary histograms: confidence over [0, 1], cosine similarity over [-1, 1]. */
export const CONFIDENCE_BINS = 10;
export const SIMILARITY_BINS = 20;

/**
 * An empty histogram over [min, max) with `bins` equal bins.
 *
 * @example
 * const h = histogram(0, 1, 10); addTo(h, 0.93); h.counts[9]; // 1
 */
export function histogram(min: number, max: number, bins: number): Histogram {
  return { min, max, counts: new Array<number>(bins).fill(0), total: 0 };
}

/** Counts a value into its bin; the top edge goes into the last bin, values outside are clamped. */
export function addTo(h: Histogram, value: number): void {
  const n = h.counts.length;
  const i = Math.min(n - 1, Math.max(0, Math.floor(((value - h.min) / (h.max - h.min)) * n)));
  h.counts[i]++;
  h.total++;
}

interface ListedVideo {
  key: string;
  video: string;
  status: string;
  out: string | null;
}

/** The per-video list of corpus.json, or the folders under videos/ when it lists none. */
async function listVideos(dir: string, corpus: Record<string, unknown>): Promise<ListedVideo[]> {
  const list = [corpus.videos, corpus.entries, corpus.items, corpus.perVideo].find((v) => Array.isArray(v)) as unknown[] | undefined;
  if (list) {
    return list
      .map((v) => obj(v))
      .filter((v): v is Record<string, unknown> => v !== undefined)
      .map((v, i) => {
        const key = str(v.key) ?? String(i);
        const out = str(v.out) ?? path.join('videos', key);
        return { key, video: str(v.video) ?? '', status: str(v.status) ?? 'unknown', out: path.resolve(dir, out) };
      });
  }
  const names = await readdir(path.join(dir, 'videos')).catch(() => [] as string[]);
  return names.sort().map((key) => ({ key, video: '', status: 'unknown', out: path.join(dir, 'videos', key) }));
}

/**
 * Reads the corpus folder `dir`.
 *
 * @example
 * const c = await readCorpusReport('corpus-out');
 * console.log(c.videos, c.hours.toFixed(1), c.failures.length);
 */
export async function readCorpusReport(dir: string): Promise<CorpusReport> {
  const abs = path.resolve(dir);
  const corpusFile = path.join(abs, 'corpus.json');
  const corpus = parseJsonObject(corpusFile, (await readOptionalText(corpusFile)) ?? '{}');
  const warnings: Warning[] = [];
  const errorsFile = path.join(abs, 'errors.jsonl');
  const failures = parseJsonLines(errorsFile, (await readOptionalText(errorsFile)) ?? '').map((f) => ({
    video: str(f.video) ?? '(unknown video)',
    error: str(f.error) ?? (typeof f.error === 'object' ? JSON.stringify(f.error) : 'unknown error'),
    code: str(f.code) ?? null,
    attempts: num(f.attempts) ?? null,
  }));

  const syncConfidence = histogram(0, 1, CONFIDENCE_BINS);
  const frameText = histogram(-1, 1, SIMILARITY_BINS);
  const audioText = histogram(-1, 1, SIMILARITY_BINS);
  const entries: CorpusVideoEntry[] = [];
  let seconds = 0;
  let pairsTotal = 0;
  for (const v of await listVideos(abs, corpus)) {
    const entry: CorpusVideoEntry = { ...v, href: null, duration: null, pairs: null, syncConfidence: null };
    entries.push(entry);
    if (!v.out) continue;
    const runFile = path.join(v.out, 'run.json');
    const runText = await readOptionalText(runFile);
    if (runText === null) continue;
    let run: Record<string, unknown>;
    try {
      run = parseJsonObject(runFile, runText);
    } catch (err) {
      warnings.push({ file: runFile, message: `skipped: ${(err as Error).message}` });
      continue;
    }
    entry.href = `${hrefFrom(abs, v.out)}/report.html`;
    entry.duration = num(run.duration) ?? null;
    entry.pairs = num(run.pairs) ?? null;
    if (!entry.video) entry.video = str(run.video) ?? '';
    if (entry.status === 'unknown') entry.status = 'ok';
    seconds += entry.duration ?? 0;
    pairsTotal += entry.pairs ?? 0;
    const syncText = await readOptionalText(path.join(v.out, 'sync.json'));
    let mapping = parseMapping(run.sync);
    if (syncText !== null) {
      try {
        mapping = parseMapping(JSON.parse(syncText).mapping) ?? mapping;
      } catch {
        warnings.push({ file: path.join(v.out, 'sync.json'), message: 'is not valid JSON; its confidence is left out' });
      }
    }
    // Method `none`: sync did not run (no audio, too few spoken cues); its 0 is no confidence.
    if (mapping && mapping.method !== 'none') {
      entry.syncConfidence = mapping.confidence;
      addTo(syncConfidence, mapping.confidence);
    }
    const pairsFile = path.join(v.out, 'pairs.jsonl');
    try {
      for (const p of parseJsonLines(pairsFile, (await readOptionalText(pairsFile)) ?? '')) {
        if (num(p.frame_text_similarity) !== undefined) addTo(frameText, p.frame_text_similarity as number);
        if (num(p.audio_text_similarity) !== undefined) addTo(audioText, p.audio_text_similarity as number);
      }
    } catch (err) {
      warnings.push({ file: pairsFile, message: `similarities left out: ${(err as Error).message}` });
    }
  }
  if (!existsSync(errorsFile) && failures.length === 0 && num(corpus.failures) && (corpus.failures as number) > 0) {
    warnings.push({ file: errorsFile, message: `missing, though corpus.json counts ${corpus.failures} failure(s): their reasons cannot be shown` });
  }
  return {
    kind: 'corpus',
    dir: abs,
    videos: num(corpus.videos) ?? entries.length,
    hours: num(corpus.hours) ?? seconds / 3600,
    pairs: num(corpus.pairs) ?? pairsTotal,
    failures,
    entries,
    syncConfidence,
    frameText,
    audioText,
    warnings,
  };
}
