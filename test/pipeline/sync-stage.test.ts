/** align's sync stage: late subtitles are moved onto the speech before pairing; correctly timed ones are left alone. */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatSrt } from '../../alignment/subtitles/index.js';
import { alignVideo } from '../../src/pipeline/index.js';
import { runCaptured } from '../helpers/cli.js';
import { ffmpegMake, SAMPLE_MP4, SAMPLE_SRT } from '../helpers/media.js';
import { mistime, speechCues, SYNC_FIXTURES } from '../helpers/sync.js';
import { sharedTempDir, tempDir } from '../helpers/tmp.js';
import { sizeKeyedEncoders } from '../helpers/fake-encoders.js';

const root = sharedTempDir('sync-stage');
/** fixtures/sync's speech as the sound of a 92 s video, and its subtitles on time and 3 s late. */
const VIDEO = path.join(root, 'speech.mp4');
const ON_TIME = path.resolve(SYNC_FIXTURES.cues);
const LATE = path.join(root, 'late.srt');
let made = false;
async function media(): Promise<void> {
  if (made) return;
  ffmpegMake([
    '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10:duration=92.5', '-i', path.resolve(SYNC_FIXTURES.speech),
    '-map', '0:v', '-map', '1:a', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '20', '-c:a', 'aac', '-b:a', '48k', VIDEO,
  ]);
  await writeFile(LATE, formatSrt(mistime(await speechCues(), 3)));
  made = true;
}
/** fixtures/sync's music (no speech) as the sound of a 40 s video. */
const MUSIC_VIDEO = path.join(root, 'music.mp4');
let madeMusic = false;
function musicVideo(): void {
  if (madeMusic) return;
  ffmpegMake([
    '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10:duration=40', '-i', path.resolve(SYNC_FIXTURES.music),
    '-map', '0:v', '-map', '1:a', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '20', '-c:a', 'aac', '-b:a', '48k', '-shortest', MUSIC_VIDEO,
  ]);
  madeMusic = true;
}

async function readJsonl(file: string): Promise<Record<string, unknown>[]> {
  return (await readFile(file, 'utf8')).trimEnd().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}
