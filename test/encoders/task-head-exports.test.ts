import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { createEncoder, HeadsMismatchError, ProjectionHeads } from 'mmalign';
import { GraphBuilder, int } from '../../encoders/onnx/graph.js';
import { DataType } from '../../encoders/onnx/proto.js';
import { sharedTempDir } from '../helpers/tmp.js';

const TINY_RESNET = new URL('../../fixtures/models/mmalign/tiny-resnet', import.meta.url).pathname;
const LABELS = 5;

/**
 * A model folder shaped like Xenova/resnet-50: a ResNetForImageClassification export whose only
 * output is `logits` [B, labels] (here a per-channel mean fed to a 3→5 Gemm, enough to stand in).
 */
async function classifierFolder(dir: string): Promise<void> {
  cpSync(TINY_RESNET, dir, { recursive: true });
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  config.architectures = ['ResNetForImageClassification'];
  config.id2label = Object.fromEntries(Array.from({ length: LABELS }, (_, i) => [String(i), `label_${i}`]));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  const g = new GraphBuilder('resnet-classifier');
  const x = g.input('pixel_values', DataType.FLOAT, ['batch_size', 3, 'height', 'width']);
  const pooled = g.op1('Flatten', [g.op1('GlobalAveragePool', [x])], { axis: int(1) });
  const w = g.param('classifier.weight', [LABELS, 3], { kind: 'normal', std: 0.5 });
  g.op1('Gemm', [pooled, w], { transB: int(1) }, 'logits');
  g.output('logits', DataType.FLOAT, ['batch_size', LABELS]);
  await g.write(join(dir, 'onnx', 'model.onnx'), { seed: 1 });
}

describe('encoders on task-head exports', () => {
  const root = sharedTempDir('taskhead');
  let model: string;
  let image: Buffer;
  beforeAll(async () => {
    model = join(root, 'resnet-classifier');
    await classifierFolder(model);
    image = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 10, g: 200, b: 90 } } }).png().toBuffer();
  });

  it('pools the logits of a classification export into the shared space and says why once', async () => {
    const messages: string[] = [];
    const enc = await createEncoder('image', { model, device: 'cpu', logger: { warn: (m) => messages.push(m) } });
    try {
      expect(enc.nativeDims()).toBe(LABELS);
      const [v] = await enc.embed([image]);
      expect(v.length).toBe(256);
      expect(Math.hypot(...v)).toBeCloseTo(1, 5);
      expect(messages.filter((m) => m.includes("no 'pooler_output' output"))).toHaveLength(1);
      expect(messages.join('\n')).toMatch(/ResNetForImageClassification.*'logits' output \(5-d\)/);
    } finally {
      await enc.dispose();
    }
  });

  it('rejects heads made for the backbone width when the export only has logits', async () => {
    const heads = ProjectionHeads.seeded([{ modality: 'image', modelId: model, inputDim: 256 }]);
    await expect(createEncoder('image', { model, device: 'cpu', heads, logger: { warn() {} } })).rejects.toThrow(HeadsMismatchError);
  });
});
