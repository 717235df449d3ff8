import { beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import { runCaptured as cli } from '../helpers/cli.js';
import { sharedTempDir } from '../helpers/tmp.js';

// One knowledge base built once with the real (embedded tiny) encoders; the tests below read it.
let root: string;
let src: string;
let kb: string;

beforeAll(async () => {
  root = sharedTempDir('kbcli');
  src = join(root, 'src');
  kb = join(root, 'kb');
  mkdirSync(src);
  writeFileSync(join(src, 'notes.txt'), 'A red car drives fast.\n\nThe ocean is calm today.\n');
  cpSync(new URL('../../fixtures/video/sample.srt', import.meta.url), join(src, 'talk.srt'));
  await sharp({ create: { width: 32, height: 24, channels: 3, background: { r: 200, g: 30, b: 30 } } }).png().toFile(join(src, 'red.png'));
  const r = await cli(['kb', 'sync', src, '--kb', kb, '--device', 'cpu', '--json']);
  expect(r.code, r.stderr).toBe(0);
}, 120_000);

describe('mmalign kb / search (real encoders)', () => {
  it('syncs a folder and reports the counts as JSON', async () => {
    const r = await cli(['kb', 'sync', src, '--kb', kb, '--device', 'cpu', '--json']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as { version: number; added: number; unchanged: number; encoded: number };
    expect(result).toMatchObject({ version: 2, added: 0, encoded: 0 });
    expect(result.unchanged).toBeGreaterThanOrEqual(4);
  });

  it('finds a paragraph by its own text as the best hit', async () => {
    const r = await cli(['search', 'The ocean is calm today.', '--kb', kb, '--device', 'cpu', '--k', '3', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const hits = JSON.parse(r.stdout) as { id: string; score: number; modality: string }[];
    expect(hits[0]).toMatchObject({ id: 'notes.txt#part2', modality: 'text' });
    expect(hits[0].score).toBeGreaterThan(0.999);
    expect(hits).toHaveLength(3);
  });

  it('searches with an image and filters by modality and time range', async () => {
    const img = await cli(['search', '--image', join(src, 'red.png'), '--kb', kb, '--device', 'cpu', '--modality', 'image', '--json']);
    expect(img.code, img.stderr).toBe(0);
    expect((JSON.parse(img.stdout) as { id: string }[]).map((h) => h.id)).toEqual(['red.png']);
    const timed = await cli(['search', 'hello', '--kb', kb, '--device', 'cpu', '--from', '0', '--to', '5', '--json']);
    const hits = JSON.parse(timed.stdout) as { start: number; end: number }[];
    expect(hits.length).toBeGreaterThan(0);
    for (const h of hits) expect(h.start <= 5 && h.end >= 0).toBe(true);
  });

  it('lists versions and the changes of one version', async () => {
    const v = await cli(['kb', 'versions', '--kb', kb, '--json']);
    const versions = JSON.parse(v.stdout) as { version: number; added: number }[];
    expect(versions[0].version).toBe(1);
    const c = await cli(['kb', 'changes', '1', '--kb', kb, '--json']);
    const changes = JSON.parse(c.stdout) as { id: string; change: string }[];
    expect(changes).toHaveLength(versions[0].added);
    expect(changes.map((x) => x.id)).toContain('red.png');
  });

  it('fails verify with exit 1 when the index file is gone, and --repair fixes it', async () => {
    for (const f of readdirSync(kb).filter((f) => f.endsWith('.hnsw'))) rmSync(join(kb, f));
    const bad = await cli(['kb', 'verify', '--kb', kb, '--json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).problems[0].kind).toBe('index-file-missing');
    const fixed = await cli(['kb', 'verify', '--kb', kb, '--repair']);
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toMatch(/repaired\s+index-file-missing/);
    expect((await cli(['kb', 'verify', '--kb', kb])).code).toBe(0);
  });

  it('aligns a video with its sidecar subtitles into cue text, frame and audio items, and finds a frame by image', async () => {
    const videos = join(root, 'videos');
    const vkb = join(root, 'vkb');
    mkdirSync(videos);
    cpSync(new URL('../../fixtures/video/sample.mp4', import.meta.url), join(videos, 'sample.mp4'));
    cpSync(new URL('../../fixtures/video/sample.srt', import.meta.url), join(videos, 'sample.srt'));
    const r = await cli(['kb', 'sync', videos, '--kb', vkb, '--device', 'cpu', '--align-videos', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { added: number };
    const ids = (JSON.parse((await cli(['kb', 'changes', '1', '--kb', vkb, '--json'])).stdout) as { id: string }[]).map((c) => c.id);
    const kinds = new Set(ids.map((id) => /#(text|frame|audio):/.exec(id)?.[1]));
    expect(kinds).toEqual(new Set(['text', 'frame', 'audio']));
    expect(ids).toHaveLength(result.added);
    const frame = readdirSync(join(vkb, 'aligned'), { recursive: true }).map(String).find((f) => f.endsWith('.jpg')) as string;
    const hit = await cli(['search', '--image', join(vkb, 'aligned', frame), '--kb', vkb, '--device', 'cpu', '--modality', 'image', '--k', '1', '--json']);
    expect(hit.code, hit.stderr).toBe(0);
    const [best] = JSON.parse(hit.stdout) as { id: string; score: number; path: string }[];
    expect(best.path).toBe(join(vkb, 'aligned', frame));
    expect(best.score).toBeGreaterThan(0.999);
    const again = await cli(['kb', 'sync', videos, '--kb', vkb, '--device', 'cpu', '--align-videos', '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ added: 0, updated: 0, deleted: 0, unchanged: result.added });
  }, 120_000);

  it('filters by source given as a relative path, the way it was typed at sync', async () => {
    const rel = relative(process.cwd(), src);
    const r = await cli(['search', 'The ocean is calm today.', '--kb', kb, '--source', rel, '--k', '3', '--device', 'cpu', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const hits = JSON.parse(r.stdout) as { source: string }[];
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every((h) => h.source === src)).toBe(true);
  });

  it('lists the model behind each modality with its dtype, device and the sha256 of its ONNX file', async () => {
    const r = await cli(['kb', 'models', '--kb', kb, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const models = JSON.parse(r.stdout) as { modality: string; model: string; dtype: string; device: string; fingerprint: string }[];
    const onnx = fileURLToPath(new URL('../../fixtures/models/mmalign/tiny-bert/onnx/model.onnx', import.meta.url));
    expect(models.find((m) => m.modality === 'text')).toMatchObject({
      model: 'mmalign/tiny-bert',
      dtype: 'fp32',
      device: 'cpu',
      fingerprint: createHash('sha256').update(readFileSync(onnx)).digest('hex'),
    });
  });

  it('refuses a search whose text model differs from the one the knowledge base was synced with, naming both', async () => {
    const other = join(root, 'other-bert');
    cpSync(fileURLToPath(new URL('../../fixtures/models/mmalign/tiny-bert', import.meta.url)), other, { recursive: true });
    const r = await cli(['search', 'a red car', '--kb', kb, '--device', 'cpu', '--text-model', other]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(other);
    expect(r.stderr).toContain('mmalign/tiny-bert');
  });

  it('exits 2 when a search gives no query or two', async () => {
    expect((await cli(['search', '--kb', kb])).code).toBe(2);
    const two = await cli(['search', 'text', '--image', 'x.png', '--kb', kb]);
    expect(two.code).toBe(2);
    expect(two.stderr).toMatch(/exactly one query/);
  });

  it('exits 1 naming the folder when there is no knowledge base', async () => {
    const r = await cli(['kb', 'versions', '--kb', join(root, 'nothing')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(join(root, 'nothing'));
  });
});
