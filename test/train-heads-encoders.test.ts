import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli.js';
import { createEncoder } from '../encoders/encoder.js';
import { ProjectionHeads } from '../encoders/heads.js';
import { embedRawPairs, NativeCache, textKey, type RawPairs } from '../encoders/native-cache.js';
import type { Encoder } from '../encoders/types.js';
import type { Modality } from '../src/core/types.js';
import { KnowledgeBase } from '../index/kb.js';
import { kbRawPairs } from '../encoders/pairs-source.js';
import { fakeEmbedders } from './helpers/fake-embedder.js';
import { captureIo } from './helpers/cli.js';

/** An encoder that counts embedNative calls and returns a deterministic vector per text. */
function countingEncoder(): Encoder<'text'> & { calls: number } {
  const enc = {
    modality: 'text' as const,
    modelId: 'fake/text',
    device: 'cpu' as const,
    calls: 0,
    ndims: () => 256,
    nativeDims: () => 4,
    embed: async () => [],
    embedSettled: async () => [],
    embedNative: async (batch: readonly string[]) => {
      enc.calls++;
      return batch.map((t) => Float32Array.from([t.length, t.charCodeAt(0), 1, -1]));
    },
    dispose: async () => {},
  };
  return enc;
}

describe('native-embedding cache', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mmalign-native-cache-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const raw: RawPairs = {
    items: { text: ['one', 'three', 'four'].map((t) => ({ key: textKey(t), input: t })) },
    pairs: [],
  };

  it('embeds each input once: a second run reads every vector from the cache', async () => {
    const first = countingEncoder();
    const a = await embedRawPairs(raw, { encoder: async () => first as Encoder, cache: await NativeCache.open(dir) });
    expect(first.calls).toBe(1);
    const second = countingEncoder();
    const b = await embedRawPairs(raw, { encoder: async () => second as Encoder, cache: await NativeCache.open(dir) });
    expect(second.calls).toBe(0);
    expect(b.embeddings.text).toEqual(a.embeddings.text);
    expect(b.modelIds).toEqual({ text: 'fake/text' });
  });

  it('keys vectors by model id, so another model embeds again', async () => {
    await embedRawPairs(raw, { encoder: async () => countingEncoder() as Encoder, cache: await NativeCache.open(dir) });
    const other = Object.assign(countingEncoder(), { modelId: 'fake/other' });
    await embedRawPairs(raw, { encoder: async () => other as Encoder, cache: await NativeCache.open(dir) });
    expect(other.calls).toBe(1);
    expect((await NativeCache.open(dir)).size).toBe(6);
  });

  it('refuses a corrupt index with a message that says how to rebuild', async () => {
    await writeFile(join(dir, 'native-cache.json'), '{not json');
    await expect(NativeCache.open(dir)).rejects.toThrow(/delete it and its \.f32 file to rebuild/);
  });
});

describe('heads trained from pairs.jsonl with the real encoders', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mmalign-heads-enc-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('are what createEncoder loads through its heads option', async () => {
    const lines: string[] = [];
    for (let k = 0; k < 12; k++) {
      const frame = join(dir, `f${k}.jpg`);
      await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 20 * k, g: 255 - 20 * k, b: (k * 67) % 256 } } })
        .jpeg()
        .toFile(frame);
      // No video file: audio pairs are skipped with a warning, text-image pairs remain.
      lines.push(JSON.stringify({ video: join(dir, 'missing.mp4'), frame, frame_time: k, cue_index: k + 1, start: k, end: k + 0.9, text: `cue number ${k}`, distance: 0 }));
    }
    const pairs = join(dir, 'pairs.jsonl');
    await writeFile(pairs, lines.join('\n') + '\n');
    const out = join(dir, 'heads.safetensors');
    const c = captureIo();
    const code = await runCli(['heads', 'train', pairs, '--out', out, '--modalities', 'text,image', '--device', 'cpu', '--epochs', '3', '--batch', '4', '--val', '0', '--json'], c);
    expect(c.err()).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(c.out()).pairs).toEqual({ train: 12, val: 0 });
    const cacheIndex = JSON.parse(await readFile(join(dir, 'native-cache.json'), 'utf8'));
    expect(Object.keys(cacheIndex.entries)).toHaveLength(24);

    const heads = await ProjectionHeads.load(out);
    const models = Object.fromEntries((['text', 'image'] as Modality[]).map((m) => [m, heads.get(m)?.modelId]));
    expect(models).toEqual({ text: 'mmalign/tiny-bert', image: 'mmalign/tiny-resnet' });
    const text = await createEncoder('text', { heads: out, device: 'cpu' });
    try {
      const [native] = await text.embedNative(['cue number 3']);
      const [shared] = await text.embed(['cue number 3']);
      const expected = heads.project('text', native);
      for (let i = 0; i < shared.length; i++) expect(shared[i]).toBeCloseTo(expected[i], 5);
    } finally {
      await text.dispose();
    }
  });
});

