import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddingDimensionError, InvalidOptionError, TrainingDataError } from '../src/core/errors/index.js';
import { evaluateHeads } from '../encoders/eval-heads.js';
import { ProjectionHeads } from '../encoders/heads.js';
import type { NativePairs } from '../encoders/native-pairs.js';
import { jsKernels, type Kernels } from '../encoders/linalg.js';
import { onnxKernels } from '../encoders/ort-kernels.js';
import { contrastiveLoss, headForward, initHead, mulberry32, pairStep, trainHeads, type TrainableHead, type TrainHeadsResult } from '../encoders/train-heads.js';
import { syntheticPairs } from './synthetic-pairs.js';

const FIXED_NOW = () => new Date('2026-01-01T00:00:00Z');

/** The first `train` items for training, the rest as a held-out set over the same vectors. */
function splitByItem(data: NativePairs, train: number): { train: NativePairs; heldOut: NativePairs } {
  return {
    train: { ...data, pairs: data.pairs.filter((p) => p.ai < train) },
    heldOut: { ...data, pairs: data.pairs.filter((p) => p.ai >= train) },
  };
}

const quick = { epochs: 25, batchSize: 128, outputDim: 32, lr: 3e-3, now: FIXED_NOW } as const;

describe('trainHeads on pairs with a hidden shared latent', () => {
  const data = syntheticPairs({ count: 1200, noise: 0.2, seed: 11 });
  const { train, heldOut } = splitByItem(data, 1000);
  let result: TrainHeadsResult;
  beforeAll(async () => {
    result = await trainHeads(train, { ...quick, seed: 5 });
  });

  it('ran on the onnxruntime backend by default', () => {
    expect(result.backend).toBe('onnx');
  });

  it('reaches recall@1 >= 0.9 on held-out pairs where seeded random heads are near chance', () => {
    const report = evaluateHeads(result.heads, heldOut);
    expect(report.heads.mean.r1).toBeGreaterThanOrEqual(0.9);
    const baseline = report.baseline;
    expect(baseline).not.toBeNull();
    // 200 candidates: chance recall@1 is 0.005 and chance recall@10 is 0.05.
    expect(baseline?.mean.r1).toBeLessThan(0.05);
    expect(baseline?.mean.r10).toBeLessThan(0.15);
    expect(report.heads.kinds[0].aToB.gallery).toBe(200);
  });

  it('lowers the training and held-out loss', () => {
    const first = result.history[0];
    const last = result.history[result.history.length - 1];
    expect(last.trainLoss).toBeLessThan(first.trainLoss / 4);
    expect(last.valLoss as number).toBeLessThan((first.valLoss as number) / 2);
  });

  it('records the training in the heads metadata', () => {
    const t = result.heads.metadata.training as Record<string, unknown>;
    expect(result.heads.metadata.kind).toBe('trained');
    expect(t.bestEpoch).toBe(result.bestEpoch);
    expect(t.modelIds).toEqual({ text: 'synthetic/text-48', image: 'synthetic/image-64' });
    expect((t.pairs as { total: number }).total).toBe(1000);
    expect(t.temperature).toBeCloseTo(result.temperature, 12);
    expect((t.metrics as { mean: { r1: number } }).mean.r1).toBe(result.validation?.mean.r1);
  });

  it('produces heads whose project() agrees with the batch evaluation', () => {
    // project() is what encoders call: the folded standardisation must make raw vectors work.
    const text = data.embeddings.text as { cols: number; data: Float32Array };
    const image = data.embeddings.image as { cols: number; data: Float32Array };
    let hits = 0;
    const imgs = Array.from({ length: 50 }, (_, k) => result.heads.project('image', image.data.slice((1100 + k) * image.cols, (1101 + k) * image.cols)));
    for (let k = 0; k < 50; k++) {
      const q = result.heads.project('text', text.data.slice((1100 + k) * text.cols, (1101 + k) * text.cols));
      const scores = imgs.map((v) => v.reduce((s, x, i) => s + x * q[i], 0));
      if (scores.indexOf(Math.max(...scores)) === k) hits++;
    }
    expect(hits).toBeGreaterThanOrEqual(48);
  });
});

describe('heads with a hidden layer', () => {
  it('learn the hidden relation too', async () => {
    const data = syntheticPairs({ count: 800, noise: 0.2, seed: 12 });
    const result = await trainHeads(data, { ...quick, hidden: 64, seed: 2, valFraction: 0.25 });
    expect(result.heads.get('image')?.layers.map((l) => [l.inDim, l.outDim])).toEqual([[64, 64], [64, 32]]);
    expect(result.validation?.mean.r1).toBeGreaterThanOrEqual(0.9);
  });
});

