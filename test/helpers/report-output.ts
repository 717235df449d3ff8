/**
 * Inputs for the report tests and bench that no command writes yet, per the contracts in PLAN.md:
 * a sync.json (issue 13) for a real align output, a synthetic long align output (2 h, 7,000 pairs)
 * and a corpus folder (issue 16) assembled from align outputs.
 */
import { cpSync, linkSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { mulberry32 } from '../../src/core/random.js';

export interface SyncCue {
  index: number;
  start: number;
  end: number;
  originalStart: number;
  originalEnd: number;
  spoken: boolean;
}

export interface SyncDoc {
  version: 1;
  mapping: { offset: number; ratio: number; splits: { at: number; offset: number }[]; confidence: number; method: string; applied: boolean; reason: string };
  cues: SyncCue[];
  speech: { step: number; start: number; probabilities: number[] };
}

/** Writes DIR/sync.json and records its mapping in DIR/run.json under `sync`, as sync does. */
export function writeSyncJson(dir: string, doc: SyncDoc): void {
  writeFileSync(path.join(dir, 'sync.json'), JSON.stringify(doc));
  const runFile = path.join(dir, 'run.json');
  const run = JSON.parse(readFileSync(runFile, 'utf8')) as Record<string, unknown>;
  writeFileSync(runFile, JSON.stringify({ ...run, sync: doc.mapping }, null, 2));
}

/** A soft speech curve that is high inside the given spans and low elsewhere. */
export function speechCurve(spans: readonly { start: number; end: number }[], duration: number, step: number): number[] {
  const n = Math.ceil(duration / step);
  const p = new Array<number>(n).fill(0.04);
  for (const s of spans) {
    for (let i = Math.max(0, Math.floor(s.start / step)); i < Math.min(n, Math.ceil(s.end / step)); i++) p[i] = 0.93;
  }
  return p;
}

/** Copies an align output folder into `to` (frames included), for a test to change. */
export function copyOutput(from: string, to: string): string {
  cpSync(from, to, { recursive: true });
  return to;
}

function fmt(t: number): string {
  const ms = Math.round(t * 1000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(Math.floor(ms / 3_600_000))}:${p(Math.floor(ms / 60_000) % 60)}:${p(Math.floor(ms / 1000) % 60)},${p(ms % 1000, 3)}`;
}

export interface SyntheticOptions {
  pairs?: number;
  /** Seconds. */
  duration?: number;
  seed?: number;
  /** A JPEG every frame file links to (the browser shows it as the thumbnail). */
  jpeg: string;
  /** Path recorded as the video (its audio is what the players play). */
  video: string;
}

/**
 * A long align output as `mmalign align` would leave it (1 fps frames, pairs.jsonl, run.json, the
 * subtitle file) plus a sync.json with a framerate ratio, a split and a 20 Hz speech curve.
 * Returns the number of cues and pairs written.
 *
 * @example
 * makeSyntheticOutput('/tmp/long', { jpeg: 'frame.jpg', video: 'fixtures/video/sample.mp4' });
 */
export function makeSyntheticOutput(dir: string, { pairs = 7000, duration = 7200, seed = 7, jpeg, video }: SyntheticOptions): { cues: number; pairs: number } {
  const rand = mulberry32(seed);
  mkdirSync(path.join(dir, 'frames'), { recursive: true });
  const ratio = 25 / 23.976;
  const split = { at: duration / 2, offset: 3.2 };
  const words = ['the', 'river', 'night', 'signal', 'station', 'we', 'never', 'said', 'goodbye', 'to', 'Anna', 'and', 'her', 'brother'];
  // Cue times as used (after sync); given times are what the file says.
  const cues: { index: number; start: number; end: number; text: string; speaker?: string }[] = [];
  for (let t = 0.8, i = 1; t < duration - 6; i++) {
    const len = 1.4 + rand() * 4;
    const n = 3 + Math.floor(rand() * 8);
    const text = Array.from({ length: n }, () => words[Math.floor(rand() * words.length)]).join(' ');
    cues.push({ index: i, start: t, end: t + len, text: i % 97 === 0 ? '[MUSIC]' : text, ...(i % 5 === 0 ? { speaker: i % 10 === 0 ? 'ANNA' : 'TOM' } : {}) });
    t += len + 0.2 + rand() * 1.1;
  }
  const lines: string[] = [];
  const paired = new Set<number>();
  const frames: string[] = [];
  let c = 0;
  for (let f = 0; f < duration; f++) {
    const name = `t${String(f).padStart(6, '0')}.000.jpg`;
    frames.push(name);
    while (c < cues.length && cues[c].end + 0.5 < f) c++;
    if (lines.length >= pairs || c >= cues.length) continue;
    const q = cues[c];
    const distance = f < q.start ? q.start - f : f > q.end ? f - q.end : 0;
    if (distance > 0.5) continue;
    paired.add(c);
    const sim = (x: number) => Math.round((x + (rand() - 0.5) * 0.2) * 1e6) / 1e6;
    lines.push(JSON.stringify({
      video, frame: path.join(dir, 'frames', name), frame_time: f, cue_index: q.index, start: q.start, end: q.end, text: q.text,
      distance: Math.round(distance * 1e6) / 1e6, ...(q.speaker ? { speaker: q.speaker } : {}),
      frame_text_similarity: sim(0.18), audio_text_similarity: sim(0.3),
    }));
  }
  for (const name of frames) linkSync(jpeg, path.join(dir, 'frames', name));
  const given = cues.map((q) => {
    const inv = (t: number) => (t - (t >= split.at ? split.offset : 1.2)) / ratio;
    return { ...q, givenStart: inv(q.start), givenEnd: inv(q.end) };
  });
  writeFileSync(path.join(dir, 'subs.srt'), given.map((q, i) => `${i + 1}\n${fmt(q.givenStart)} --> ${fmt(q.givenEnd)}\n${q.speaker ? `<v ${q.speaker}>` : ''}${q.text}\n`).join('\n'));
  writeFileSync(path.join(dir, 'pairs.jsonl'), lines.join('\n') + '\n');
  const unpairedCues = cues.filter((_, i) => !paired.has(i)).length;
  const mapping = { offset: 1.2, ratio, splits: [split], confidence: 0.91, method: 'vad-silero', applied: true, reason: 'speech and cues agree after a framerate correction and one split' };
  const run = {
    version: 1, options: { mode: 'fps', fps: 1, threshold: 0.5, offset: 0, embed: true, modelsDir: null },
    models: { text: { model: 'Xenova/bert-base-uncased', heads: 'h1', device: 'cpu' }, image: { model: 'Xenova/resnet-50', heads: 'h2', device: 'cpu' }, audio: { model: 'Xenova/wav2vec2-base-960h', heads: 'h3', device: 'cpu' } },
    video, subtitles: path.join(dir, 'subs.srt'), out: dir, mode: 'fps', format: 'glm4v', duration, frames: frames.length, pairs: lines.length,
    unpairedFrames: frames.length - lines.length, unpairedCues, dropped: { duplicates: 0, emptyText: 0 },
    train: Math.round(lines.length * 0.9), dev: lines.length - Math.round(lines.length * 0.9), hasAudio: true, embedded: true, warnings: [], sync: mapping,
  };
  writeFileSync(path.join(dir, 'run.json'), JSON.stringify(run, null, 2));
  const doc: SyncDoc = {
    version: 1,
    mapping,
    cues: given.map((q) => ({ index: q.index, start: q.start, end: q.end, originalStart: q.givenStart, originalEnd: q.givenEnd, spoken: q.text !== '[MUSIC]' })),
    speech: { step: 0.05, start: 0, probabilities: speechCurve(cues, duration, 0.05).map((p) => Math.round((p + (rand() - 0.5) * 0.06) * 1000) / 1000) },
  };
  writeFileSync(path.join(dir, 'sync.json'), JSON.stringify(doc));
  return { cues: cues.length, pairs: lines.length };
}
