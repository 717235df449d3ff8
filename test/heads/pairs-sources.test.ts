import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { createEncoder } from '../../encoders/encoder.js';
import { ProjectionHeads } from '../../encoders/heads.js';
import type { Modality } from '../../src/core/types.js';
import { KnowledgeBase } from '../../index/index.js';
import { kbRawPairs, readPairsFile } from '../../src/heads/pairs-sources.js';
import { fakeEmbedders } from '../helpers/fake-embedder.js';
import { captureIo } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

describe('heads trained from pairs.jsonl with the real encoders', () => {
  let dir = '';
  beforeEach(() => {
    dir = tempDir('heads-enc');
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
    // Nothing but the note that the embedded models are not semantic.
    expect(c.err().split('\n').filter((l) => l && !l.startsWith('note: '))).toEqual([]);
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
  beforeEach(() => {
    dir = tempDir('heads-kb');
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
    // Each pair says which source it came from, for `heads eval --by source`.
    expect(new Set(raw.pairs.map((p) => typeof p.labels?.source))).toEqual(new Set(['string']));
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
    // Nothing but the note that the embedded models are not semantic.
    expect(c.err().split('\n').filter((l) => l && !l.startsWith('note: '))).toEqual([]);
    expect(code).toBe(0);
    expect(JSON.parse(c.out()).pairs).toEqual({ train: 7, val: 0 });
    expect((await ProjectionHeads.load(out)).modalities()).toEqual(['text', 'image']);
  });
});

describe('pairs from the pairs.jsonl of mmalign align', () => {
  let dir = '';
  beforeEach(() => {
    dir = tempDir('aligned-pairs');
  });

  it('makes one clip per cue index and one text per distinct text, with video and speaker labels', async () => {
    const lines = [];
    for (let k = 0; k < 4; k++) {
      await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 50 * k, g: 9, b: 9 } } }).png().toFile(join(dir, `f${k}.png`));
    }
    // Cue 1 has two frames; cues 2 and 3 say the same words.
    lines.push({ video: 'talk.mp4', frame: 'f0.png', cue_index: 1, start: 0, end: 1, text: 'hello there', speaker: 'Ann' });
    lines.push({ video: 'talk.mp4', frame: 'f1.png', cue_index: 1, start: 0, end: 1, text: 'hello there', speaker: 'Ann' });
    lines.push({ video: 'talk.mp4', frame: 'f2.png', cue_index: 2, start: 2, end: 3, text: 'yes' });
    lines.push({ video: 'talk.mp4', frame: 'f3.png', cue_index: 3, start: 4, end: 5, text: 'yes' });
    await writeFile(join(dir, 'pairs.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const samples = new Float32Array(16_000 * 6).fill(0.1);
    const src = await readPairsFile(join(dir, 'pairs.jsonl'), { decode: async () => ({ samples, sampleRate: 16_000 }) });
    expect(src.kind).toBe('aligned');
    if (src.kind !== 'aligned') return;
    expect(src.raw.items.text?.map((t) => t.input)).toEqual(['hello there', 'yes']);
    expect(src.raw.items.audio).toHaveLength(3);
    const textAudio = src.raw.pairs.filter((p) => p.b === 'audio' && p.a === 'text');
    expect(textAudio.map((p) => [p.ai, p.bi])).toEqual([[0, 0], [1, 1], [1, 2]]);
    expect(src.raw.pairs[0].labels).toEqual({ video: 'talk.mp4', speaker: 'Ann' });
    expect(src.raw.pairs[2].labels).toEqual({ video: 'talk.mp4' });
  });
});
