import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { finalizedSummary } from '../../src/corpus/finalize.js';
import { runLocalCorpus } from '../../src/corpus/local.js';
import { planCorpus } from '../../src/corpus/plan.js';
import { readShard } from '../../src/corpus/shards.js';
import type { CorpusSettings } from '../../src/corpus/types.js';
import { tempDir } from '../helpers/tmp.js';
import { fakeAligner } from './fake-align.js';

const SETTINGS: CorpusSettings = {
  align: { mode: 'fps', fps: 1, perCue: 1, sceneThreshold: 0.3, threshold: 0.5, offset: 0, embed: false, device: 'cpu', modelsDir: null, heads: null, format: 'pairs', prompt: 'P', split: 0.5, seed: 1, jpegQuality: 90 },
  splitBy: 'video',
  shardSize: 4,
  withAudio: false,
  kb: null,
  subLang: null,
};

/** A folder of fake "videos" (text files the fake aligner reads) with sidecar subtitles. */
function corpus(dir: string, videos: Record<string, string>): void {
  for (const [name, content] of Object.entries(videos)) {
    writeFileSync(path.join(dir, `${name}.mp4`), content);
    writeFileSync(path.join(dir, `${name}.srt`), `1\n00:00:00,000 --> 00:00:01,000\n${name}\n`);
  }
}

async function run(input: string, out: string, fake = fakeAligner(), extra: Partial<Parameters<typeof runLocalCorpus>[1]> = {}, settings = SETTINGS) {
  const { plan } = await planCorpus(input, { out, settings });
  const result = await runLocalCorpus(plan, { workers: 2, threads: 1, backoffMs: 1, runTask: fake.runTask, ...extra });
  return { plan, result, fake };
}

async function shardSamples(out: string): Promise<Map<string, Map<string, Buffer>>> {
  const all = new Map<string, Map<string, Buffer>>();
  for (const f of readdirSync(path.join(out, 'shards')).sort()) {
    for (const [k, v] of await readShard(createReadStream(path.join(out, 'shards', f)))) {
      expect(all.has(k)).toBe(false);
      all.set(k, v);
    }
  }
  return all;
}

