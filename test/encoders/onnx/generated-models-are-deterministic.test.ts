import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { buildBertGraph } from '../../../encoders/onnx/bert.js';
import { buildModel, buildModels, MODEL_FAMILIES, presetArchitectures } from '../../../encoders/onnx/build.js';
import { buildResNetGraph } from '../../../encoders/onnx/resnet.js';
import { buildWav2Vec2Graph } from '../../../encoders/onnx/wav2vec2.js';
import { readOnnxWeights } from '../../../encoders/onnx/reference.js';
import { EMBEDDED_MODELS_DIR } from '../../../encoders/registry.js';
import { tempDir } from '../../helpers/tmp.js';

let tmp: string;
beforeEach(() => {
  tmp = tempDir('build');
});

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  ).sort();
}

const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

describe('generated models are deterministic', () => {
  it('gives byte-identical files for the same preset and seed', async () => {
    const a = await buildModels({ preset: 'tiny', seed: 7, out: join(tmp, 'a') });
    const b = await buildModels({ preset: 'tiny', seed: 7, out: join(tmp, 'b') });
    for (let i = 0; i < a.length; i++) {
      expect(listFiles(a[i].dir)).toEqual(listFiles(b[i].dir));
      for (const f of listFiles(a[i].dir)) expect(sha(join(b[i].dir, f)), `${a[i].family}: ${f}`).toBe(sha(join(a[i].dir, f)));
      expect(a[i].onnx.sha256).toBe(sha(join(a[i].dir, 'onnx', 'model.onnx')));
    }
  });

  it('keeps the committed tiny models equal to a fresh build (run `npm run models:tiny` after changing the builder)', async () => {
    const fresh = await buildModels({ preset: 'tiny', out: tmp });
    for (const m of fresh) {
      const committed = join(EMBEDDED_MODELS_DIR, 'mmalign', `tiny-${m.family}`);
      expect(listFiles(committed)).toEqual(m.files);
      for (const f of m.files) expect(sha(join(committed, f)), `${committed}/${f}`).toBe(sha(join(m.dir, f)));
    }
  });

  it('gives different weights, but the same graph shape, for a different seed', async () => {
    const a = readOnnxWeights((await buildModel({ family: 'bert', seed: 1, dir: join(tmp, 'a') })).onnx.path);
    const b = readOnnxWeights((await buildModel({ family: 'bert', seed: 2, dir: join(tmp, 'b') })).onnx.path);
    expect([...a.keys()]).toEqual([...b.keys()]);
    const name = 'encoder.layer.0.attention.self.query.weight';
    expect(a.get(name)!.dims).toEqual(b.get(name)!.dims);
    expect(Buffer.from(a.get(name)!.data.buffer).equals(Buffer.from(b.get(name)!.data.buffer))).toBe(false);
  });

  it('keeps every tiny model file well under 1 MB', async () => {
    for (const m of await buildModels({ preset: 'tiny', out: tmp })) expect(m.onnx.bytes).toBeLessThan(700_000);
    expect(MODEL_FAMILIES).toHaveLength(3);
  });

  it('marks generated models as not semantic in config.json', async () => {
    const m = await buildModel({ family: 'resnet', seed: 3, dir: tmp });
    const config = JSON.parse(readFileSync(join(m.dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config.mmalign).toEqual({ generated: true, preset: 'tiny', seed: 3, semantic: false });
    expect(config.model_type).toBe('resnet');
  });

  it('fills batch-norm running statistics with non-trivial values', async () => {
    const w = readOnnxWeights((await buildModel({ family: 'resnet', dir: tmp })).onnx.path);
    const mean = w.get('embedder.embedder.normalization.running_mean')!.data;
    const variance = w.get('embedder.embedder.normalization.running_var')!.data;
    expect(mean.some((v) => Math.abs(v) > 0.01)).toBe(true);
    expect(variance.every((v) => v >= 0.5 && v <= 1.5)).toBe(true);
    expect(variance.some((v) => Math.abs(v - 1) > 0.1)).toBe(true);
  });
});

describe('the base preset has the published dimensions', () => {
  // Counted from the graphs without writing them (a base build writes ~820 MB).
  it('matches BERT-base without pooler at the original 30522-token vocabulary (108,891,648 weights)', () => {
    expect(buildBertGraph({ ...presetArchitectures('base').bert, vocabSize: 30522 }).parameterCount).toBe(108_891_648);
  });

  it('matches ResNet-50 without the classifier: 23,508,032 weights + 53,120 batch-norm running statistics', () => {
    expect(buildResNetGraph(presetArchitectures('base').resnet).parameterCount).toBe(23_508_032 + 53_120);
  });

  it('matches wav2vec2-base (94.37 M weights with the positional conv weight norm folded in)', () => {
    expect(buildWav2Vec2Graph(presetArchitectures('base').wav2vec2).parameterCount).toBe(94_370_816);
  });
});
