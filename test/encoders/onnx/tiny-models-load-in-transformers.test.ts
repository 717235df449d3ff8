import { AutoModel, AutoProcessor, AutoTokenizer, RawImage, env } from '@huggingface/transformers';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveModel } from '../../../encoders/models.js';
import { EMBEDDED_MODELS_DIR } from '../../../encoders/registry.js';

// transformers.js reads only local folders here: nothing may reach the network.
beforeAll(() => {
  env.localModelPath = EMBEDDED_MODELS_DIR + '/';
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
});

describe('the embedded tiny models load through transformers.js', () => {
  it('tokenizes English into WordPiece pieces with [CLS]/[SEP] and lower-casing', async () => {
    const tok = await AutoTokenizer.from_pretrained('mmalign/tiny-bert', { local_files_only: true });
    expect(tok.tokenize('Hello, world! Unbelievably')).toEqual(['hello', ',', 'world', '!', 'un', '##believ', '##ably']);
    const { input_ids } = tok('The cat sat.');
    const ids = Array.from(input_ids.data as BigInt64Array, Number);
    expect(tok.decode(ids, { skip_special_tokens: false })).toBe('[CLS] the cat sat. [SEP]');
    expect(tok.tokenize('zyxq')).not.toContain('[UNK]'); // every letter has a piece
  });

  it('runs BERT on a padded batch with the expected shape, and truncates to 512 tokens', async () => {
    const tok = await AutoTokenizer.from_pretrained('mmalign/tiny-bert', { local_files_only: true });
    const model = await AutoModel.from_pretrained('mmalign/tiny-bert', { local_files_only: true, dtype: 'fp32' });
    const batch = tok(['a dog runs on the beach', 'hi'], { padding: true, truncation: true });
    const out = await model(batch);
    expect(out.last_hidden_state.dims).toEqual([2, batch.input_ids.dims[1], 32]);
    const long = tok('word '.repeat(800), { truncation: true });
    expect(long.input_ids.dims).toEqual([1, 512]);
    expect((await model(long)).last_hidden_state.dims).toEqual([1, 512, 32]);
    await model.dispose();
  });

  it('preprocesses an image to 224×224 and runs ResNet to last_hidden_state and pooler_output', async () => {
    const processor = await AutoProcessor.from_pretrained('mmalign/tiny-resnet', { local_files_only: true });
    const model = await AutoModel.from_pretrained('mmalign/tiny-resnet', { local_files_only: true, dtype: 'fp32' });
    const image = new RawImage(new Uint8ClampedArray(320 * 240 * 3).map((_, i) => (i * 7) % 256), 320, 240, 3);
    const inputs = await processor(image);
    expect(inputs.pixel_values.dims).toEqual([1, 3, 224, 224]);
    const out = await model(inputs);
    expect(out.last_hidden_state.dims).toEqual([1, 256, 7, 7]);
    expect(out.pooler_output.dims).toEqual([1, 256, 1, 1]);
    await model.dispose();
  });

  it('normalises 16 kHz audio and runs Wav2Vec2 at one frame per 20 ms', async () => {
    const processor = await AutoProcessor.from_pretrained('mmalign/tiny-wav2vec2', { local_files_only: true });
    const model = await AutoModel.from_pretrained('mmalign/tiny-wav2vec2', { local_files_only: true, dtype: 'fp32' });
    const audio = new Float32Array(32000).map((_, i) => 0.3 * Math.sin(i / 5));
    const inputs = await processor(audio);
    const values = inputs.input_values.data as Float32Array;
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(Math.abs(mean)).toBeLessThan(1e-3); // do_normalize
    const out = await model({ input_values: inputs.input_values });
    expect(out.last_hidden_state.dims).toEqual([1, 99, 64]); // HF: 2 s -> 99 frames
    await model.dispose();
  });

  it('loads a resolved model through its transformers.js location', async () => {
    const resolved = await resolveModel('text');
    env.localModelPath = resolved.transformers.localModelPath;
    try {
      const model = await AutoModel.from_pretrained(resolved.transformers.modelId, { local_files_only: true, dtype: 'fp32' });
      const tok = await AutoTokenizer.from_pretrained(resolved.transformers.modelId, { local_files_only: true });
      const out = await model(tok('hello'));
      expect(out.last_hidden_state.dims[2]).toBe(resolved.nativeDims);
      await model.dispose();
    } finally {
      env.localModelPath = EMBEDDED_MODELS_DIR + '/';
    }
  });
});