describe('trainHeads determinism', () => {
  const data = syntheticPairs({ count: 300, seed: 2 });

  for (const backend of ['onnx', 'js'] as const) {
    it(`gives byte-identical heads files for the same seed (${backend} backend)`, async () => {
      const a = (await trainHeads(data, { ...quick, epochs: 3, seed: 9, backend })).heads.toBytes();
      const b = (await trainHeads(data, { ...quick, epochs: 3, seed: 9, backend })).heads.toBytes();
      expect(Buffer.compare(a, b)).toBe(0);
    });
  }

  it('gives different heads for a different seed', async () => {
    const a = (await trainHeads(data, { ...quick, epochs: 3, seed: 9 })).heads;
    const b = (await trainHeads(data, { ...quick, epochs: 3, seed: 10 })).heads;
    expect(a.metadata.version).not.toBe(b.metadata.version);
  });

  it('trains the same heads on both backends up to float rounding', async () => {
    const a = (await trainHeads(data, { ...quick, epochs: 2, seed: 9, backend: 'onnx' })).heads.get('text')!.layers[0].weight;
    const b = (await trainHeads(data, { ...quick, epochs: 2, seed: 9, backend: 'js' })).heads.get('text')!.layers[0].weight;
    let maxDiff = 0;
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    expect(maxDiff).toBeLessThan(1e-3);
  });
});

describe('text as the anchor modality', () => {
  it('aligns image with audio through text when only text pairs are given', async () => {
    const data = syntheticPairs({ count: 700, dims: { text: 40, image: 56, audio: 32 }, seed: 4 });
    const textOnly = { ...data, pairs: data.pairs.filter((p) => p.a === 'text' && p.ai < 500) };
    const { heads } = await trainHeads(textOnly, { ...quick, seed: 1 });
    const imageAudio = { ...data, pairs: data.pairs.filter((p) => p.a === 'image' && p.ai >= 500) };
    const report = evaluateHeads(heads, imageAudio);
    expect(report.heads.kinds.map((k) => k.kind)).toEqual(['image-audio']);
    expect(report.heads.mean.r1).toBeGreaterThan(0.5);
    expect(report.baseline?.mean.r1).toBeLessThan(0.05);
  });

  it('trains on image-audio pairs too and reports every kind held out', async () => {
    const data = syntheticPairs({ count: 400, dims: { text: 40, image: 56, audio: 32 }, seed: 6 });
    const result = await trainHeads(data, { ...quick, epochs: 8, seed: 1, valFraction: 0.25 });
    expect(result.validation?.kinds.map((k) => k.kind)).toEqual(['text-image', 'text-audio', 'image-audio']);
    expect(result.heads.modalities()).toEqual(['text', 'image', 'audio']);
  });
});

for (const backend of ['js', 'onnx'] as const) {
  describe(`backward pass (${backend} kernels)`, () => {
    // Central differences on a tiny case with a hidden layer in both heads.
    const rng = mulberry32(3);
    const n = 5;
    const headA = initHead('text', [5, 4, 3], rng);
    const headB = initHead('image', [6, 4, 3], rng);
    const xa = Float32Array.from({ length: n * 5 }, () => 2 * rng() - 1);
    const xb = Float32Array.from({ length: n * 6 }, () => 2 * rng() - 1);
    const logScale = 1.3;
    let kernels: Kernels = jsKernels;
    let analytic = { loss: 0, dLogScale: 0 };
    const lossAt = async (ls = logScale) => {
      const za = (await headForward(headA, xa, n, kernels)).z;
      const zb = (await headForward(headB, xb, n, kernels)).z;
      return contrastiveLoss(za, zb, n, 3, ls, false).loss;
    };
    beforeAll(async () => {
      kernels = backend === 'onnx' ? await onnxKernels() : jsKernels;
      analytic = await pairStep(headA, xa, headB, xb, n, logScale, kernels);
      return () => kernels.dispose();
    });

    async function checkParam(head: TrainableHead, which: 'weight' | 'bias', layer: number): Promise<void> {
      const p = head.layers[layer][which];
      const grad = p.grad.slice();
      let largest = 0;
      for (let i = 0; i < p.value.length; i++) {
        const v = p.value[i];
        p.value[i] = v + 1e-3;
        const up = p.value[i];
        const lp = await lossAt();
        p.value[i] = v - 1e-3;
        const down = p.value[i];
        const lm = await lossAt();
        p.value[i] = v;
        const fd = (lp - lm) / (up - down);
        largest = Math.max(largest, Math.abs(fd));
        expect(Math.abs(grad[i] - fd), `${head.modality} layer ${layer} ${which}[${i}]`).toBeLessThan(2e-3 + 2e-2 * Math.abs(fd));
      }
      expect(largest).toBeGreaterThan(1e-3); // the check compared something non-trivial
    }

    for (const [name, head] of [['text', headA], ['image', headB]] as const) {
      for (const layer of [0, 1]) {
        it(`matches finite differences for the ${name} head's layer ${layer} weights`, () => checkParam(head, 'weight', layer));
        it(`matches finite differences for the ${name} head's layer ${layer} biases`, () => checkParam(head, 'bias', layer));
      }
    }

    it('matches finite differences for the temperature', async () => {
      // Wide step: the onnx path accumulates in float32, and the loss is smooth in the temperature.
      const fd = ((await lossAt(logScale + 1e-2)) - (await lossAt(logScale - 1e-2))) / 2e-2;
      expect(Math.abs(fd)).toBeGreaterThan(1e-3);
      expect(analytic.dLogScale).toBeCloseTo(fd, 3);
    });

    it('returns the loss the forward pass computes', async () => {
      expect(analytic.loss).toBeCloseTo(await lossAt(), 6);
    });
  });
}

