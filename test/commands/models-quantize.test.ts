import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EMBEDDED_MODELS_DIR } from '../../encoders/registry.js';
import { runCaptured } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const tiny = (name: string) => join(EMBEDDED_MODELS_DIR, 'mmalign', name);
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');


describe('mmalign models quantize', () => {
  it('writes DIR/onnx/model_quantized.onnx for a model folder and reports it as JSON', async () => {
    const tmp = tempDir('models-quantize');
    const dir = join(tmp, 'bert');
    cpSync(tiny('tiny-bert'), dir, { recursive: true });
    rmSync(join(dir, 'onnx', 'model_quantized.onnx'));
    const { code, stdout } = await runCaptured(['models', 'quantize', dir, '--json']);
    expect(code).toBe(0);
    const r = JSON.parse(stdout) as { output: string; sha256: string; quantized: Record<string, number> };
    expect(r.output).toBe(join(dir, 'onnx', 'model_quantized.onnx'));
    expect(r.quantized.MatMul).toBe(12);
    // The same bytes models build ships in the embedded folder: one quantizer, one set of defaults.
    expect(sha(r.output)).toBe(sha(join(tiny('tiny-bert'), 'onnx', 'model_quantized.onnx')));
  });

  it('takes an .onnx file and options, writing next to it', async () => {
    const tmp = tempDir('models-quantize');
    const f = join(tmp, 'encoder.onnx');
    cpSync(join(tiny('tiny-wav2vec2'), 'onnx', 'model.onnx'), f);
    const { code, stdout } = await runCaptured(['models', 'quantize', f, '--per-tensor', '--no-reduce-range', '--form', 'contrib', '--ops', 'MatMul']);
    expect(code).toBe(0);
    expect(stdout).toContain(join(tmp, 'encoder_quantized.onnx'));
    expect(stdout).toMatch(/int8: \d+ MatMul\)\n/); // --ops MatMul: the convs stay fp32
  });

  it('exits 1 naming the file when the input is not an ONNX model, and writes nothing', async () => {
    const tmp = tempDir('models-quantize');
    const dir = join(tmp, 'broken');
    cpSync(tiny('tiny-bert'), dir, { recursive: true });
    rmSync(join(dir, 'onnx', 'model_quantized.onnx'));
    writeFileSync(join(dir, 'onnx', 'model.onnx'), 'version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 438000000\n');
    const { code, stderr } = await runCaptured(['models', 'quantize', dir]);
    expect(code).toBe(1);
    expect(stderr).toContain(join(dir, 'onnx', 'model.onnx'));
    expect(existsSync(join(dir, 'onnx', 'model_quantized.onnx'))).toBe(false);
  });

  it('rejects an unknown op as a usage error listing the valid ones', async () => {
    const tmp = tempDir('models-quantize');
    const { code, stderr } = await runCaptured(['models', 'quantize', tmp, '--ops', 'LSTM']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/MatMul, Gemm, Gather, Conv/);
  });
});

describe('mmalign models build and q8', () => {
  it('writes the q8 variant for BERT and Wav2Vec2 but not for ResNet, identical to the committed ones', async () => {
    const tmp = tempDir('models-quantize');
    const { code, stdout } = await runCaptured(['models', 'build', '--preset', 'tiny', '--out', tmp, '--json']);
    expect(code).toBe(0);
    const rows = JSON.parse(stdout) as { id: string; dir: string; files: string[]; quantized: { sha256: string } | null }[];
    for (const r of rows) {
      const hasQ8 = r.id !== 'mmalign/tiny-resnet';
      expect(r.files.includes('onnx/model_quantized.onnx'), r.id).toBe(hasQ8);
      expect(r.quantized !== null, r.id).toBe(hasQ8);
      if (r.quantized) expect(r.quantized.sha256).toBe(sha(join(tiny(r.id.split('/')[1]), 'onnx', 'model_quantized.onnx')));
    }
  });

  it('--no-quantize writes no q8 file and removes a stale one', async () => {
    const tmp = tempDir('models-quantize');
    const stale = join(tmp, 'mmalign', 'tiny-bert', 'onnx', 'model_quantized.onnx');
    expect((await runCaptured(['models', 'build', '--only', 'bert', '--out', tmp])).code).toBe(0);
    expect(existsSync(stale)).toBe(true);
    expect((await runCaptured(['models', 'build', '--only', 'bert', '--seed', '7', '--no-quantize', '--out', tmp])).code).toBe(0);
    expect(existsSync(stale)).toBe(false);
  });
});
