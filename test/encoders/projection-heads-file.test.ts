import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ProjectionHeads } from '../../encoders/heads.js';
import { HeadsMismatchError, InputFileError } from '../../src/core/errors/index.js';
import { tempDir } from '../helpers/tmp.js';

const specs = [
  { modality: 'text' as const, modelId: 'mmalign/tiny-bert', inputDim: 64 },
  { modality: 'image' as const, modelId: 'mmalign/tiny-resnet', inputDim: 300 },
];

function randomVector(n: number, seed: number): Float32Array {
  const v = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    v[i] = s / 2147483648 - 0.5;
  }
  return v;
}

describe('projection heads file', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('heads');
  });

  it('projects into 256 dimensions with unit length', () => {
    const heads = ProjectionHeads.seeded(specs);
    const v = heads.project('image', randomVector(300, 1));
    expect(v.length).toBe(256);
    expect(Math.hypot(...v)).toBeCloseTo(1, 5);
  });

  it('seeded heads preserve cosine similarity when the native width is below 256', () => {
    const heads = ProjectionHeads.seeded(specs);
    const a = randomVector(64, 1);
    const b = randomVector(64, 2);
    const cos = (x: Float32Array, y: Float32Array) =>
      x.reduce((s, xi, i) => s + xi * y[i], 0) / (Math.hypot(...x) * Math.hypot(...y));
    const pa = heads.project('text', a);
    const pb = heads.project('text', b);
    expect(cos(pa, pb)).toBeCloseTo(cos(a, b), 5);
  });

  it('the same seed gives identical heads and another seed different ones', () => {
    const a = ProjectionHeads.seeded(specs, { seed: 3 }).toBytes();
    const b = ProjectionHeads.seeded(specs, { seed: 3 }).toBytes();
    const c = ProjectionHeads.seeded(specs, { seed: 4 }).toBytes();
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
  });

  it('saves and loads back identical projections and metadata', async () => {
    const heads = ProjectionHeads.seeded(specs, { seed: 9 });
    const file = join(dir, 'heads.safetensors');
    await heads.save(file);
    const loaded = await ProjectionHeads.load(file);
    const x = randomVector(300, 5);
    expect(Array.from(loaded.project('image', x))).toEqual(Array.from(heads.project('image', x)));
    expect(loaded.metadata).toEqual(heads.metadata);
  });

  it('rejects heads made for another model with the expected and found models', () => {
    const heads = ProjectionHeads.seeded(specs);
    let err: unknown;
    try {
      heads.assertCompatible('text', 'Xenova/bert-base-uncased', 768, 'h.safetensors');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HeadsMismatchError);
    const m = err as HeadsMismatchError;
    expect(m.found).toEqual({ modelId: 'mmalign/tiny-bert', inputDim: 64 });
    expect(m.message).toContain('h.safetensors');
  });

  it('names the file when a heads file is truncated', async () => {
    const file = join(dir, 'cut.safetensors');
    const bytes = ProjectionHeads.seeded(specs).toBytes();
    await writeFile(file, bytes.subarray(0, bytes.length - 100));
    await expect(ProjectionHeads.load(file)).rejects.toThrow(InputFileError);
    await expect(ProjectionHeads.load(file)).rejects.toThrow(/cut\.safetensors.*truncated/);
  });

  it('writes a standard safetensors header that other tools can read', async () => {
    const file = join(dir, 'h.safetensors');
    await ProjectionHeads.seeded(specs).save(file);
    const buf = await readFile(file);
    const n = Number(buf.readBigUInt64LE(0));
    const header = JSON.parse(buf.subarray(8, 8 + n).toString());
    expect(header['text.0.weight']).toMatchObject({ dtype: 'F32', shape: [256, 64] });
    expect((8 + n) % 8).toBe(0);
  });
});
