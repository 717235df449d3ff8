import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { ProjectionHeads } from '../../encoders/heads.js';
import type { Matrix } from '../../encoders/linalg.js';
import type { NativePairs } from '../../encoders/native-pairs.js';
import { KnowledgeBase } from '../../index/index.js';
import { syntheticPairs, syntheticViews } from '../helpers/synthetic-pairs.js';
import { captureIo } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/** Writes the native-embeddings JSONL the CLI reads: a modelIds line, then one text/image tuple per line. */
async function writeNativeJsonl(file: string, data: NativePairs, items: readonly number[]): Promise<void> {
  const t = data.embeddings.text as Matrix;
  const im = data.embeddings.image as Matrix;
  const lines = [JSON.stringify({ modelIds: data.modelIds })];
  for (const i of items) {
    lines.push(JSON.stringify({ text: Array.from(t.data.subarray(i * t.cols, (i + 1) * t.cols)), image: Array.from(im.data.subarray(i * im.cols, (i + 1) * im.cols)) }));
  }
  await writeFile(file, lines.join('\n') + '\n');
}

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

describe('mmalign heads', () => {
  let dir = '';
  let trainFile = '';
  let heldOutFile = '';
  beforeEach(async () => {
    dir = tempDir('heads-cli');
    const data = syntheticPairs({ count: 500, seed: 21 });
    trainFile = join(dir, 'train.jsonl');
    heldOutFile = join(dir, 'held-out.jsonl');
    await writeNativeJsonl(trainFile, data, range(0, 400));
    await writeNativeJsonl(heldOutFile, data, range(400, 500));
  });

  const fast = ['--epochs', '25', '--batch', '100', '--lr', '0.003'];

  it('train writes trained heads and reports held-out retrieval as JSON', async () => {
    const c = captureIo();
    const out = join(dir, 'heads.safetensors');
    expect(await runCli(['heads', 'train', trainFile, '--out', out, ...fast, '--json'], c)).toBe(0);
    const report = JSON.parse(c.out());
    expect(report.pairs).toEqual({ train: 360, val: 40 });
    expect(report.validation.mean.r1).toBeGreaterThanOrEqual(0.9);
    const heads = await ProjectionHeads.load(out);
    expect(heads.metadata.kind).toBe('trained');
    expect(heads.metadata.version).toBe(report.version);
    expect(heads.get('image')?.modelId).toBe('synthetic/image-64');
  });

  it('train runs on the TypeScript kernels with --backend js', async () => {
    const c = captureIo();
    expect(await runCli(['heads', 'train', trainFile, '--out', join(dir, 'h.safetensors'), '--epochs', '1', '--backend', 'js', '--json'], c)).toBe(0);
    expect(JSON.parse(c.out()).backend).toBe('js');
  });

  it('eval prints trained and seeded retrieval side by side', async () => {
    const out = join(dir, 'heads.safetensors');
    expect(await runCli(['heads', 'train', trainFile, '--out', out, ...fast, '--json'], captureIo())).toBe(0);
    const c = captureIo();
    expect(await runCli(['heads', 'eval', heldOutFile, '--heads', out, '--json'], c)).toBe(0);
    const r = JSON.parse(c.out());
    expect(r.pairs).toBe(100);
    expect(r.heads.mean.r1).toBeGreaterThanOrEqual(0.9);
    expect(r.baseline.mean.r1).toBeLessThan(0.1);
  });

  it('eval prints a readable table without --json', async () => {
    const out = join(dir, 'heads.safetensors');
    await runCli(['heads', 'train', trainFile, '--out', out, '--epochs', '2', '--json'], captureIo());
    const c = captureIo();
    expect(await runCli(['heads', 'eval', heldOutFile, '--heads', out], c)).toBe(0);
    expect(c.out()).toMatch(/text→image +R@1 \d\.\d{3}/);
    expect(c.out()).toMatch(/seeded random heads, same pairs:\n +text→image/);
  });

  it('fails with exit 1 naming the file and the item when a vector has the wrong width', async () => {
    const bad = join(dir, 'bad.jsonl');
    const lines = (await readFile(trainFile, 'utf8')).trim().split('\n');
    const row = JSON.parse(lines[3]);
    row.text = row.text.slice(1);
    lines[3] = JSON.stringify(row);
    await writeFile(bad, lines.join('\n'));
    const c = captureIo();
    const out = join(dir, 'never.safetensors');
    expect(await runCli(['heads', 'train', bad, '--out', out], c)).toBe(1);
    expect(c.err()).toMatch(/bad\.jsonl: text embedding #2 has 47 values, expected 48/);
    await expect(readFile(out)).rejects.toThrow();
  });

  it('fails with exit 2 when --out is missing', async () => {
    expect(await runCli(['heads', 'train', trainFile], captureIo())).toBe(2);
  });

  it('fails with exit 2 on a held-out share of 1', async () => {
    expect(await runCli(['heads', 'train', trainFile, '--out', join(dir, 'h'), '--val', '1'], captureIo())).toBe(2);
  });

  it('watch retrains when the recorded recall is falling, and records the new heads', async () => {
    const kbDir = join(dir, 'kb');
    const headsFile = join(dir, 'heads.safetensors');
    expect(await runCli(['heads', 'train', trainFile, '--out', headsFile, '--epochs', '1', '--kb', kbDir, '--json'], captureIo())).toBe(0);
    const before = await ProjectionHeads.load(headsFile);
    // After the training's own record and before watch's (1 ms apart), so the five falling evaluations are the latest it sees.
    let t = Date.now();
    const kb = await KnowledgeBase.open(kbDir, { clock: () => (t += 1) });
    for (const v of [0.9, 0.85, 0.8, 0.72, 0.65]) kb.recordEvaluation({ metric: 'recall@1', value: v, pairs: 360, headsVersion: before.metadata.version });
    await kb.close();

    const dry = captureIo();
    expect(await runCli(['heads', 'watch', '--kb', kbDir, '--heads', headsFile, '--dry-run', '--json'], dry)).toBe(0);
    expect(JSON.parse(dry.out())).toMatchObject({ retrain: true, trigger: 'slope', dryRun: true, trained: null });
    expect((await ProjectionHeads.load(headsFile)).metadata.version).toBe(before.metadata.version);

    const c = captureIo();
    expect(await runCli(['heads', 'watch', '--kb', kbDir, '--heads', headsFile, '--pairs', trainFile, ...fast, '--json'], c)).toBe(0);
    const decision = JSON.parse(c.out());
    const after = await ProjectionHeads.load(headsFile);
    expect(decision.trained.version).toBe(after.metadata.version);
    expect(after.metadata.version).not.toBe(before.metadata.version);
    const check = await KnowledgeBase.open(kbDir, { readonly: true });
    const evals = check.listEvaluations({ metric: 'recall@1' });
    await check.close();
    expect(evals[evals.length - 1].headsVersion).toBe(after.metadata.version);
  });

  it('watch keeps the heads when recall is steady and no pairs were added', async () => {
    const kbDir = join(dir, 'kb');
    const headsFile = join(dir, 'heads.safetensors');
    expect(await runCli(['heads', 'train', trainFile, '--out', headsFile, '--epochs', '1', '--kb', kbDir, '--json'], captureIo())).toBe(0);
    const kb = await KnowledgeBase.open(kbDir);
    for (const v of [0.8, 0.81, 0.8, 0.8]) kb.recordEvaluation({ metric: 'recall@1', value: v, pairs: 360, headsVersion: 'x' });
    await kb.close();
    const c = captureIo();
    expect(await runCli(['heads', 'watch', '--kb', kbDir, '--heads', headsFile, '--pairs', trainFile, '--window', '4'], c)).toBe(0);
    expect(c.out()).toMatch(/^keep: no trigger/);
  });

  it('train takes a fixed temperature, input noise, dropout and --no-refit, and records them', async () => {
    const out = join(dir, 'h.safetensors');
    const c = captureIo();
    const args = ['heads', 'train', trainFile, '--out', out, '--epochs', '2', '--hidden', '8', '--temperature', '0.05', '--input-noise', '0.2', '--dropout', '0.3', '--no-refit', '--json'];
    expect(await runCli(args, c)).toBe(0);
    const report = JSON.parse(c.out());
    expect(report.refit).toBe(false);
    expect(report.temperature).toBeCloseTo(0.05, 12);
    const t = (await ProjectionHeads.load(out)).metadata.training;
    expect(t).toMatchObject({ temperatureMode: 'fixed', inputNoise: 0.2, dropout: 0.3, refit: false, hidden: 8 });
  });

  it('train refuses a temperature outside [0.01, 1] as usage (exit 2)', async () => {
    const c = captureIo();
    expect(await runCli(['heads', 'train', trainFile, '--out', join(dir, 'h'), '--temperature', '5'], c)).toBe(2);
    expect(c.err()).toMatch(/--temperature.*'learned' or a number/);
  });

  it('train holds out whole groups with --val-by, and eval breaks results down with --by', async () => {
    // 100 words, 4 voices each: the text of a word is one item (textId), the voice a label.
    const words = syntheticViews({ items: 100, trainViews: 4, testViews: 2, seed: 9 });
    const file = join(dir, 'words.jsonl');
    const testFile = join(dir, 'words-test.jsonl');
    await writeViewsJsonl(file, words.train);
    await writeViewsJsonl(testFile, words.test);
    const out = join(dir, 'words.safetensors');
    const t = captureIo();
    expect(await runCli(['heads', 'train', file, '--out', out, '--hidden', '32', '--epochs', '8', '--val', '0.25', '--val-by', 'voice', '--json'], t)).toBe(0);
    const report = JSON.parse(t.out());
    expect(report.pairs).toEqual({ train: 300, val: 100 });
    expect(report.validation.kinds[0].bToA.gallery).toBe(100);

    const e = captureIo();
    expect(await runCli(['heads', 'eval', testFile, '--heads', out, '--by', 'voice'], e)).toBe(0);
    // 200 clips query 100 distinct words; each voice on its own.
    expect(e.out()).toMatch(/audio→text +R@1 \d\.\d{3} .* of 100 \(200 queries\)/);
    expect(e.out()).toMatch(/voice = test-0 \(100 pairs\):\n +text→audio/);
    const j = captureIo();
    expect(await runCli(['heads', 'eval', testFile, '--heads', out, '--by', 'voice', '--json'], j)).toBe(0);
    expect(JSON.parse(j.out()).breakdown.values.map((v: { value: string }) => v.value)).toEqual(['test-0', 'test-1']);
  });

  it('names the models folder --models, and still takes the old --models-dir', async () => {
    const help = captureIo();
    await runCli(['heads', 'train', '--help'], help);
    expect(help.out()).toMatch(/--models <dir>/);
    expect(help.out()).not.toMatch(/--models-dir/);
    for (const flag of ['--models', '--models-dir']) {
      const c = captureIo();
      expect(await runCli(['heads', 'train', trainFile, '--out', join(dir, `m${flag}.safetensors`), '--epochs', '1', flag, join(dir, 'no-models'), '--json'], c)).toBe(0);
    }
  });
});

/** Native JSONL with one line per clip: the word's text vector, its id, the clip and its voice. */
async function writeViewsJsonl(file: string, data: NativePairs): Promise<void> {
  const t = data.embeddings.text as Matrix;
  const a = data.embeddings.audio as Matrix;
  const lines = [JSON.stringify({ modelIds: data.modelIds })];
  for (const p of data.pairs) {
    lines.push(JSON.stringify({ text: Array.from(t.data.subarray(p.ai * t.cols, (p.ai + 1) * t.cols)), textId: `w${p.ai}`, audio: Array.from(a.data.subarray(p.bi * a.cols, (p.bi + 1) * a.cols)), voice: p.labels?.voice }));
  }
  await writeFile(file, lines.join('\n') + '\n');
}
