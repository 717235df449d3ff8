import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli.js';
import { KnowledgeBase } from '../index/kb.js';

const VIDEO = new URL('../fixtures/video/sample.mp4', import.meta.url).pathname;
const SRT = new URL('../fixtures/video/sample.srt', import.meta.url).pathname;

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d: Buffer) => (stdout += d.toString()));
  err.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await runCli(args, { stdout: out, stderr: err });
  return { code, stdout, stderr };
}

describe('mmalign align --kb', () => {
  let root: string;
  let summary: { pairs: number; kb: { dir: string; version: { version: number; added: number } | null } };

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'mmalign-alignkb-'));
    const r = await cli(['align', VIDEO, SRT, '--out', join(root, 'out'), '--kb', join(root, 'kb'), '--device', 'cpu', '--json']);
    expect(r.code, r.stderr).toBe(0);
    summary = JSON.parse(r.stdout);
  }, 180_000);

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('adds the aligned video as one knowledge-base version and reports it', () => {
    expect(summary.kb.version?.version).toBe(1);
    expect(summary.kb.version?.added).toBeGreaterThan(0);
  });

  it('stores cue texts, frames and audio clips of the video, keyed to the models that embedded them', async () => {
    const kb = await KnowledgeBase.open(join(root, 'kb'), { readonly: true });
    try {
      const items = [...kb.items()];
      const modalities = new Set(items.map((i) => i.modality));
      expect(modalities).toEqual(new Set(['text', 'image', 'audio']));
      expect(items.length).toBe(summary.kb.version?.added);
      const text = items.find((i) => i.modality === 'text');
      expect(text?.modelVersion).toMatch(/^mmalign\/tiny-bert@/);
      expect(items.filter((i) => i.modality === 'image').every((i) => i.path !== null && existsSync(i.path))).toBe(true);
    } finally {
      await kb.close();
    }
  });

  it('finds a cue of the aligned video by searching its text', async () => {
    const kb = await KnowledgeBase.open(join(root, 'kb'), { readonly: true });
    const cue = [...kb.items()].find((i) => i.modality === 'text' && i.text);
    await kb.close();
    const r = await cli(['search', cue!.text!, '--kb', join(root, 'kb'), '--modality', 'text', '--k', '1', '--device', 'cpu', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const hits = JSON.parse(r.stdout) as { id: string }[] | { results: { id: string }[] };
    const list = Array.isArray(hits) ? hits : hits.results;
    expect(list[0].id).toBe(cue!.id);
  });

  it('refuses --kb with --no-embed as wrong usage', async () => {
    const r = await cli(['align', VIDEO, SRT, '--out', join(root, 'out2'), '--kb', join(root, 'kb2'), '--no-embed']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--kb needs embeddings/);
    expect(existsSync(join(root, 'kb2'))).toBe(false);
  });
});
