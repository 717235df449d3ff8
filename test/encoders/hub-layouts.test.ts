import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AutoProcessor, env as hfEnv, pipeline, RawImage } from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEncoder } from '../../encoders/encoder.js';
import { decodeImage, normalizeInto, parseImagePreprocessing } from '../../encoders/image.js';
import { resolveModel } from '../../encoders/models.js';
import { pullModel } from '../../encoders/pull.js';
import { ModelNotFoundError } from '../../src/core/errors/index.js';
import type { Modality } from '../../src/core/types.js';
import { sharedTempDir } from '../helpers/tmp.js';
import { HUB_MIMIC_IDS, MIMIC_RESNET_LABELS, startHubMimic, writeHubMimic, type HubMimic, type HubMimicModel } from '../helpers/hub-mimic.js';
import { similarity as cosine } from '../../encoders/similarity.js';

const noNetwork: typeof fetch = async () => {
  throw new Error('the network must not be used here');
};

const tmp = sharedTempDir('hub-layouts');
let hubRoot: string;
let cache: string;
let mimic: Record<Modality, HubMimicModel>;
let hub: HubMimic;
const warnings: string[] = [];
const logger = { warn: (m: string) => void warnings.push(m) };

beforeAll(async () => {
  hubRoot = join(tmp, 'hub');
  cache = join(tmp, 'cache');
  mimic = await writeHubMimic(hubRoot);
  hub = await startHubMimic(hubRoot);
  // Every model comes down once, with its q8 variant, and the tests below use the cache.
  for (const m of Object.values(mimic)) await pullModel(m.id, { modelsDir: cache, remoteHost: hub.url, dtypes: ['q8'] });
});
afterAll(async () => {
  await hub?.stop();
});

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}


describe('the loopback hub mimic', () => {
  it('serves each repo at /<id>/resolve/main/<file>, ONNX files through an LFS redirect, byte for byte', async () => {
    for (const m of Object.values(mimic)) {
      const dir = join(cache, ...m.id.split('/'));
      for (const f of m.files) expect(readFileSync(join(dir, f)).equals(readFileSync(join(m.dir, f))), `${m.id}/${f}`).toBe(true);
      expect(hub.requests).toContain(`/${m.id}/resolve/main/onnx/model_quantized.onnx`);
      expect(hub.requests).toContain(`/cdn-lfs/${m.id}/onnx/model_quantized.onnx`);
    }
  });

  it('answers an unknown repo as huggingface.co does (401 RepoNotFound), which pull reports as not found', async () => {
    const err = await pullModel('Xenova/no-such-model', { modelsDir: join(tmp, 'elsewhere'), remoteHost: hub.url }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelNotFoundError);
  });

  it('ships folders that transformers.js itself loads as the tasks the real repos are tagged with', async () => {
    hfEnv.localModelPath = cache + '/';
    hfEnv.allowRemoteModels = false;
    const unmask = await pipeline('fill-mask', HUB_MIMIC_IDS.text, { dtype: 'q8' });
    const filled = (await unmask('the cat sat on the [MASK] .')) as { token_str: string }[];
    expect(filled.length).toBeGreaterThan(0);
    await unmask.dispose();
    const classify = await pipeline('image-classification', HUB_MIMIC_IDS.image, { dtype: 'fp32' });
    const img = await sharp({ create: { width: 300, height: 200, channels: 3, background: { r: 200, g: 40, b: 90 } } }).png().toBuffer();
    const labels = (await classify(new RawImage(new Uint8ClampedArray(await sharp(img).raw().toBuffer()), 300, 200, 3))) as { label: string }[];
    expect(labels[0].label).toMatch(/^class \d$/);
    await classify.dispose();
  });
});

