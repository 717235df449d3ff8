/**
 * Reads an align output folder into the report's model: run.json (required), pairs.jsonl,
 * sync.json when sync ran, the frames folder, and the subtitle file run.json names (for the cues
 * that got no pair, which pairs.jsonl does not list). What is missing besides run.json becomes a
 * warning on the page, never a failed report.
 */
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { readSubtitleFile } from '../../alignment/subtitles/index.js';
import { InputFileError } from '../core/errors/index.js';
import type { Cue, Warning } from '../core/types.js';
import { hrefFrom, num, obj, parseJsonLines, parseJsonObject, readOptionalText, str } from './files.js';
import { readModels, type SemanticLookup } from './models.js';
import { parseMapping, readSyncFile } from './read-sync.js';
import { fillSimilarities, type SimilarityTarget } from './similarities.js';
import type { ReportAudio, ReportCue, ReportPair, RunCounts, VideoReport } from './types.js';

export interface ReadVideoReportOptions {
  /** Decides whether each recorded model is semantic; default looks the model folder up. */
  semantic?: SemanticLookup;
}

const FRAME_NAME = /^t(\d+)\.(\d{3})\.jpg$/;
const FRAMES_MANIFEST = '.mmalign-frames.json';

/** A cue of the subtitle file with an optional speaker (WebVTT voice, ASS actor). */
type FileCue = Cue & { speaker?: string };

async function readRun(dir: string): Promise<Record<string, unknown>> {
  const file = path.join(dir, 'run.json');
  const text = await readOptionalText(file);
  if (text === null) {
    const why = existsSync(dir) ? 'has no run.json' : 'does not exist';
    throw new InputFileError(dir, `${why}: it is not a complete align output folder (run \`mmalign align VIDEO SUBS --out ${dir}\` first)`);
  }
  const run = parseJsonObject(file, text);
  if (num(run.duration) === undefined || num(run.pairs) === undefined) {
    throw new InputFileError(file, 'lacks "duration" or "pairs": not a run.json written by mmalign align; rerun align');
  }
  return run;
}

function counts(run: Record<string, unknown>): RunCounts {
  const dropped = obj(run.dropped);
  return {
    duration: num(run.duration) ?? 0,
    frames: num(run.frames) ?? 0,
    pairs: num(run.pairs) ?? 0,
    unpairedFrames: num(run.unpairedFrames) ?? 0,
    unpairedCues: num(run.unpairedCues) ?? 0,
    droppedDuplicates: num(dropped?.duplicates) ?? 0,
    droppedEmptyText: num(dropped?.emptyText) ?? 0,
    train: num(run.train) ?? 0,
    dev: num(run.dev) ?? 0,
  };
}

/** Frame times from the frames manifest, else from the file names (`t000012.500.jpg`). */
async function readFrameTimes(framesDir: string): Promise<{ names: Set<string>; times: Map<string, number> }> {
  const names = new Set<string>();
  const times = new Map<string, number>();
  let entries: string[];
  try {
    entries = await readdir(framesDir);
  } catch {
    return { names, times };
  }
  for (const name of entries) {
    const m = FRAME_NAME.exec(name);
    if (!m) continue;
    names.add(name);
    times.set(name, Number(m[1]) + Number(m[2]) / 1000);
  }
  try {
    const manifest = JSON.parse(await readFile(path.join(framesDir, FRAMES_MANIFEST), 'utf8')) as { frames?: { time?: unknown; file?: unknown }[] };
    for (const f of manifest.frames ?? []) {
      if (typeof f.file === 'string' && typeof f.time === 'number' && names.has(f.file)) times.set(f.file, f.time);
    }
  } catch {
    // No manifest (or an old one): the names carry the time to the millisecond.
  }
  return { names, times };
}

