/**
 * Smoke-runs the three models of a models folder through transformers.js (the same loading path
 * as real hub models): `tsx scripts/run-models.ts DIR [preset]`, e.g. after
 * `mmalign models build --preset base --out DIR`. Prints output shapes and one forward's time.
 */
import { AutoModel, AutoProcessor, AutoTokenizer, RawImage, env } from '@huggingface/transformers';
import { performance } from 'node:perf_hooks';
import { resolveModel } from '../encoders/models.js';
import type { Modality } from '../src/core/types.js';

const [dir, preset = 'base'] = process.argv.slice(2);
if (!dir) throw new Error('usage: tsx scripts/run-models.ts MODELS_DIR [tiny|base]');
env.allowRemoteModels = false;
const ids: Record<Modality, string> = { text: `mmalign/${preset}-bert`, image: `mmalign/${preset}-resnet`, audio: `mmalign/${preset}-wav2vec2` };
for (const modality of ['text', 'image', 'audio'] as const) {
  const m = await resolveModel(modality, { model: ids[modality], modelsDir: dir });
  env.localModelPath = m.transformers.localModelPath;
  const t0 = performance.now();
  const model = await AutoModel.from_pretrained(m.transformers.modelId, { local_files_only: true, dtype: 'fp32' });
  const loadMs = performance.now() - t0;
  let inputs: Record<string, unknown>;
  if (modality === 'text') {
    const tok = await AutoTokenizer.from_pretrained(m.transformers.modelId, { local_files_only: true });
    inputs = tok('A dog runs along the beach while the sun sets over the sea.');
  } else if (modality === 'image') {
    const proc = await AutoProcessor.from_pretrained(m.transformers.modelId, { local_files_only: true });
    inputs = await proc(new RawImage(new Uint8ClampedArray(640 * 480 * 3).map((_, i) => (i * 31) % 256), 640, 480, 3));
  } else {
    const proc = await AutoProcessor.from_pretrained(m.transformers.modelId, { local_files_only: true });
    inputs = await proc(new Float32Array(16000 * 5).map((_, i) => Math.sin(i / 9) * 0.3));
  }
  const t1 = performance.now();
  const out = (await model(inputs)) as Record<string, { dims: number[]; data: Float32Array }>;
  const runMs = performance.now() - t1;
  const shapes = Object.entries(out).map(([k, v]) => `${k} [${v.dims.join(', ')}]`).join(', ');
  const finite = Object.values(out).every((v) => v.data.every(Number.isFinite));
  console.log(`${m.id}: load ${loadMs.toFixed(0)} ms, forward ${runMs.toFixed(0)} ms, ${shapes}, all finite: ${finite}`);
  await model.dispose();
}