describe('real hub layouts through pullModel, resolveModel and createEncoder', () => {
  it('resolves each pulled model from the cache without the network, as a real (not generated) task export', async () => {
    const architectures = { text: 'BertForMaskedLM', image: 'ResNetForImageClassification', audio: 'Wav2Vec2ForCTC' } as const;
    for (const modality of ['text', 'image', 'audio'] as const) {
      const m = await resolveModel(modality, { model: HUB_MIMIC_IDS[modality], modelsDir: undefined, cacheDir: cache, fetch: noNetwork });
      expect(m.source).toBe('cache');
      expect(m.generated).toBe(false);
      expect(m.config.architectures).toEqual([architectures[modality]]);
    }
  });

  it('embeds text with the fill-mask BERT in fp32 and q8, pooling its logits and saying so', async () => {
    const dir = join(cache, ...HUB_MIMIC_IDS.text.split('/'));
    warnings.length = 0;
    const fp32 = await createEncoder('text', { model: dir, dtype: 'fp32', logger });
    const q8 = await createEncoder('text', { model: dir, dtype: 'q8', logger });
    const vocab = (JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { vocab_size: number }).vocab_size;
    expect(fp32.nativeDims()).toBe(vocab);
    expect(warnings.join('\n')).toMatch(/no 'last_hidden_state' output \(it is exported as BertForMaskedLM\); pooling its 'logits' output/);
    const texts = ['a dog runs on the beach', 'subtitles follow the speech'];
    const [a, b] = [await fp32.embedNative(texts), await q8.embedNative(texts)];
    for (let i = 0; i < a.length; i++) expect(cosine(a[i], b[i])).toBeGreaterThan(0.99);
    expect((await q8.embed(texts))[0].length).toBe(256);
    await fp32.dispose();
    await q8.dispose();
  });

  it('preprocesses images for the ResNet classifier as transformers.js does (shortest edge 224 / crop_pct 0.875, centre crop)', async () => {
    const dir = join(cache, ...HUB_MIMIC_IDS.image.split('/'));
    const pre = parseImagePreprocessing(JSON.parse(readFileSync(join(dir, 'preprocessor_config.json'), 'utf8')) as Record<string, unknown>);
    expect(pre.resize).toEqual({ shortestEdge: 256 });
    expect(pre.crop).toEqual({ width: 224, height: 224 });
    // An image already at the resize target, so neither side resamples: crop and normalisation must agree exactly.
    const file = join(tmp, 'at-size.png');
    const px = Buffer.alloc(341 * 256 * 3);
    for (let i = 0; i < px.length; i++) px[i] = (i * 7 + (i % 341) * 3) & 255;
    await sharp(px, { raw: { width: 341, height: 256, channels: 3 } }).png().toFile(file);
    hfEnv.localModelPath = cache + '/';
    hfEnv.allowRemoteModels = false;
    const processor = await AutoProcessor.from_pretrained(HUB_MIMIC_IDS.image);
    const theirs = (await processor(await RawImage.read(file))).pixel_values;
    expect(theirs.dims).toEqual([1, 3, 224, 224]);
    const ours = new Float32Array(3 * 224 * 224);
    normalizeInto(await decodeImage(file, pre), pre, ours, 0);
    expect(maxDiff(ours, theirs.data as Float32Array)).toBeLessThan(1e-5);
    // And the encoder's native vector is the model's logits for those pixels.
    const enc = await createEncoder('image', { model: dir, logger });
    expect(enc.nativeDims()).toBe(MIMIC_RESNET_LABELS);
    const session = await ort.InferenceSession.create(join(dir, 'onnx', 'model.onnx'));
    const logits = (await session.run({ pixel_values: new ort.Tensor('float32', theirs.data as Float32Array, [1, 3, 224, 224]) })).logits.data as Float32Array;
    const [native] = await enc.embedNative([file]);
    expect(maxDiff(native, logits)).toBeLessThan(1e-4);
    await session.release();
    await enc.dispose();
  });

  it('embeds audio with the CTC Wav2Vec2 in fp32 and q8, pooling its 32 character logits', async () => {
    const dir = join(cache, ...HUB_MIMIC_IDS.audio.split('/'));
    const fp32 = await createEncoder('audio', { model: dir, dtype: 'fp32', logger });
    const q8 = await createEncoder('audio', { model: dir, dtype: 'q8', logger });
    expect(fp32.nativeDims()).toBe(32);
    const clip = [{ samples: Float32Array.from({ length: 24_000 }, (_, i) => 0.4 * Math.sin(i / 11) * Math.sin(i / 2000)), sampleRate: 16_000 }];
    const [a, b] = [await fp32.embedNative(clip), await q8.embedNative(clip)];
    expect(cosine(a[0], b[0])).toBeGreaterThan(0.98);
    await fp32.dispose();
    await q8.dispose();
  });

  it('downloads the q8 file a createEncoder call asks for when remote access is on, then works from the cache alone', async () => {
    const saved = { HF_ENDPOINT: process.env.HF_ENDPOINT, XDG_CACHE_HOME: process.env.XDG_CACHE_HOME };
    process.env.HF_ENDPOINT = hub.url;
    process.env.XDG_CACHE_HOME = join(tmp, 'xdg');
    try {
      const enc = await createEncoder('text', { model: HUB_MIMIC_IDS.text, dtype: 'q8', allowRemote: true, logger });
      await enc.dispose();
      expect(hub.requests).toContain(`/${HUB_MIMIC_IDS.text}/resolve/main/onnx/model_quantized.onnx`);
      process.env.HF_ENDPOINT = 'http://127.0.0.1:9';
      const again = await createEncoder('text', { model: HUB_MIMIC_IDS.text, dtype: 'q8', allowRemote: true, logger });
      expect((await again.embed(['from the cache']))[0].length).toBe(256);
      await again.dispose();
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});
