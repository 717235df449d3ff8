import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMBEDDED_MODELS_DIR } from '../../../encoders/registry.js';
import {
  bertReference,
  readOnnxWeights,
  resnetReference,
  wav2vec2Reference,
  type BertRefConfig,
  type ResNetRefConfig,
  type Wav2Vec2RefConfig,
  type Weights,
} from '../../../encoders/onnx/reference.js';
import { mulberry32 } from '../../../encoders/onnx/rng.js';

const TOLERANCE = 1e-4;

function modelDir(name: string): string {
  return join(EMBEDDED_MODELS_DIR, 'mmalign', name);
}

function load(name: string): { session: Promise<ort.InferenceSession>; weights: Weights; config: Record<string, unknown> } {
  const dir = modelDir(name);
  return {
    session: ort.InferenceSession.create(join(dir, 'onnx', 'model.onnx')),
    weights: readOnnxWeights(join(dir, 'onnx', 'model.onnx')),
    config: JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>,
  };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const i64 = (rows: number[][]): ort.Tensor =>
  new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0].length]);

describe('tiny BERT', () => {
  const m = load('tiny-bert');
  let session: ort.InferenceSession;
  const cfg = () => m.config as unknown as BertRefConfig;
  beforeAll(async () => { session = await m.session; });
  afterAll(async () => { await session.release(); });

  it('matches the TypeScript reference forward pass within 1e-4 on a full sequence', async () => {
    const ids = [2, 120, 45, 999, 3000, 7, 3];
    const types = [0, 0, 0, 1, 1, 1, 1];
    const mask = ids.map(() => 1);
    const out = await session.run({ input_ids: i64([ids]), attention_mask: i64([mask]), token_type_ids: i64([types]) });
    const got = out.last_hidden_state;
    expect(got.dims).toEqual([1, ids.length, cfg().hidden_size]);
    expect(maxAbsDiff(got.data as Float32Array, bertReference(m.weights, cfg(), ids, mask, types))).toBeLessThanOrEqual(TOLERANCE);
  });

  it('matches the reference on a padded batch, row by row', async () => {
    const rows = [[2, 10, 11, 12, 13, 3], [2, 500, 501, 3, 0, 0]];
    const masks = [[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0]];
    const types = rows.map((r) => r.map(() => 0));
    const out = await session.run({ input_ids: i64(rows), attention_mask: i64(masks), token_type_ids: i64(types) });
    const H = cfg().hidden_size;
    const data = out.last_hidden_state.data as Float32Array;
    for (let b = 0; b < rows.length; b++) {
      const ref = bertReference(m.weights, cfg(), rows[b], masks[b], types[b]);
      expect(maxAbsDiff(data.subarray(b * 6 * H, (b + 1) * 6 * H), ref)).toBeLessThanOrEqual(TOLERANCE);
    }
  });

  it('gives unmasked positions the same output whatever sits at the masked positions', async () => {
    const masks = [[1, 1, 1, 1, 0, 0, 0]];
    const types = [[0, 0, 0, 0, 0, 0, 0]];
    const a = await session.run({ input_ids: i64([[2, 40, 41, 3, 0, 0, 0]]), attention_mask: i64(masks), token_type_ids: i64(types) });
    const b = await session.run({ input_ids: i64([[2, 40, 41, 3, 777, 1500, 9]]), attention_mask: i64(masks), token_type_ids: i64(types) });
    const alone = await session.run({ input_ids: i64([[2, 40, 41, 3]]), attention_mask: i64([[1, 1, 1, 1]]), token_type_ids: i64([[0, 0, 0, 0]]) });
    const H = cfg().hidden_size;
    const head = (t: ort.Tensor) => (t.data as Float32Array).subarray(0, 4 * H);
    expect(maxAbsDiff(head(a.last_hidden_state), head(b.last_hidden_state))).toBeLessThanOrEqual(1e-6);
    expect(maxAbsDiff(head(a.last_hidden_state), alone.last_hidden_state.data as Float32Array)).toBeLessThanOrEqual(1e-5);
    // ...while the masked rows themselves did change, so the comparison above is not vacuous.
    const tail = (t: ort.Tensor) => (t.data as Float32Array).subarray(4 * H);
    expect(maxAbsDiff(tail(a.last_hidden_state), tail(b.last_hidden_state))).toBeGreaterThan(1e-2);
  });
});

describe('tiny ResNet', () => {
  const m = load('tiny-resnet');
  it('matches the TypeScript reference forward pass within 1e-4 (last_hidden_state and pooler_output)', async () => {
    const session = await m.session;
    const size = 64; // the graph's spatial axes are dynamic; a small image keeps the float64 reference fast
    const rand = mulberry32(7);
    const pixels = new Float32Array(3 * size * size).map(() => rand() * 4 - 2);
    const out = await session.run({ pixel_values: new ort.Tensor('float32', pixels, [1, 3, size, size]) });
    const ref = resnetReference(m.weights, m.config as unknown as ResNetRefConfig, { c: 3, h: size, w: size, data: Float64Array.from(pixels) });
    const C = ref.lastHiddenState.c;
    expect(out.last_hidden_state.dims).toEqual([1, C, ref.lastHiddenState.h, ref.lastHiddenState.w]);
    expect(out.pooler_output.dims).toEqual([1, C, 1, 1]);
    expect(maxAbsDiff(out.last_hidden_state.data as Float32Array, ref.lastHiddenState.data)).toBeLessThanOrEqual(TOLERANCE);
    expect(maxAbsDiff(out.pooler_output.data as Float32Array, ref.pooled)).toBeLessThanOrEqual(TOLERANCE);
    await session.release();
  });
});

describe('tiny Wav2Vec2', () => {
  const m = load('tiny-wav2vec2');
  it('matches the TypeScript reference forward pass within 1e-4 on a batch of two waveforms', async () => {
    const session = await m.session;
    const T = 4000; // 0.25 s at 16 kHz -> 12 frames
    const rand = mulberry32(11);
    const wave = new Float32Array(2 * T).map((_, i) => Math.sin(i / 7) * 0.5 + (rand() - 0.5));
    const out = await session.run({ input_values: new ort.Tensor('float32', wave, [2, T]) });
    const cfg = m.config as unknown as Wav2Vec2RefConfig;
    const data = out.last_hidden_state.data as Float32Array;
    for (let b = 0; b < 2; b++) {
      const ref = wav2vec2Reference(m.weights, cfg, wave.subarray(b * T, (b + 1) * T));
      expect(out.last_hidden_state.dims).toEqual([2, ref.frames, cfg.hidden_size]);
      const n = ref.frames * cfg.hidden_size;
      expect(maxAbsDiff(data.subarray(b * n, (b + 1) * n), ref.data)).toBeLessThanOrEqual(TOLERANCE);
    }
    await session.release();
  });
});