/** The subtitle file's cues numbered as the pipeline numbered them, or null when it cannot be read. */
async function readCues(file: string, warnings: Warning[]): Promise<FileCue[] | null> {
  if (!file) return null;
  try {
    const doc = await readSubtitleFile(file);
    const seen = new Set<number>();
    const repeated = doc.cues.some((c) => seen.size === seen.add(c.index).size);
    // The pipeline renumbers by position when numbers repeat; pairs' cue_index follows that.
    return doc.cues.map((c, i) => ({ ...c, index: repeated ? i + 1 : c.index }));
  } catch (err) {
    const why = err instanceof InputFileError ? err.reason : (err as Error).message;
    warnings.push({ file, message: `subtitles not read (${why}): only paired cues are shown, unpaired ones cannot be listed` });
    return null;
  }
}

function unpairedReason(c: ReportCue, duration: number, threshold: number | null, duplicates: number): string {
  if (c.end <= 0 || c.start >= duration) return `outside the video (0–${duration.toFixed(3)} s)`;
  const within = threshold === null ? 'no frame close enough' : `no frame within ${threshold} s`;
  return duplicates > 0 ? `${within}, or only duplicate frame–text pairs` : within;
}

/**
 * Reads the align output folder `dir` into a {@link VideoReport}.
 *
 * @example
 * const report = await readVideoReport('talk-out');
 * console.log(report.pairs.length, report.cues.filter((c) => c.pairs === 0).length);
 */
