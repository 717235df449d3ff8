import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EmbeddingDimensionError, InvalidOptionError, TrainingDataError } from '../../src/core/errors/index.js';
import { evaluateHeads } from '../../encoders/eval-heads.js';
import { ProjectionHeads } from '../../encoders/heads.js';
import type { NativePairs } from '../../encoders/native-pairs.js';
import { jsKernels, type Kernels } from '../../encoders/linalg.js';
import { onnxKernels } from '../../encoders/ort-kernels.js';
import { trainHeads, type TrainHeadsResult } from '../../encoders/train-heads.js';
import { headForward, initHead, type TrainableHead } from '../../encoders/training/backprop.js';
import { contrastiveLoss, pairStep } from '../../encoders/training/loss.js';
import { mulberry32 } from '../../src/core/random.js';
import { syntheticPairs, syntheticViews } from '../helpers/synthetic-pairs.js';
import { tempDir } from '../helpers/tmp.js';

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
    // The held-out loss exists while searching for the epoch count; the refit has nothing held out.
    const search = result.history.filter((h) => h.phase === 'search');
    const first = search[0];
    const last = search[search.length - 1];
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
  it('survive save and load with their weights and training record', async () => {
    const dir = tempDir('heads');
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

describe('dropout and input noise', () => {
  const rng = mulberry32(31);
  const n = 6;
  const headA = initHead('text', [5, 7, 3], rng);
  const headB = initHead('audio', [4, 7, 3], rng);
  const xa = Float32Array.from({ length: n * 5 }, () => 2 * rng() - 1);
  const xb = Float32Array.from({ length: n * 4 }, () => 2 * rng() - 1);
  // Rows 0 and 1 share the text item, rows 2 and 3 the audio item: masked, not negatives.
  const items = { a: [0, 0, 1, 2, 3, 4], b: [0, 1, 2, 2, 3, 4] };
  // The same seed replays the same dropout mask, so the finite differences see the analytic pass's mask.
  const pass = () => ({ dropout: 0.3, rng: mulberry32(77) });
  const lossAt = async () => {
    const p = pass();
    const za = (await headForward(headA, xa, n, jsKernels, p)).z;
    const zb = (await headForward(headB, xb, n, jsKernels, p)).z;
    return contrastiveLoss(za, zb, n, 3, 1.1, false, items).loss;
  };

  it('match finite differences through a dropout mask and masked same-item negatives', async () => {
    const analytic = await pairStep(headA, xa, headB, xb, n, 1.1, jsKernels, items, pass());
    expect(analytic.loss).toBeCloseTo(await lossAt(), 6);
    for (const head of [headA, headB]) {
      for (const layer of [0, 1]) {
        const p = head.layers[layer].weight;
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
          expect(Math.abs(grad[i] - fd), `${head.modality} layer ${layer} weight[${i}]`).toBeLessThan(2e-3 + 2e-2 * Math.abs(fd));
        }
        expect(largest).toBeGreaterThan(1e-3);
      }
    }
  });

  it('change the training forward pass but not the evaluation one', async () => {
    const plain = (await headForward(headA, xa, n)).z;
    const dropped = (await headForward(headA, xa, n, jsKernels, pass())).z;
    expect(Array.from(dropped)).not.toEqual(Array.from(plain));
    expect(Array.from((await headForward(headA, xa, n, jsKernels, null)).z)).toEqual(Array.from(plain));
  });

  it('never reach the reported held-out retrieval, which is that of the returned heads', async () => {
    const data = syntheticPairs({ count: 400, seed: 33 });
    const grouped = { ...data, pairs: data.pairs.map((p) => ({ ...p, group: `g${p.ai % 10}` })) };
    const result = await trainHeads(grouped, { ...quick, epochs: 4, hidden: 16, inputNoise: 1, dropout: 0.5, refit: false, seed: 3 });
    expect(result.split).toEqual({ train: 360, val: 40 });
    // One of the ten groups was held out; scoring the returned heads on it, with no noise, gives the report.
    const perGroup = Array.from({ length: 10 }, (_, g) => evaluateHeads(result.heads, { ...grouped, pairs: grouped.pairs.filter((p) => p.group === `g${g}`) }, { baseline: false }).heads);
    expect(perGroup.filter((e) => JSON.stringify(e) === JSON.stringify(result.validation))).toHaveLength(1);
  });

  it('keep training deterministic: same seed, same bytes, with noise and dropout on', async () => {
    const data = syntheticPairs({ count: 200, seed: 34 });
    const opts = { ...quick, epochs: 3, hidden: 16, inputNoise: 0.5, dropout: 0.2, seed: 4 };
    const a = (await trainHeads(data, opts)).heads.toBytes();
    const b = (await trainHeads(data, opts)).heads.toBytes();
    expect(Buffer.compare(a, b)).toBe(0);
    const c = (await trainHeads(data, { ...opts, dropout: 0 })).heads.toBytes();
    expect(Buffer.compare(a, c)).not.toBe(0);
  });
});

describe('temperature', () => {
  const data = syntheticPairs({ count: 200, seed: 35 });

  it('stays where it is set when fixed', async () => {
    const result = await trainHeads(data, { ...quick, epochs: 3, temperature: 0.05 });
    expect(result.temperature).toBeCloseTo(0.05, 12);
    expect(result.history.every((h) => Math.abs(h.temperature - 0.05) < 1e-12)).toBe(true);
    expect((result.heads.metadata.training as { temperatureMode: string }).temperatureMode).toBe('fixed');
  });

  it('moves from its starting value when learned', async () => {
    const result = await trainHeads(data, { ...quick, epochs: 3, temperature: 'learned', initialTemperature: 0.05 });
    expect(Math.abs(result.temperature - 0.05)).toBeGreaterThan(1e-4);
  });

  it('rejects a fixed temperature outside [1/maxLogitScale, 1]', async () => {
    await expect(trainHeads(data, { temperature: 0.001 })).rejects.toThrow(InvalidOptionError);
    await expect(trainHeads(data, { temperature: 2 })).rejects.toThrow(/temperature/);
    await expect(trainHeads(data, { dropout: 1 })).rejects.toThrow(/dropout/);
  });
});

describe('held-out split by group and by item', () => {
  it('never puts a group on both sides', async () => {
    const data = syntheticPairs({ count: 300, seed: 36 });
    const grouped = { ...data, pairs: data.pairs.map((p) => ({ ...p, group: `video-${p.ai % 6}` })) };
    const result = await trainHeads(grouped, { ...quick, epochs: 2, valFraction: 0.2, refit: false });
    // 6 groups of 50 pairs: one group (0.2 × 6 rounds to 1) is held out, whole.
    expect(result.split).toEqual({ train: 250, val: 50 });
    expect(result.heads.metadata.training).toMatchObject({ split: { units: 6, heldOut: 1, by: null } });
  });

  it('groups by a label with valBy', async () => {
    const { train } = syntheticViews({ items: 40, trainViews: 5, testViews: 1, seed: 2 });
    const result = await trainHeads(train, { ...quick, epochs: 2, valFraction: 0.2, valBy: 'voice', refit: false });
    // Five voices: one held out, with all 40 of its clips; the texts are on both sides, as asked.
    expect(result.split).toEqual({ train: 160, val: 40 });
    expect(result.validation?.kinds[0].aToB.gallery).toBe(40);
  });

  it('holds out every pair of an item together when pairs have no group', async () => {
    // Eight clips per text: the split unit is the text with its clips, so a held-out text has all eight.
    const { train } = syntheticViews({ items: 50, trainViews: 8, testViews: 1, seed: 3 });
    const result = await trainHeads(train, { ...quick, epochs: 2, valFraction: 0.1, refit: false });
    expect(result.split).toEqual({ train: 360, val: 40 });
    const v = result.validation?.kinds[0];
    expect([v?.aToB.queries, v?.aToB.gallery, v?.bToA.queries, v?.bToA.gallery]).toEqual([5, 40, 40, 5]);
  });

  it('says how to proceed when everything is one connected group', async () => {
    const data = syntheticPairs({ count: 20, seed: 37 });
    const one = { ...data, pairs: data.pairs.map((p) => ({ ...p, group: 'all' })) };
    await expect(trainHeads(one, { valFraction: 0.1 })).rejects.toThrow(/form 1 group\(s\).*--val 0/);
  });
});

describe('refit on every pair', () => {
  const data = syntheticPairs({ count: 300, seed: 38 });

  it('retrains for the epoch count early stopping chose, on all pairs', async () => {
    const result = await trainHeads(data, { ...quick, epochs: 6, patience: 2 });
    const refit = result.history.filter((h) => h.phase === 'refit');
    expect(result.refit).toBe(true);
    expect(refit).toHaveLength(result.bestEpoch);
    expect(refit.every((h) => h.valLoss === null)).toBe(true);
    // More pairs per epoch than the search: the held-out ones are trained on too.
    const search = result.history.find((h) => h.phase === 'search') as { steps: number };
    expect(refit[0].steps).toBeGreaterThanOrEqual(search.steps);
  });

  it('gives the very weights of a run with nothing held out', async () => {
    const refit = await trainHeads(data, { ...quick, epochs: 3, hidden: 16, seed: 6 });
    const all = await trainHeads(data, { ...quick, epochs: 3, hidden: 16, seed: 6, valFraction: 0 });
    expect(refit.validation).not.toBeNull();
    expect(all.validation).toBeNull();
    for (const m of ['text', 'image'] as const) {
      const a = refit.heads.get(m)!.layers;
      const b = all.heads.get(m)!.layers;
      a.forEach((l, i) => expect(Buffer.compare(Buffer.from(l.weight.buffer), Buffer.from(b[i].weight.buffer))).toBe(0));
    }
  });

  it('is skipped with refit: false, returning the best held-out epoch', async () => {
    const a = await trainHeads(data, { ...quick, epochs: 3, refit: false });
    const b = await trainHeads(data, { ...quick, epochs: 3 });
    expect(a.refit).toBe(false);
    expect(a.history.every((h) => h.phase === 'search')).toBe(true);
    expect(a.heads.metadata.version).not.toBe(b.heads.metadata.version);
  });
});
