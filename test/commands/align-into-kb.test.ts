import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { KnowledgeBase } from '../../index/index.js';
import { ProjectionHeads } from '../../encoders/heads.js';
import { resolveModel } from '../../encoders/models.js';
import { MODALITIES } from '../../src/core/types.js';
import { runCaptured as cli } from '../helpers/cli.js';
import { sharedTempDir, tempDir } from '../helpers/tmp.js';

const VIDEO = new URL('../../fixtures/video/sample.mp4', import.meta.url).pathname;
const SRT = new URL('../../fixtures/video/sample.srt', import.meta.url).pathname;

describe('mmalign align --kb', () => {
  const root = sharedTempDir('alignkb');
  let summary: { pairs: number; kb: { dir: string; version: { version: number; added: number } | null } };

  beforeAll(async () => {
    const r = await cli(['align', VIDEO, SRT, '--out', join(root, 'out'), '--kb', join(root, 'kb'), '--device', 'cpu', '--json']);
    expect(r.code, r.stderr).toBe(0);
    summary = JSON.parse(r.stdout);
  }, 180_000);

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

  it('leaves a knowledge base that verify finds consistent', async () => {
    const r = await cli(['kb', 'verify', '--kb', join(root, 'kb'), '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).problems).toEqual([]);
  });

  it('reports an unchanged video as unchanged when it is aligned again', async () => {
    const r = await cli(['align', VIDEO, SRT, '--out', join(root, 'out'), '--kb', join(root, 'kb'), '--device', 'cpu', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const again = JSON.parse(r.stdout) as { kb: { version: { added: number; updated: number; deleted: number } } };
    expect(again.kb.version).toMatchObject({ added: 0, updated: 0, deleted: 0 });
  });
});

describe('mmalign align --heads', () => {
  const root = sharedTempDir('alignheads');

  it('embeds with the given heads and keys the knowledge-base vectors to their version', async () => {
    const specs = await Promise.all(MODALITIES.map(async (modality) => {
      const m = await resolveModel(modality);
      return { modality, modelId: m.id, inputDim: m.nativeDims };
    }));
    const heads = ProjectionHeads.seeded(specs, { seed: 77 });
    const file = join(root, 'heads.safetensors');
    await heads.save(file);
    const r = await cli(['align', VIDEO, SRT, '--out', join(root, 'out'), '--kb', join(root, 'kb'), '--heads', file, '--device', 'cpu', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const kb = await KnowledgeBase.open(join(root, 'kb'), { readonly: true });
    try {
      // <model>@<heads>#<model file sha256>
      const versions = new Set([...kb.items()].map((i) => i.modelVersion.split('@')[1].split('#')[0]));
      expect(versions).toEqual(new Set([heads.metadata.version]));
    } finally {
      await kb.close();
    }
  });

  it('refuses a search embedded with other heads than the knowledge base, and runs it with the same ones', async () => {
    const kbDir = join(root, 'kb');
    const without = await cli(['search', 'welcome to the test video', '--kb', kbDir, '--modality', 'text', '--device', 'cpu']);
    expect(without.code).toBe(1);
    expect(without.stderr).toMatch(/embedded with .*but the query with .*same --text-model, --dtype, --models and --heads/s);
    const withHeads = await cli(['search', 'welcome to the test video', '--kb', kbDir, '--modality', 'text', '--heads', join(root, 'heads.safetensors'), '--device', 'cpu', '--json']);
    expect(withHeads.code, withHeads.stderr).toBe(0);
    expect(JSON.parse(withHeads.stdout).length).toBeGreaterThan(0);
  });

  it('fails with exit 1 naming the file when the heads were made for other models', async () => {
    const file = join(root, 'other.safetensors');
    await ProjectionHeads.seeded([{ modality: 'text', modelId: 'Xenova/bert-base-uncased', inputDim: 768 }]).save(file);
    const r = await cli(['align', VIDEO, SRT, '--out', join(root, 'out2'), '--heads', file, '--device', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('other.safetensors');
  });
});

describe('kb verify --repair', () => {
  it('rebuilds a stale index file even while it also deletes items whose files are gone', async () => {
    const root = tempDir('repair');
    const vectorOf = (s: string): Float32Array => {
      const v = new Float32Array(256);
      for (let i = 0; i < 256; i++) v[i] = Math.sin((i + 1) * (s.charCodeAt(0) + 1));
      return v;
    };
    const encoders = async () => ({ version: 'fake@1', embed: async (batch: readonly string[]) => batch.map((p) => vectorOf(p.slice(-5))) });
    const src = join(root, 'src');
    const kbDir = join(root, 'kb');
    mkdirSync(src);
    for (const n of ['a', 'b']) writeFileSync(join(src, `${n}.png`), n);
    let kb = await KnowledgeBase.open(kbDir, { encoders });
    await kb.sync(src);
    const first = readdirSync(kbDir).find((f) => f.endsWith('.hnsw'))!;
    copyFileSync(join(kbDir, first), join(root, 'stale.hnsw'));
    for (const n of ['c', 'd']) writeFileSync(join(src, `${n}.png`), n);
    await kb.sync(src);
    await kb.close();
    const current = readdirSync(kbDir).filter((f) => f.endsWith('.hnsw')).sort().pop()!;
    copyFileSync(join(root, 'stale.hnsw'), join(kbDir, current)); // the current file now holds the old graph
    rmSync(join(src, 'a.png'));

    kb = await KnowledgeBase.open(kbDir, { encoders, repairOnOpen: false });
    const report = await kb.verify({ repair: true });
    await kb.close();
    expect(report.problems.map((p) => p.kind).sort()).toEqual(['index-out-of-sync', 'source-file-missing']);

    kb = await KnowledgeBase.open(kbDir, { encoders, readonly: true, repairOnOpen: false });
    try {
      expect((await kb.verify()).problems).toEqual([]);
      const hits = await kb.search({ vector: vectorOf('c.png') }, { k: 3 });
      expect(hits.map((h) => h.item.id).sort()).toEqual(['b.png', 'c.png', 'd.png']);
    } finally {
      await kb.close();
    }
  });
});
