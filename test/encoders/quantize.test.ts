import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { createEncoder } from '../../encoders/encoder.js';
import { GraphBuilder, float, int, ints } from '../../encoders/onnx/graph.js';
import { OnnxFile } from '../../encoders/onnx/onnx-file.js';
import { DataType } from '../../encoders/onnx/proto.js';
import { QUANTIZED_ONNX_FILE, quantizeModel, quantizeModelDir } from '../../encoders/onnx/quantize.js';
import { EMBEDDED_MODELS_DIR } from '../../encoders/registry.js';
import { InputFileError, ModelLoadError } from '../../src/core/errors/index.js';
import { tempDir } from '../helpers/tmp.js';
import { similarity as cosine } from '../../encoders/similarity.js';

const tiny = (name: string) => join(EMBEDDED_MODELS_DIR, 'mmalign', name);
const quiet = { warn: () => undefined };
/**
 * q8 vs fp32 native (pooled) vectors of the tiny models, measured: text ≥ 0.99996, audio ≥ 0.9988 (its
 * quantized feature-encoder convs compound). The bounds leave room for other CPUs' kernels.
 */
const MIN_COSINE = { text: 0.999, audio: 0.995 } as const;


const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');


function opCounts(file: string): Record<string, number> {
  const f = OnnxFile.open(file);
  try {
    const out: Record<string, number> = {};
    for (const n of f.nodes) out[n.opType] = (out[n.opType] ?? 0) + 1;
    return out;
  } finally {
    f.close();
  }
}

async function run(file: string, feeds: Record<string, ort.Tensor>): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(file, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  try {
    return (await s.run(feeds))[s.outputNames[0]].data as Float32Array;
  } finally {
    await s.release();
  }
}

