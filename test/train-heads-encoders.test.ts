import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli.js';
import { createEncoder } from '../encoders/encoder.js';
import { ProjectionHeads } from '../encoders/heads.js';
import { embedRawPairs, NativeCache, textKey, type RawPairs } from '../encoders/native-cache.js';
import type { Encoder } from '../encoders/types.js';
import type { Modality } from '../src/types.js';

function quietIo() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  return { io: { stdout, stderr }, out: () => out, err: () => err };
}

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
    const c = quietIo();
    const code = await runCli(['heads', 'train', pairs, '--out', out, '--modalities', 'text,image', '--device', 'cpu', '--epochs', '3', '--batch', '4', '--val', '0', '--json'], c.io);
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
