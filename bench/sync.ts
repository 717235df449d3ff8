/**
 * `npm run bench:sync`: subtitle synchronisation on a generated corpus (bench/sync-corpus.ts). Per
 * case, in the same run: no sync, global offset only, full sync (offset + framerate + splits), with
 * the median |start error| against the true speech onsets and the share of cues within 0.25 s and
 * 0.5 s; then the speed as × real time, decode included, on a two-hour film made of the cases.
 * Generating the corpus needs espeak-ng (once; cached under bench/.data/sync/).
 *
 * Targets (issue 13): every case median ≤ 0.1 s and ≥ 95 % within 0.5 s; no false correction on
 * correctly timed input; ≥ 100× real time. Exits 1 when one is missed.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSubtitleFile } from '../alignment/subtitles/index.js';
import { synchroniseCues, type SubtitleSyncResult } from '../alignment/sync/synchronise.js';
import { createVad } from '../alignment/sync/vad/index.js';
import type { SpeechCurve } from '../alignment/sync/types.js';
import { decodeAudio } from '../src/core/ffmpeg/index.js';
import { encodeOpus, toSrt } from '../scripts/sync-synth.js';
import { CASES, CORPUS_DIR, ensureCase, type CaseTruth } from './sync-corpus.js';

const log = (s: string) => process.stderr.write(s);
const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const withWebrtc = !process.argv.includes('--no-webrtc');
const withFilm = !process.argv.includes('--no-film');

interface Score {
  median: number;
  within25: number;
  within50: number;
}

function score(cues: readonly { start: number }[], truth: CaseTruth): Score {
  const errors: number[] = [];
  cues.forEach((c, i) => {
    const onset = truth.onsets[i];
    if (onset !== null && onset !== undefined) errors.push(Math.abs(c.start - onset));
  });
  errors.sort((a, b) => a - b);
  const m = errors.length;
  const median = m === 0 ? NaN : m % 2 ? errors[(m - 1) / 2] : (errors[m / 2 - 1] + errors[m / 2]) / 2;
  return { median, within25: errors.filter((e) => e <= 0.25).length / m, within50: errors.filter((e) => e <= 0.5).length / m };
}

const fmt = (s: Score) => `${s.median.toFixed(3).padStart(7)} ${(100 * s.within25).toFixed(0).padStart(4)}% ${(100 * s.within50).toFixed(0).padStart(4)}%`;
const describe = (r: SubtitleSyncResult) => {
  const m = r.mapping;
  const splits = m.splits.map((s) => `${s.at.toFixed(0)}:${s.offset >= 0 ? '+' : ''}${s.offset.toFixed(2)}`).join(',');
  return `${m.applied ? '' : '(kept) '}off ${m.offset >= 0 ? '+' : ''}${m.offset.toFixed(2)} r ${m.ratio.toFixed(4)}${splits ? ` split ${splits}` : ''} c ${m.confidence.toFixed(2)}`;
};

async function main(): Promise<void> {
  const silero = await createVad('silero');
  const webrtc = withWebrtc ? await createVad('webrtc') : undefined;
  const rows: string[] = [];
  const failures: string[] = [];
  let audioSeconds = 0;
  let syncSeconds = 0;
  const header = `${'case'.padEnd(28)} ${'no sync'.padEnd(18)} ${'global offset'.padEnd(18)} ${'full sync'.padEnd(18)} ${withWebrtc ? 'full (webrtc)'.padEnd(18) + ' ' : ''}mapping (full, silero)`;
  const sub = `${''.padEnd(28)} ${'med   ≤.25  ≤.5'.padEnd(18)} ${'med   ≤.25  ≤.5'.padEnd(18)} ${'med   ≤.25  ≤.5'.padEnd(18)} ${withWebrtc ? 'med   ≤.25  ≤.5'.padEnd(18) + ' ' : ''}`;
  for (const spec of CASES) {
    if (only.length && !only.some((o) => spec.name.includes(o))) continue;
    const { dir, truth } = ensureCase(spec, log);
    const doc = await readSubtitleFile(join(dir, 'subs.srt'));
    const t0 = performance.now();
    const audio = await decodeAudio(join(dir, 'video.ogg'));
    const speech = await silero.detect(audio.samples, audio.sampleRate);
    const full = synchroniseCues(doc.cues, speech, { method: 'vad-silero' });
    const took = (performance.now() - t0) / 1000;
    audioSeconds += audio.samples.length / audio.sampleRate;
    syncSeconds += took;
    const global = synchroniseCues(doc.cues, speech, { framerate: false, splits: false });
    const none = score(doc.cues, truth);
    const g = score(global.cues, truth);
    const f = score(full.cues, truth);
    let w = '';
    if (webrtc) {
      const wc = synchroniseCues(doc.cues, await webrtc.detect(audio.samples, audio.sampleRate), { method: 'vad-webrtc' });
      w = fmt(score(wc.cues, truth)) + ' ';
    }
    rows.push(`${spec.name.padEnd(28)} ${fmt(none)} ${fmt(g)} ${fmt(f)} ${w}${describe(full)}`);
    log(rows[rows.length - 1] + '\n');
    if (!(f.median <= 0.1 && f.within50 >= 0.95)) failures.push(`${spec.name}: median ${f.median.toFixed(3)} s, ${(100 * f.within50).toFixed(0)}% within 0.5 s`);
    const correct = spec.offset === 0 && spec.ratio === 1 && spec.inserts.length === 0;
    if (correct && (full.mapping.ratio !== 1 || full.mapping.splits.length > 0 || Math.abs(full.mapping.offset) > 0.35 || f.median > none.median + 0.01)) {
      failures.push(`${spec.name}: false correction (${describe(full)})`);
    }
  }
  process.stdout.write(`\nsync accuracy (start error vs true speech onsets, seconds)\n${header}\n${sub}\n${rows.join('\n')}\n`);
  process.stdout.write(`\ncases: ${(audioSeconds / 60).toFixed(0)} min of audio synchronised in ${syncSeconds.toFixed(1)} s (decode + Silero + sync): ${(audioSeconds / syncSeconds).toFixed(0)}× real time\n`);

  if (withFilm && only.length === 0) {
    const film = await ensureFilm();
    for (const vad of [silero, webrtc]) {
      if (!vad) continue;
      const t0 = performance.now();
      const audio = await decodeAudio(film.audio);
      const t1 = performance.now();
      const speech: SpeechCurve = await vad.detect(audio.samples, audio.sampleRate);
      const t2 = performance.now();
      const r = synchroniseCues(film.cues, speech, { method: vad.name === 'silero' ? 'vad-silero' : 'vad-webrtc' });
      const t3 = performance.now();
      const secs = (t3 - t0) / 1000;
      const dur = audio.samples.length / audio.sampleRate;
      const line = `2-hour film, ${vad.name}: ${secs.toFixed(1)} s (decode ${((t1 - t0) / 1000).toFixed(1)}, VAD ${((t2 - t1) / 1000).toFixed(1)}, sync ${((t3 - t2) / 1000).toFixed(1)}) = ${(dur / secs).toFixed(0)}× real time; found ${describe(r)} (true offset -3.00: the cues are 3 s late)`;
      process.stdout.write(line + '\n');
      if (vad.name === 'silero' && dur / secs < 100) failures.push(`speed: ${(dur / secs).toFixed(0)}× real time with Silero`);
    }
  }
  await silero.close();
  await webrtc?.close();
  if (failures.length) {
    process.stdout.write(`\nmissed targets:\n  ${failures.join('\n  ')}\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write('\nall targets met\n');
  }
}

/** A two-hour "film": the cases' audio end to end (repeated), with exactly timed cues 3 s late. */
async function ensureFilm(): Promise<{ audio: string; cues: { index: number; start: number; end: number; text: string }[] }> {
  const audio = join(CORPUS_DIR, 'film-2h.ogg');
  const subs: { index: number; start: number; end: number; text: string }[] = [];
  const parts: Float32Array[] = [];
  let t = 0;
  for (let k = 0; t < 7200; k++) {
    const spec = CASES[k % CASES.length];
    const { dir, truth } = ensureCase(spec, log);
    truth.onsets.forEach((on, i) => {
      const end = truth.ends[i];
      if (on !== null && end !== null) subs.push({ index: subs.length + 1, start: t + on + 3, end: t + end + 3, text: 'Spoken line.' });
    });
    if (!existsSync(audio)) parts.push((await decodeAudio(join(dir, 'video.ogg'))).samples);
    t += truth.duration;
  }
  if (!existsSync(audio)) {
    log('encoding the two-hour film...\n');
    const all = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    encodeOpus(all, audio, { bitrate: '24k', rate: 16_000 });
    writeFileSync(join(CORPUS_DIR, 'film-2h.srt'), toSrt(subs));
  }
  return { audio, cues: subs };
}

await main();