describe('pairs from a knowledge base', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mmalign-heads-kb-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A manifest of 6 cues and 6 frames taken during them, plus one tagged text/image pair without times. */
  async function syncManifest(kbDir: string): Promise<void> {
    const lines: string[] = [];
    for (let k = 0; k < 6; k++) {
      await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 40 * k, g: 200 - 30 * k, b: 90 } } }).png().toFile(join(dir, `f${k}.png`));
      lines.push(JSON.stringify({ id: `cue${k}`, modality: 'text', text: `spoken line ${k}`, start: 2 * k, end: 2 * k + 1.5 }));
      lines.push(JSON.stringify({ id: `frame${k}`, modality: 'image', path: `f${k}.png`, start: 2 * k + 0.5, end: 2 * k + 0.5 }));
    }
    await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 1, g: 2, b: 3 } } }).png().toFile(join(dir, 'logo.png'));
    lines.push(JSON.stringify({ id: 'caption', modality: 'text', text: 'the logo', tags: ['pair:logo'] }));
    lines.push(JSON.stringify({ id: 'logo', modality: 'image', path: 'logo.png', tags: ['pair:logo'] }));
    await writeFile(join(dir, 'manifest.jsonl'), lines.join('\n') + '\n');
    const kb = await KnowledgeBase.open(kbDir, { encoders: fakeEmbedders().provider });
    await kb.sync(join(dir, 'manifest.jsonl'));
    await kb.close();
  }

  it('pairs timed frames with the cues that hold them, and items that share a pair tag', async () => {
    const kbDir = join(dir, 'kb');
    await syncManifest(kbDir);
    const raw = await kbRawPairs(kbDir);
    expect(raw.pairs).toHaveLength(7);
    const texts = raw.items.text!.map((t) => t.input);
    const images = raw.items.image!.map((t) => t.input as string);
    const linked = raw.pairs.map((p) => `${texts[p.ai]} -> ${images[p.bi].split('/').pop()}`).sort();
    expect(linked).toEqual([...Array.from({ length: 6 }, (_, k) => `spoken line ${k} -> f${k}.png`), 'the logo -> logo.png'].sort());
  });

  it('cuts timed audio items out of their file and pairs items that share a cue tag', async () => {
    const kbDir = join(dir, 'kb');
    await writeFile(join(dir, 'talk.wav'), Buffer.alloc(64, 1)); // only hashed by the sync; decoding is injected
    await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 9, g: 9, b: 9 } } }).png().toFile(join(dir, 'late.png'));
    const lines = [
      { id: 'cue3', modality: 'text', text: 'third line', start: 4, end: 6, tags: ['cue:3'] },
      { id: 'clip3', modality: 'audio', path: 'talk.wav', start: 4, end: 6, tags: ['cue:3'] },
      // Outside the cue's time but paired by the aligner (within its threshold): the tag says so.
      { id: 'frame3', modality: 'image', path: 'late.png', start: 6.3, end: 6.3, tags: ['cue:3'] },
    ];
    await writeFile(join(dir, 'manifest.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const kb = await KnowledgeBase.open(kbDir, { encoders: fakeEmbedders().provider });
    await kb.sync(join(dir, 'manifest.jsonl'));
    await kb.close();
    const samples = Float32Array.from({ length: 16_000 * 10 }, (_, i) => i);
    const raw = await kbRawPairs(kbDir, { decode: async () => ({ samples, sampleRate: 16_000 }) });
    expect(raw.pairs.map((p) => [p.a, p.b].sort().join('-')).sort()).toEqual(['audio-image', 'audio-text', 'image-text']);
    const clip = raw.items.audio![0].input as { samples: Float32Array; sampleRate: number };
    expect(clip.samples.length).toBe(2 * 16_000);
    expect(clip.samples[0]).toBe(4 * 16_000);
  });

  it('trains heads from a knowledge-base folder given as PAIRS', async () => {
    const kbDir = join(dir, 'kb');
    await syncManifest(kbDir);
    const out = join(dir, 'heads.safetensors');
    const c = captureIo();
    const code = await runCli(['heads', 'train', kbDir, '--out', out, '--device', 'cpu', '--epochs', '2', '--batch', '4', '--val', '0', '--cache', dir, '--json'], c);
    expect(c.err()).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(c.out()).pairs).toEqual({ train: 7, val: 0 });
    expect((await ProjectionHeads.load(out)).modalities()).toEqual(['text', 'image']);
  });
});