export async function readVideoReport(dir: string, options: ReadVideoReportOptions = {}): Promise<VideoReport> {
  const abs = path.resolve(dir);
  const run = await readRun(abs);
  const warnings: Warning[] = [];
  const runWarnings: Warning[] = (Array.isArray(run.warnings) ? run.warnings : [])
    .map((w) => obj(w))
    .filter((w): w is Record<string, unknown> => w !== undefined && typeof w.message === 'string')
    .map((w) => ({ message: w.message as string, ...(str(w.file) ? { file: w.file as string } : {}), ...(num(w.line) !== undefined ? { line: w.line as number } : {}) }));
  const runOptions = obj(run.options) ?? {};
  const c = counts(run);
  const videoPath = str(run.video) ?? '';
  const subsPath = str(run.subtitles) ?? '';
  const offset = num(runOptions.offset) ?? 0;
  const threshold = num(runOptions.threshold) ?? null;

  const pairsFile = path.join(abs, 'pairs.jsonl');
  const pairsText = await readOptionalText(pairsFile);
  if (pairsText === null && c.pairs > 0) warnings.push({ file: pairsFile, message: `missing, though run.json counts ${c.pairs} pairs; no pairs are shown` });
  const rawPairs = pairsText === null ? [] : parseJsonLines(pairsFile, pairsText);

  const sync = await readSyncFile(abs, warnings);
  const mapping = sync?.mapping ?? parseMapping(run.sync);
  const fileCues = await readCues(subsPath, warnings);

  // Cues: the subtitle file's, else those the pairs and sync.json name (without text for the latter).
  const cues: ReportCue[] = [];
  const position = new Map<number, number>();
  const addCue = (index: number, givenStart: number, givenEnd: number, text: string, speaker?: string) => {
    const s = sync?.cues.get(index);
    position.set(index, cues.length);
    cues.push({
      index,
      start: s ? s.start : givenStart + offset,
      end: s ? s.end : givenEnd + offset,
      givenStart: s ? s.originalStart : givenStart,
      givenEnd: s ? s.originalEnd : givenEnd,
      text,
      ...(speaker ? { speaker } : {}),
      ...(s?.spoken !== undefined ? { spoken: s.spoken } : {}),
      pairs: 0,
    });
  };
  if (fileCues) {
    for (const fc of fileCues) addCue(fc.index, fc.start, fc.end, fc.text, fc.speaker);
  } else {
    for (const p of rawPairs) {
      const index = num(p.cue_index);
      if (index === undefined || position.has(index)) continue;
      const s = sync?.cues.get(index);
      addCue(index, s?.originalStart ?? (num(p.start) ?? 0) - offset, s?.originalEnd ?? (num(p.end) ?? 0) - offset, str(p.text) ?? '', str(p.speaker));
    }
    for (const [index, s] of sync?.cues ?? []) if (!position.has(index)) addCue(index, s.originalStart, s.originalEnd, '');
  }

  const framesDir = path.join(abs, 'frames');
  const frameFiles = await readFrameTimes(framesDir);
  const hasAudio = run.hasAudio === true;
  const videoHref = hasAudio && videoPath && existsSync(videoPath) ? hrefFrom(abs, videoPath) : null;
  const pairedFrames = new Set<string>();
  const targets: (ReportPair & SimilarityTarget)[] = [];
  let missingFrames = 0;
  rawPairs.forEach((p, i) => {
    const index = num(p.cue_index);
    const frame = str(p.frame);
    if (index === undefined || frame === undefined) {
      throw new InputFileError(`${pairsFile}:${i + 1}`, 'has no "cue_index" or "frame": not a pairs.jsonl line written by mmalign align');
    }
    let at = position.get(index);
    if (at === undefined) {
      // The subtitle file changed since the run: keep the pair with the cue as pairs.jsonl recorded it.
      addCue(index, (num(p.start) ?? 0) - offset, (num(p.end) ?? 0) - offset, str(p.text) ?? '', str(p.speaker));
      at = cues.length - 1;
    }
    const cue = cues[at];
    cue.pairs++;
    const frameName = path.basename(frame);
    pairedFrames.add(frameName);
    if (!frameFiles.names.has(frameName)) missingFrames++;
    const clip = str(p.audio_clip);
    let audio: ReportAudio | undefined;
    if (clip) audio = { src: hrefFrom(abs, path.resolve(abs, clip)) };
    const speaker = str(p.speaker) ?? cue.speaker;
    targets.push({
      cue: at,
      cueIndex: index,
      frameName,
      frame: `frames/${encodeURIComponent(frameName)}`,
      frameTime: num(p.frame_time) ?? frameFiles.times.get(frameName) ?? 0,
      distance: num(p.distance) ?? 0,
      ...(num(p.frame_text_similarity) !== undefined ? { frameText: p.frame_text_similarity as number } : {}),
      ...(num(p.audio_text_similarity) !== undefined ? { audioText: p.audio_text_similarity as number } : {}),
      ...(speaker ? { speaker } : {}),
      ...(audio ? { audio } : {}),
    });
  });
  if (missingFrames > 0) warnings.push({ file: framesDir, message: `${missingFrames} paired frame image(s) are missing; their thumbnails stay empty` });
  await fillSimilarities(abs, targets, warnings);
  const pairs: ReportPair[] = targets.map(({ cueIndex: _c, frameName: _f, ...p }) => p);

  for (const cue of cues) {
    if (cue.pairs === 0 && cue.text.trim() !== '') cue.unpairedReason = unpairedReason(cue, c.duration, threshold, c.droppedDuplicates);
  }
  const unpaired = cues.filter((q) => q.unpairedReason !== undefined).length;
  if (fileCues && unpaired !== c.unpairedCues) {
    warnings.push({ file: subsPath, message: `lists ${unpaired} unpaired cue(s) where run.json counts ${c.unpairedCues}: the file changed since the run? Rerun align` });
  }

  const frames = [...frameFiles.times.entries()]
    .map(([name, time]) => ({ time, paired: pairedFrames.has(name) }))
    .sort((a, b) => a.time - b.time);
  return {
    kind: 'video',
    dir: abs,
    video: { path: videoPath, name: path.basename(videoPath) || '(unknown video)', hasAudio, href: videoHref },
    subtitles: { path: subsPath, found: fileCues !== null },
    mode: str(run.mode) ?? 'unknown',
    format: str(run.format) ?? 'unknown',
    embedded: run.embedded === true,
    offset,
    threshold,
    counts: c,
    models: await readModels(run.models, str(runOptions.modelsDir), options.semantic),
    sync: mapping,
    speech: sync?.speech ?? null,
    cues,
    pairs,
    frames,
    runWarnings,
    notices: warnings,
  };
}