describe('quantizeModel', () => {
  it('rewrites the tiny BERT with int8 weights and integer MatMuls that onnxruntime runs close to fp32', async () => {
    const tmp = tempDir('quantize');
    const out = join(tmp, 'bert_q.onnx');
    const r = await quantizeModel(join(tiny('tiny-bert'), 'onnx', 'model.onnx'), out);
    expect(r.quantized).toEqual({ MatMul: 12, Gather: 3 });
    expect(r.bytes).toBeLessThan(r.inputBytes / 3);
    const ops = opCounts(out);
    expect(ops.MatMulInteger).toBe(12);
    expect(ops.MatMul ?? 0).toBe(4); // the attention products of activations stay fp32
    const ids = BigInt64Array.from({ length: 2 * 9 }, (_, i) => BigInt(5 + ((i * 37) % 2000)));
    const feeds = {
      input_ids: new ort.Tensor('int64', ids, [2, 9]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(18).fill(1n), [2, 9]),
      token_type_ids: new ort.Tensor('int64', new BigInt64Array(18), [2, 9]),
    };
    const [ref, q] = [await run(join(tiny('tiny-bert'), 'onnx', 'model.onnx'), feeds), await run(out, feeds)];
    expect(q.length).toBe(ref.length);
    expect(cosine(q, ref)).toBeGreaterThan(MIN_COSINE.text);
  });

  it('turns the wide Conv1d layers of the tiny Wav2Vec2 into integer MatMuls and keeps the outputs close', async () => {
    const tmp = tempDir('quantize');
    const out = join(tmp, 'w2v_q.onnx');
    const r = await quantizeModel(join(tiny('tiny-wav2vec2'), 'onnx', 'model.onnx'), out);
    // Six 32-channel convs of the feature encoder; the first (1 channel × 10) and the grouped positional conv stay fp32.
    expect(r.quantized.Conv).toBe(6);
    expect(opCounts(out).Conv).toBe(2);
    const x = Float32Array.from({ length: 8000 }, (_, i) => Math.sin(i / 7) * Math.sin(i / 900));
    const feeds = { input_values: new ort.Tensor('float32', x, [1, x.length]) };
    const [ref, q] = [await run(join(tiny('tiny-wav2vec2'), 'onnx', 'model.onnx'), feeds), await run(out, feeds)];
    expect(q.length).toBe(ref.length);
    expect(cosine(q, ref)).toBeGreaterThan(0.98); // per frame, measured 0.989: six quantized convs compound
  });

  it('writes byte-identical files for the same input and options', async () => {
    const tmp = tempDir('quantize');
    const src = join(tiny('tiny-wav2vec2'), 'onnx', 'model.onnx');
    const a = await quantizeModel(src, join(tmp, 'a.onnx'));
    const b = await quantizeModel(src, join(tmp, 'b.onnx'));
    expect(a.sha256).toBe(b.sha256);
    expect(sha(join(tmp, 'a.onnx'))).toBe(a.sha256);
  });

  it('computes Conv1d as the fp32 Conv does for every input length, whatever the remainder of the stride', async () => {
    const tmp = tempDir('quantize');
    const g = new GraphBuilder('conv1d');
    g.input('x', DataType.FLOAT, [1, 32, 'T']);
    const w = g.param('w', [24, 32, 3], { kind: 'normal', std: 0.2 });
    const b = g.param('b', [24], { kind: 'normal', std: 0.1 });
    g.op1('Conv', ['x', w, b], { kernel_shape: ints([3]), strides: ints([2]) }, 'y');
    g.output('y', DataType.FLOAT, [1, 24, 'T2']);
    const src = join(tmp, 'conv.onnx');
    await g.write(src, { seed: 3 });
    const r = await quantizeModel(src, join(tmp, 'conv_q.onnx'), { reduceRange: false });
    expect(r.quantized).toEqual({ Conv: 1 });
    for (const T of [31, 32, 33, 34]) {
      const feeds = { x: new ort.Tensor('float32', Float32Array.from({ length: 32 * T }, (_, i) => Math.cos(i / 5)), [1, 32, T]) };
      const [ref, q] = [await run(src, feeds), await run(join(tmp, 'conv_q.onnx'), feeds)];
      expect(q.length, `T=${T}`).toBe(ref.length);
      expect(cosine(q, ref), `T=${T}`).toBeGreaterThan(0.999);
    }
  });

  it('folds Gemm transB, alpha and beta into the quantized weight and bias, in both op forms', async () => {
    const tmp = tempDir('quantize');
    const g = new GraphBuilder('gemm');
    g.input('x', DataType.FLOAT, ['N', 32]);
    const w = g.param('w', [20, 32], { kind: 'normal', std: 0.3 });
    const c = g.param('c', [20], { kind: 'normal', std: 0.5 });
    g.op1('Gemm', ['x', w, c], { transB: int(1), alpha: float(0.5), beta: float(2) }, 'y');
    g.output('y', DataType.FLOAT, ['N', 20]);
    const src = join(tmp, 'gemm.onnx');
    await g.write(src, { seed: 5 });
    const feeds = { x: new ort.Tensor('float32', Float32Array.from({ length: 4 * 32 }, (_, i) => Math.sin(i * 0.7)), [4, 32]) };
    const ref = await run(src, feeds);
    for (const form of ['onnx', 'contrib'] as const) {
      const out = join(tmp, `gemm_${form}.onnx`);
      expect((await quantizeModel(src, out, { form })).quantized).toEqual({ Gemm: 1 });
      const q = await run(out, feeds);
      const maxErr = Math.max(...Array.from(q, (v, i) => Math.abs(v - ref[i])));
      expect(maxErr, form).toBeLessThan(0.05);
      expect(cosine(q, ref), form).toBeGreaterThan(0.999);
    }
    expect(opCounts(join(tmp, 'gemm_contrib.onnx')).DynamicQuantizeMatMul).toBe(1);
  });

  it('drops a replaced weight from the graph inputs when the export also listed it as an overridable input', async () => {
    const tmp = tempDir('quantize');
    const g = new GraphBuilder('weight_as_input');
    g.input('x', DataType.FLOAT, ['N', 32]);
    g.input('w', DataType.FLOAT, [32, 16]);
    g.param('w', [32, 16], { kind: 'normal', std: 0.3 });
    g.op1('MatMul', ['x', 'w'], {}, 'y');
    g.output('y', DataType.FLOAT, ['N', 16]);
    const src = join(tmp, 'mm.onnx');
    await g.write(src, { seed: 2 });
    await quantizeModel(src, join(tmp, 'mm_q.onnx'));
    const s = await ort.InferenceSession.create(join(tmp, 'mm_q.onnx'));
    expect(s.inputNames).toEqual(['x']);
    const feeds = { x: new ort.Tensor('float32', Float32Array.from({ length: 64 }, (_, i) => Math.sin(i)), [2, 32]) };
    expect(cosine((await s.run(feeds)).y.data as Float32Array, await run(src, feeds))).toBeGreaterThan(0.999);
    await s.release();
  });

  it('refuses a file that is not ONNX, naming it, and writes nothing', async () => {
    const tmp = tempDir('quantize');
    const bad = join(tmp, 'model.onnx');
    writeFileSync(bad, '<html>404 Not Found</html>\n');
    const err = await quantizeModel(bad, join(tmp, 'out.onnx')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputFileError);
    expect((err as InputFileError).file).toBe(bad);
    expect((err as Error).message).toMatch(/not an ONNX model|truncated/);
    expect(readdirSync(tmp)).toEqual(['model.onnx']);
  });

  it('refuses a truncated model and a missing one with the file named', async () => {
    const tmp = tempDir('quantize');
    const cut = join(tmp, 'cut.onnx');
    const full = readFileSync(join(tiny('tiny-bert'), 'onnx', 'model.onnx'));
    writeFileSync(cut, full.subarray(0, full.length >> 1));
    await expect(quantizeModel(cut, join(tmp, 'o.onnx'))).rejects.toThrow(/cut\.onnx: truncated/);
    await expect(quantizeModel(join(tmp, 'nope.onnx'), join(tmp, 'o.onnx'))).rejects.toThrow(InputFileError);
    expect(existsSync(join(tmp, 'o.onnx'))).toBe(false);
  });

  it('refuses to quantize twice, and a model with nothing to quantize', async () => {
    const tmp = tempDir('quantize');
    const once = join(tmp, 'once.onnx');
    await quantizeModel(join(tiny('tiny-bert'), 'onnx', 'model.onnx'), once);
    await expect(quantizeModel(once, join(tmp, 'twice.onnx'))).rejects.toThrow(/already quantized/);
    // ResNet: 2-D convolutions only, which stay fp32.
    await expect(quantizeModel(join(tiny('tiny-resnet'), 'onnx', 'model.onnx'), join(tmp, 'r.onnx'))).rejects.toThrow(/nothing to quantize/);
  });

  it('leaves no file, and no temp file, when writing fails halfway', async () => {
    const tmp = tempDir('quantize');
    const out = join(tmp, 'half.onnx');
    let calls = 0;
    const err = await quantizeModel(join(tiny('tiny-bert'), 'onnx', 'model.onnx'), out, {
      onProgress: () => {
        if (++calls === 5) throw new Error('disk full (simulated)');
      },
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('disk full (simulated)');
    expect(readdirSync(tmp)).toEqual([]);
  });
});

describe('dtype q8', () => {
  it('loads onnx/model_quantized.onnx of the embedded models, with native vectors close to fp32', async () => {
    const texts = ['a dog runs on the beach', 'hello', 'the subtitles follow the speech of a long sentence with many words'];
    const audio = [1, 2].map((k) => ({ samples: Float32Array.from({ length: 16000 * k }, (_, i) => 0.4 * Math.sin(i * 0.02 * k) * Math.sin(i / 3000)), sampleRate: 16000 }));
    const pairs = [
      [await createEncoder('text', { dtype: 'fp32', logger: quiet }), await createEncoder('text', { dtype: 'q8', logger: quiet }), texts, MIN_COSINE.text],
      [await createEncoder('audio', { dtype: 'fp32', logger: quiet }), await createEncoder('audio', { dtype: 'q8', logger: quiet }), audio, MIN_COSINE.audio],
    ] as const;
    for (const [fp32, q8, items, bound] of pairs) {
      const [a, b] = [await fp32.embedNative(items as never), await q8.embedNative(items as never)];
      for (let i = 0; i < a.length; i++) expect(cosine(a[i], b[i])).toBeGreaterThan(bound);
      await fp32.dispose();
      await q8.dispose();
    }
  });

  it('says how to make the q8 file when a model folder has none', async () => {
    const tmp = tempDir('quantize');
    const dir = join(tmp, 'bert');
    cpSync(tiny('tiny-bert'), dir, { recursive: true });
    rmSync(join(dir, 'onnx', QUANTIZED_ONNX_FILE));
    const err = await createEncoder('text', { model: dir, dtype: 'q8', logger: quiet }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as Error).message).toContain(join(dir, 'onnx', QUANTIZED_ONNX_FILE));
    expect((err as Error).message).toContain(`mmalign models quantize ${dir}`);
    expect((err as Error).message).toMatch(/dtypes present in .*: fp32/);
    await quantizeModelDir(dir);
    const enc = await createEncoder('text', { model: dir, dtype: 'q8', logger: quiet });
    expect((await enc.embed(['works now']))[0].length).toBeGreaterThan(0);
    await enc.dispose();
  });
});
