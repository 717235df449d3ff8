import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { embedRawPairs, NativeCache, textKey, type RawPairs } from '../../encoders/native-cache.js';
import type { Encoder } from '../../encoders/types.js';
import { tempDir } from '../helpers/tmp.js';

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
  beforeEach(() => {
    dir = tempDir('native-cache');
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