const readJson = async (file: string) => JSON.parse(await readFile(file, 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const framePairs = (rows: Record<string, unknown>[]) => rows.map((p) => `${p.frame_time}:${p.cue_index}`).sort();

const fakeEncoders = sizeKeyedEncoders;

describe('align --sync auto', () => {
  it('moves subtitles 3 s late onto the speech, so they pair as the correctly timed file does', async () => {
    await media();
    const dir = tempDir('sync-auto');
    const late = await alignVideo(VIDEO, LATE, { out: path.join(dir, 'late'), embed: false });
    const right = await alignVideo(VIDEO, ON_TIME, { out: path.join(dir, 'right'), embed: false, sync: 'off' });
    expect(late.sync.status).toBe('synchronised');
    expect(late.sync.mapping.applied).toBe(true);
    expect(late.sync.mapping.offset).toBeCloseTo(-3, 1);
    const latePairs = await readJsonl(path.join(dir, 'late', 'pairs.jsonl'));
    const rightPairs = await readJsonl(path.join(dir, 'right', 'pairs.jsonl'));
    // The moved cues land within a frame's reach of the true ones: the same frame–cue pairs, bar one at a cue's edge.
    const same = framePairs(latePairs).filter((p) => framePairs(rightPairs).includes(p)).length;
    expect(same).toBeGreaterThanOrEqual(rightPairs.length - 1);
    expect(latePairs.length).toBeGreaterThanOrEqual(rightPairs.length - 1);
    const truth = new Map((await speechCues()).map((c) => [c.index, c]));
    for (const p of latePairs) expect(Math.abs((p.start as number) - truth.get(p.cue_index as number)!.start)).toBeLessThan(0.06);
  });

  it('records the mapping in run.json and sync.json, with each cue\'s time before and after', async () => {
    await media();
    const out = path.join(tempDir('sync-json'), 'out');
    const r = await alignVideo(VIDEO, LATE, { out, embed: false });
    expect(r.files.sync).toBe(path.join(out, 'sync.json'));
    const run = await readJson(path.join(out, 'run.json'));
    expect(run.sync).toMatchObject({ mode: 'auto', status: 'synchronised', applied: true, ratio: 1, splits: [], method: 'vad-silero' });
    expect(run.sync.offset).toBeCloseTo(-3, 1);
    expect(run.sync.confidence).toBeGreaterThan(0.5);
    expect(run.options.sync).toBe('auto');
    expect(Object.keys(run.seconds)).toEqual(['probe', 'subtitles', 'sync', 'frames', 'audio', 'align', 'embed', 'export']);
    const sync = await readJson(path.join(out, 'sync.json'));
    expect(sync.version).toBe(1);
    expect(sync.mapping).toEqual(Object.fromEntries(Object.keys(sync.mapping).map((k) => [k, run.sync[k]])));
    expect(sync.cues).toHaveLength((await speechCues()).length);
    for (const c of sync.cues) {
      expect(c.originalStart - c.start).toBeCloseTo(3, 1);
      expect(c.spoken).toBe(true);
    }
    expect(sync.speech.step).toBe(0.01);
    expect(sync.speech.probabilities.length).toBeGreaterThan(9000);
  });

  it('leaves a correctly timed video alone: the fixture pairs exactly as with sync off', async () => {
    const dir = tempDir('sync-in-step');
    const auto = await alignVideo(SAMPLE_MP4, SAMPLE_SRT, { out: path.join(dir, 'auto'), embed: false });
    const off = await alignVideo(SAMPLE_MP4, SAMPLE_SRT, { out: path.join(dir, 'off'), embed: false, sync: 'off' });
    expect(auto.sync.status).toBe('in-sync');
    expect(auto.sync.mapping.applied).toBe(false);
    const strip = (rows: Record<string, unknown>[]) => rows.map(({ frame, ...rest }) => ({ ...rest, frame: path.basename(frame as string) }));
    expect(strip(await readJsonl(path.join(dir, 'auto', 'pairs.jsonl')))).toEqual(strip(await readJsonl(path.join(dir, 'off', 'pairs.jsonl'))));
    expect(auto.warnings).toEqual(off.warnings);
  });

  it('applies --offset first: the mapping is what remains after it', async () => {
    await media();
    const r = await alignVideo(VIDEO, LATE, { out: path.join(tempDir('sync-offset'), 'out'), embed: false, offset: -1 });
    expect(r.sync.mapping.offset).toBeCloseTo(-2, 1);
  });

  it('skips sync for a video without audio, saying why in a warning, run.json and sync.json, and keeps the cues', async () => {
    const dir = tempDir('sync-silent');
    const subs = path.join(dir, 'a.srt');
    await writeFile(subs, '1\n00:00:00,200 --> 00:00:01,500\nHello there\n');
    const notes: string[] = [];
    const video = path.resolve(SYNC_FIXTURES.videoOnly);
    const r = await alignVideo(video, subs, { out: path.join(dir, 'out'), embed: false, log: (m) => notes.push(m) });
    const reason = 'the video has no audio stream';
    const identity = { offset: 0, ratio: 1, splits: [], confidence: 0, method: 'none', applied: false, reason };
    expect(r.sync).toEqual({ mode: 'auto', status: 'skipped', mapping: identity, reason });
    expect(notes.join('\n')).toMatch(/sync: skipped, the video has no audio stream/);
    expect(r.warnings).toContainEqual({ file: video, message: `subtitle timing not checked against the speech: ${reason}; cues used as given` });
    expect((await readJson(path.join(dir, 'out', 'run.json'))).sync).toEqual({ mode: 'auto', status: 'skipped', ...identity });
    const sync = await readJson(path.join(dir, 'out', 'sync.json'));
    expect(sync).toEqual({
      version: 1,
      mapping: identity,
      cues: [{ index: 1, start: 0.2, end: 1.5, originalStart: 0.2, originalEnd: 1.5, spoken: true }],
      speech: { step: 0.01, start: 0, probabilities: [] },
    });
    const [pair] = await readJsonl(path.join(dir, 'out', 'pairs.jsonl'));
    expect([pair.start, pair.end]).toEqual([0.2, 1.5]);
  });

  it('leaves the cues as given when the audio is music without speech, and says there was no trustworthy mapping', async () => {
    await media();
    musicVideo();
    const out = path.join(tempDir('sync-music'), 'out');
    const r = await alignVideo(MUSIC_VIDEO, LATE, { out, embed: false });
    expect(r.sync.status).toBe('uncertain');
    expect(r.sync.mapping.applied).toBe(false);
    expect(r.sync.mapping.confidence).toBeLessThan(0.5);
    expect(r.warnings.find((w) => /no trustworthy mapping/.test(w.message))?.file).toBe(LATE);
    const sync = await readJson(path.join(out, 'sync.json'));
    expect(sync.mapping).toMatchObject({ applied: false, reason: r.sync.reason });
    for (const c of sync.cues) expect([c.start, c.end]).toEqual([c.originalStart, c.originalEnd]);
    const given = new Map(mistime(await speechCues(), 3).map((c) => [c.index, c]));
    for (const p of await readJsonl(path.join(out, 'pairs.jsonl'))) expect(p.start).toBe(given.get(p.cue_index as number)!.start);
  });

  it('does not warn about an unchecked timing with --sync off', async () => {
    const dir = tempDir('sync-silent-off');
    const subs = path.join(dir, 'a.srt');
    await writeFile(subs, '1\n00:00:00,200 --> 00:00:01,500\nHello there\n');
    const r = await alignVideo(path.resolve(SYNC_FIXTURES.videoOnly), subs, { out: path.join(dir, 'out'), embed: false, sync: 'off' });
    expect(r.sync.status).toBe('skipped');
    expect(r.warnings.some((w) => /timing not checked/.test(w.message))).toBe(false);
  });

  it('redoes cue-mode frames and audio vectors when sync moves the cues, and reuses them when it moves them the same way again', async () => {
    await media();
    const out = path.join(tempDir('sync-reuse'), 'out');
    const common = { out, mode: 'cue' as const, createEncoder: fakeEncoders };
    const audioKeys = async () =>
      new Set<string>((await readJson(path.join(out, 'embeddings.json'))).rows.filter((r: { modality: string }) => r.modality === 'audio').map((r: { key: string }) => r.key));
    await alignVideo(VIDEO, LATE, { ...common, sync: 'off' });
    const before = await audioKeys();
    const auto = await alignVideo(VIDEO, LATE, common);
    expect(auto.framesReused).toBe(false); // the frame targets are the moved cues' midpoints
    // Every audio clip was cut at the moved times: none of the earlier vectors is taken for it.
    const after = await audioKeys();
    expect(after.size).toBeGreaterThan(20);
    expect([...after].filter((k) => before.has(k))).toEqual([]);
    const again = await alignVideo(VIDEO, LATE, common);
    expect(again.framesReused).toBe(true);
    expect(again.embeddingsReused).toBe((await readJson(path.join(out, 'embeddings.json'))).rows.length);
  });
});

describe('mmalign align on the command line', () => {
  it('prints the sync summary with --json and writes the report page showing the mapping with --report', async () => {
    await media();
    const out = path.join(tempDir('sync-cli'), 'out');
    const r = await runCaptured(['align', VIDEO, LATE, '--out', out, '--no-embed', '--report', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.sync).toMatchObject({ mode: 'auto', status: 'synchronised', mapping: { applied: true, method: 'vad-silero' } });
    expect(summary.sync.mapping.offset).toBeCloseTo(-3, 1);
    expect(summary.report).toBe(path.join(out, 'report.html'));
    expect(await readFile(summary.report, 'utf8')).toMatch(/data-sync="offset">−(2\.9|3\.0)\d* s/);
  });

  it('says in one line what sync did', async () => {
    await media();
    const r = await runCaptured(['align', VIDEO, LATE, '--out', path.join(tempDir('sync-cli-text'), 'out'), '--no-embed']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^sync \(auto\): synchronised, cues moved: offset -(2\.9|3\.0)\d* s, ratio 1, 0 split\(s\), confidence \d\.\d\d \(vad-silero\)$/m);
  });
});

describe('align --sync off', () => {
  it('uses the cues as given and warns that speech and cues disagree, saying what would fix it', async () => {
    await media();
    const out = path.join(tempDir('sync-off'), 'out');
    const r = await alignVideo(VIDEO, LATE, { out, embed: false, sync: 'off' });
    expect(r.sync.mode).toBe('off');
    expect(r.sync.status).toBe('synchronised');
    expect(r.sync.mapping.applied).toBe(false);
    const warning = r.warnings.find((w) => /speech and cues disagree/.test(w.message));
    expect(warning?.file).toBe(LATE);
    expect(warning?.message).toMatch(/offset -(2\.9[5-9]|3\.0[0-4])\d s.*--sync auto or --offset -(2\.9[5-9]|3\.0[0-4])\d*$/);
    const pairs = await readJsonl(path.join(out, 'pairs.jsonl'));
    const given = new Map(mistime(await speechCues(), 3).map((c) => [c.index, c]));
    for (const p of pairs) expect(p.start).toBe(given.get(p.cue_index as number)!.start);
    const sync = await readJson(path.join(out, 'sync.json'));
    expect(sync.mapping.applied).toBe(false);
    expect(sync.mapping.reason).toMatch(/^--sync off/);
    for (const c of sync.cues) expect(c.start).toBe(c.originalStart);
  });

  it('says nothing about a correctly timed file', async () => {
    const r = await alignVideo(SAMPLE_MP4, SAMPLE_SRT, { out: path.join(tempDir('sync-off-ok'), 'out'), embed: false, sync: 'off' });
    expect(r.sync.status).toBe('in-sync');
    expect(r.warnings.some((w) => /disagree/.test(w.message))).toBe(false);
  });

  it('rejects a sync mode it does not know, listing the valid ones', async () => {
    await expect(alignVideo(SAMPLE_MP4, SAMPLE_SRT, { out: path.join(tempDir('sync-bad'), 'out'), sync: 'maybe' as 'auto' })).rejects.toThrow(/sync.*auto, off/);
  });
});