const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('local corpus run', () => {
  it('aligns every video once and puts each sample in exactly one shard and one of train/dev', async () => {
    const root = tempDir('corpus-local');
    const out = path.join(root, 'out');
    corpus(root, { a: 'pairs=3', b: 'pairs=2', c: 'pairs=4' });
    const { result, fake } = await run(root, out);
    expect(fake.calls).toHaveLength(3);
    expect(result.summary).toMatchObject({ videos: 3, complete: 3, failures: 0, pairs: 9, shards: 3 });
    const samples = await shardSamples(out);
    expect(samples.size).toBe(9);
    const stats = JSON.parse(readFileSync(path.join(out, 'stats.json'), 'utf8'));
    expect(stats.shards.map((s: { samples: number }) => s.samples)).toEqual([4, 4, 1]);
    const train = lines(path.join(out, 'train.jsonl'));
    const dev = lines(path.join(out, 'dev.jsonl'));
    expect(train.length + dev.length).toBe(9);
    // By video: no video has samples on both sides.
    const side = new Map<string, string>();
    for (const [name, rows] of [['train', train], ['dev', dev]] as const) {
      for (const r of rows) {
        const v = String(r.video);
        expect(side.get(v) ?? name).toBe(name);
        side.set(v, name);
      }
    }
    expect(new Set(side.values())).toEqual(new Set(['train', 'dev']));
    const summary = JSON.parse(readFileSync(path.join(out, 'corpus.json'), 'utf8'));
    expect(summary.entries.map((e: { status: string }) => e.status)).toEqual(['ok', 'ok', 'ok']);
  });

  it('fails a bad video at once, lists it in errors.jsonl and completes the rest', async () => {
    const root = tempDir('corpus-local');
    const out = path.join(root, 'out');
    corpus(root, { a: 'pairs=2', bad: 'bad bytes', c: 'pairs=2' });
    const { result, fake } = await run(root, out);
    expect(fake.calls.filter((c) => c.endsWith('bad.mp4'))).toHaveLength(1); // bad input is not retried
    expect(result.summary).toMatchObject({ complete: 2, failures: 1, pairs: 4 });
    expect(lines(path.join(out, 'errors.jsonl'))).toEqual([
      expect.objectContaining({ video: path.join(root, 'bad.mp4'), code: 'INPUT_FILE', attempts: 1, error: expect.stringMatching(/not a media file/) }),
    ]);
    expect((await shardSamples(out)).size).toBe(4);
  });

  it('retries the video of a crashed worker and keeps its samples once', async () => {
    const root = tempDir('corpus-local');
    const out = path.join(root, 'out');
    corpus(root, { a: 'crash-once pairs=3', b: 'pairs=1' });
    const { result, fake } = await run(root, out);
    expect(fake.calls.filter((c) => c.endsWith('a.mp4'))).toHaveLength(2);
    expect(result.summary).toMatchObject({ complete: 2, failures: 0, pairs: 4 });
    expect((await shardSamples(out)).size).toBe(4);
  });

  it('gives up on a video after its retries and records how many attempts it had', async () => {
    const root = tempDir('corpus-local');
    const out = path.join(root, 'out');
    corpus(root, { a: 'crash-once', b: 'pairs=1' });
    const { result } = await run(root, out, fakeAligner(), { retries: 0 });
    expect(result.summary.failures).toBe(1);
    expect(lines(path.join(out, 'errors.jsonl'))[0]).toMatchObject({ code: 'WORKER_CRASHED', attempts: 1 });
  });

  it('does nothing on a rerun with the same content and options, and redoes only a changed video', async () => {
    const root = tempDir('corpus-local');
    const out = path.join(root, 'out');
    corpus(root, { a: 'pairs=2', b: 'pairs=2', bad: 'bad' });
    await run(root, out);
    const before = Object.fromEntries(['corpus.json', 'train.jsonl', 'shards/000000.tar'].map((f) => [f, statSync(path.join(out, f)).mtimeMs]));
    const { plan } = await planCorpus(root, { out, settings: SETTINGS });
    expect(plan.entries.map((e) => e.state)).toEqual(['complete', 'complete', 'failed']);
    expect(await finalizedSummary(plan)).not.toBeNull();
    const again = fakeAligner();
    const { result } = await run(root, out, again);
    expect(again.calls).toEqual([]);
    expect(result.summary.upToDate).toBe(true);
    for (const [f, m] of Object.entries(before)) expect(statSync(path.join(out, f)).mtimeMs).toBe(m);

    writeFileSync(path.join(root, 'b.mp4'), 'pairs=5');
    const changed = fakeAligner();
    const third = await run(root, out, changed);
    expect(changed.calls).toEqual([path.join(root, 'b.mp4')]);
    expect(third.result.summary.pairs).toBe(7);
  });

  it('stops starting videos after --max-failures and writes no dataset', async () => {
    const root = tempDir('corpus-local');
    const out = path.join(root, 'out');
    corpus(root, { a1: 'bad', a2: 'bad', a3: 'bad', b: 'pairs=1', c: 'pairs=1', d: 'pairs=1' });
    const { result, fake } = await run(root, out, fakeAligner(), { workers: 1, maxFailures: 1 });
    expect(result.aborted).toBe(true);
    expect(fake.calls).toHaveLength(2);
    expect(result.summary).toMatchObject({ failures: 2, notRun: 4, aborted: true });
    expect(existsSync(path.join(out, 'shards'))).toBe(false);
    expect(existsSync(path.join(out, 'train.jsonl'))).toBe(false);
    expect(lines(path.join(out, 'errors.jsonl'))).toHaveLength(2);
  });

  it('aligns a copy of the same content once and lists it as a duplicate', async () => {
    const root = tempDir('corpus-local');
    const out = path.join(root, 'out');
    corpus(root, { a: 'pairs=2', b: 'pairs=2' });
    writeFileSync(path.join(root, 'b.srt'), readFileSync(path.join(root, 'a.srt')));
    const { result, fake } = await run(root, out);
    expect(fake.calls).toHaveLength(1);
    expect(result.summary).toMatchObject({ complete: 1, duplicates: 1, pairs: 2 });
  });

  it('lists a manifest row whose video is missing as its own failure', async () => {
    const root = tempDir('corpus-local');
    const out = path.join(root, 'out');
    corpus(root, { a: 'pairs=1' });
    const manifest = path.join(root, 'list.csv');
    writeFileSync(manifest, 'video,subtitles,lang\na.mp4,a.srt,en\ngone.mp4,a.srt,fr\n');
    const { result } = await run(manifest, out);
    expect(result.summary).toMatchObject({ complete: 1, failures: 1 });
    expect(lines(path.join(out, 'errors.jsonl'))[0]).toMatchObject({ video: path.join(root, 'gone.mp4'), code: 'INPUT_FILE', attempts: 0 });
  });

  it('carries manifest columns into each sample JSON and dataset line', async () => {
    const root = tempDir('corpus-local');
    const out = path.join(root, 'out');
    corpus(root, { a: 'pairs=2' });
    const manifest = path.join(root, 'list.jsonl');
    writeFileSync(manifest, JSON.stringify({ video: 'a.mp4', subtitles: 'a.srt', prompt: 'Say it.', license: 'cc0', tags: ['x'] }) + '\n');
    await run(manifest, out);
    const [sample] = [...(await shardSamples(out)).values()];
    expect(JSON.parse(sample.get('json')!.toString())).toMatchObject({ prompt: 'Say it.', metadata: { license: 'cc0', tags: ['x'] } });
    expect(sample.get('txt')!.toString()).toBe('a.mp4 cue 1');
    const rows = [...lines(path.join(out, 'train.jsonl')), ...lines(path.join(out, 'dev.jsonl'))];
    expect(rows.every((r) => (r.metadata as { license: string }).license === 'cc0')).toBe(true);
  });

  it('splits by cue when asked, as each video split its own cues', async () => {
    const root = tempDir('corpus-local');
    const out = path.join(root, 'out');
    corpus(root, { a: 'pairs=10' });
    const { result } = await run(root, out, fakeAligner(), {}, { ...SETTINGS, splitBy: 'cue' });
    expect(result.summary.train).toBeGreaterThan(0);
    expect(result.summary.dev).toBeGreaterThan(0);
  });
});