describe('duplicate items in a batch', () => {
  // Rows 0 and 1 are one cue with two frames: same text vector and id, identical frame vectors.
  const e = (k: number) => Float32Array.from({ length: 3 }, (_, i) => (i === k ? 1 : 0));
  const cat = (...v: Float32Array[]) => Float32Array.from(v.flatMap((x) => Array.from(x)));
  const za = cat(e(0), e(0), e(1));
  const zb = cat(e(0), e(0), e(1));

  it('counts the other copy as a negative without ids', () => {
    expect(contrastiveLoss(za, zb, 3, 3, Math.log(100), false).loss).toBeGreaterThan(0.4);
  });

  it('leaves it out of the softmax with ids, so a perfect match costs nothing', () => {
    const ids = { a: [7, 7, 8], b: [0, 1, 2] };
    expect(contrastiveLoss(za, zb, 3, 3, Math.log(100), false, ids).loss).toBeLessThan(1e-3);
  });

  it('matches finite differences with duplicates masked', () => {
    const ids = { a: [7, 7, 8], b: [0, 1, 2] };
    const lossAt = (v: Float32Array) => contrastiveLoss(v, zb, 3, 3, 2, false, ids).loss;
    const { dza } = contrastiveLoss(za, zb, 3, 3, 2, true, ids);
    for (let i = 0; i < 9; i++) {
      const up = za.slice();
      up[i] += 1e-3;
      const down = za.slice();
      down[i] -= 1e-3;
      expect(dza[i]).toBeCloseTo((lossAt(up) - lossAt(down)) / 2e-3, 3);
    }
  });
});

describe('bad training input', () => {
  it('rejects a vector of the wrong width, naming the modality and the item', async () => {
    const text = [new Float32Array(8), new Float32Array(8), new Float32Array(7)];
    const image = [new Float32Array(4), new Float32Array(4), new Float32Array(4)];
    const pairs = [0, 1, 2].map((i) => ({ a: 'text' as const, ai: i, b: 'image' as const, bi: i }));
    const run = () => trainHeads({ embeddings: { text, image }, pairs }, { source: 'pairs.jsonl' });
    await expect(run()).rejects.toThrow(EmbeddingDimensionError);
    await expect(run()).rejects.toThrow(/pairs\.jsonl: text embedding #2 has 7 values, expected 8/);
  });

  it('rejects held-out pairs whose width differs from the heads', async () => {
    const data = syntheticPairs({ count: 60, seed: 1 });
    const { heads } = await trainHeads(data, { ...quick, epochs: 1 });
    const other = syntheticPairs({ count: 60, dims: { text: 50, image: 64 }, seed: 1 });
    expect(() => evaluateHeads(heads, other)).toThrow(EmbeddingDimensionError);
  });

  it('rejects a pair that names a vector that does not exist', async () => {
    const data = syntheticPairs({ count: 20, seed: 1 });
    const bad = { ...data, pairs: [...data.pairs, { a: 'text' as const, ai: 20, b: 'image' as const, bi: 0 }] };
    await expect(trainHeads(bad)).rejects.toThrow(TrainingDataError);
    await expect(trainHeads(bad)).rejects.toThrow(/pair #20 names text vector 20, but there are 20 text vectors/);
  });

  it('rejects non-finite values', async () => {
    const data = syntheticPairs({ count: 20, seed: 1 });
    (data.embeddings.image as { data: Float32Array }).data[70] = Number.NaN;
    await expect(trainHeads(data)).rejects.toThrow(/image embedding #1 contains NaN/);
  });

  it('rejects a batch size that leaves no negatives', async () => {
    await expect(trainHeads(syntheticPairs({ count: 20 }), { batchSize: 1 })).rejects.toThrow(InvalidOptionError);
  });
});

describe('trained heads on disk', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('survive save and load with their weights and training record', async () => {
    dir = await mkdtemp(join(tmpdir(), 'mmalign-heads-'));
    const data = syntheticPairs({ count: 200, seed: 8 });
    const { heads } = await trainHeads(data, { ...quick, epochs: 2, hidden: 16 });
    const file = join(dir, 'heads.safetensors');
    await heads.save(file);
    const loaded = await ProjectionHeads.load(file);
    expect(loaded.metadata).toEqual(heads.metadata);
    expect(loaded.get('text')?.layers).toHaveLength(2);
    const v = (data.embeddings.text as { data: Float32Array }).data.slice(0, 48);
    expect(Array.from(loaded.project('text', v))).toEqual(Array.from(heads.project('text', v)));
  });
});
