import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { env, pipeline } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEncoder, EmbedBatchError, EncodeInputError, HeadsMismatchError, ProjectionHeads, type Encoder } from 'mmalign';
import { windowStarts } from '../../encoders/text.js';
import { maxDiff, norm } from '../helpers/encoder-media.js';
import { sharedTempDir } from '../helpers/tmp.js';

const MODELS = fileURLToPath(new URL('../../fixtures/models', import.meta.url));
const MODEL = 'mmalign/tiny-bert';
const quiet = { warn: () => undefined };

let enc: Encoder<'text'>;

beforeAll(async () => {
  enc = await createEncoder('text', { model: MODEL, modelsDir: MODELS, device: 'cpu', logger: quiet });
});
afterAll(async () => {
  await enc?.dispose();
});

const sentences = [
  'a cat sat on the mat',
  'the quick brown fox jumps over the lazy dog while the farmer watches from the porch of the old house',
  'hi',
  'music plays in the background as people talk about the weather and the news of the day',
  'one more short line',
];

describe('text encoder', () => {
  it('embeds each text into a 256-d unit vector', async () => {
    const out = await enc.embed(sentences);
    expect(out).toHaveLength(sentences.length);
    for (const v of out) {
      expect(v).toBeInstanceOf(Float32Array);
      expect(v.length).toBe(256);
      expect(norm(v)).toBeCloseTo(1, 5);
    }
    expect(enc.ndims()).toBe(256);
    expect(enc.device).toBe('cpu');
  });

  it('gives the same vectors in a length-sorted batch as one text at a time, in input order', async () => {
    const batch = await enc.embed(sentences);
    for (let i = 0; i < sentences.length; i++) {
      const [single] = await enc.embed([sentences[i]]);
      expect(maxDiff(batch[i], single)).toBeLessThan(1e-5);
    }
  });

  it('mean-pools like the transformers.js feature-extraction pipeline on the same model', async () => {
    env.localModelPath = MODELS;
    env.allowRemoteModels = false;
    const extractor = await pipeline('feature-extraction', MODEL, { dtype: 'fp32', device: 'cpu' });
    const ref = await extractor(sentences, { pooling: 'mean', normalize: false });
    const native = await enc.embedNative(sentences);
    const h = enc.nativeDims();
    expect(ref.dims).toEqual([sentences.length, h]);
    const data = ref.data as Float32Array;
    for (let i = 0; i < sentences.length; i++) {
      expect(maxDiff(native[i], data.subarray(i * h, (i + 1) * h))).toBeLessThan(1e-4);
    }
    await extractor.dispose();
  });

  it('rejects an empty or whitespace-only text with an error that names the item', async () => {
    const err = await enc.embed(['   \n ']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EmbedBatchError);
    const failure = (err as EmbedBatchError).failures[0];
    expect(failure.index).toBe(0);
    expect(failure.error).toBeInstanceOf(EncodeInputError);
    expect(failure.error.message).toMatch(/empty/);
  });

  it('embeds the good texts of a batch and reports the bad one', async () => {
    const outcomes = await enc.embedSettled(['a good line', '', 'another good line']);
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, true]);
    const bad = outcomes[1];
    expect(!bad.ok && bad.error instanceof EncodeInputError && bad.error.index).toBe(1);
    const err = (await enc.embed(['a good line', '', 'another good line']).catch((e: unknown) => e)) as EmbedBatchError;
    expect(err.results[0]).toBeInstanceOf(Float32Array);
    expect(err.results[1]).toBeUndefined();
    const [alone] = await enc.embed(['another good line']);
    expect(maxDiff(err.results[2]!, alone)).toBeLessThan(1e-5);
  });
});

describe('text encoder lifecycle', () => {
  it('refuses to embed after dispose, saying to create a new encoder', async () => {
    const short = await createEncoder('text', { model: MODEL, modelsDir: MODELS, device: 'cpu', logger: quiet });
    await short.dispose();
    await short.dispose(); // twice is harmless
    await expect(short.embed(['x'])).rejects.toThrow(/disposed; create a new one/);
  });
});

describe('text windows', () => {
  it('cuts long token runs into half-overlapping windows whose last one ends on the last token', () => {
    expect(windowStarts(10, 16)).toEqual([0]);
    expect(windowStarts(16, 16)).toEqual([0]);
    expect(windowStarts(40, 16)).toEqual([0, 8, 16, 24]);
    expect(windowStarts(17, 16)).toEqual([0, 1]);
  });

  it('averages the window embeddings of a text longer than the window', async () => {
    // Words that are single tokens, so a window of C tokens is exactly C words.
    const vocab = (await readFile(join(MODELS, MODEL, 'vocab.txt'), 'utf8')).split('\n').filter((w) => /^[a-z]{4,}$/.test(w));
    const words = vocab.slice(0, 40);
    const maxTokens = 14; // [CLS] + 12 words + [SEP]
    const small = await createEncoder('text', { model: MODEL, modelsDir: MODELS, device: 'cpu', logger: quiet, maxTokens });
    try {
      const starts = windowStarts(words.length, 12);
      expect(starts.length).toBeGreaterThan(2);
      const pieces = starts.map((s) => words.slice(s, s + 12).join(' '));
      const windows = await small.embedNative(pieces);
      const [long] = await small.embedNative([words.join(' ')]);
      const mean = new Float32Array(long.length);
      for (const w of windows) for (let k = 0; k < mean.length; k++) mean[k] += w[k] / windows.length;
      expect(maxDiff(long, mean)).toBeLessThan(1e-5);
      // And it really was windowed: the whole text differs from its first window alone.
      expect(maxDiff(long, windows[0])).toBeGreaterThan(1e-3);
    } finally {
      await small.dispose();
    }
  });
});

describe('text heads', () => {
  const dir = sharedTempDir('text-heads');

  it('projects identically with heads saved to a file and loaded back', async () => {
    const heads = ProjectionHeads.seeded([{ modality: 'text', modelId: MODEL, inputDim: enc.nativeDims() }], { seed: 99 });
    const file = join(dir, 'heads.safetensors');
    await heads.save(file);
    const fromObject = await createEncoder('text', { model: MODEL, modelsDir: MODELS, device: 'cpu', logger: quiet, heads });
    const fromFile = await createEncoder('text', { model: MODEL, modelsDir: MODELS, device: 'cpu', logger: quiet, heads: file });
    try {
      const [a] = await fromObject.embed(['round trip']);
      const [b] = await fromFile.embed(['round trip']);
      expect(Array.from(b)).toEqual(Array.from(a));
      const [d] = await enc.embed(['round trip']); // default seed 0: a different projection
      expect(maxDiff(a, d)).toBeGreaterThan(1e-3);
    } finally {
      await fromObject.dispose();
      await fromFile.dispose();
    }
  });

  it('refuses heads made for another model', async () => {
    const other = ProjectionHeads.seeded([{ modality: 'text', modelId: 'someone/other-bert', inputDim: enc.nativeDims() }]);
    await expect(createEncoder('text', { model: MODEL, modelsDir: MODELS, device: 'cpu', logger: quiet, heads: other })).rejects.toBeInstanceOf(HeadsMismatchError);
  });

  it('refuses heads made for another width of the same model', async () => {
    const file = join(dir, 'wide.safetensors');
    await ProjectionHeads.seeded([{ modality: 'text', modelId: MODEL, inputDim: enc.nativeDims() * 2 }]).save(file);
    const err = await createEncoder('text', { model: MODEL, modelsDir: MODELS, device: 'cpu', logger: quiet, heads: file }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HeadsMismatchError);
    expect((err as Error).message).toContain(MODEL);
  });
});
