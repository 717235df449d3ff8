/**
 * Stand-in encoders for pipeline tests: they test the pipeline's wiring, not any model, and need no ONNX.
 */
import type { Encoder } from '../../encoders/types.js';
import { EMBED_DIM, type Modality } from '../../src/core/types.js';
import type { EncoderFactory } from '../../src/pipeline/index.js';

/** An encoder of `modality` whose vector for each item is `vectorOf(item)`. */
export function fakeEncoder(modality: Modality, vectorOf: (item: unknown) => Float32Array): Encoder {
  const enc: Encoder = {
    modality,
    modelId: `fake-${modality}`,
    device: 'cpu',
    ndims: () => EMBED_DIM,
    nativeDims: () => EMBED_DIM,
    embed: async (batch) => batch.map((item: unknown) => vectorOf(item)),
    embedSettled: async (batch) => batch.map((item: unknown) => ({ ok: true as const, vector: vectorOf(item) })),
    embedNative: async (batch) => batch.map(() => new Float32Array(EMBED_DIM)),
    dispose: async () => {},
  };
  return enc;
}

/** The length of what an encoder was given: characters of a text, bytes of a JPEG, samples of a clip. */
export const inputSize = (item: unknown): number =>
  typeof item === 'string' ? item.length : item instanceof Uint8Array ? item.length : (item as { samples: Float32Array }).samples.length;

/** A one-hot vector at the input's size: a different text or a moved audio clip gives a different vector. */
export const sizeKeyedEncoders: EncoderFactory = async (modality) =>
  fakeEncoder(modality, (item) => {
    const v = new Float32Array(EMBED_DIM);
    v[inputSize(item) % EMBED_DIM] = 1;
    return v;
  });

/** The same vector for every input. */
export const constantEncoders: EncoderFactory = async (modality) => fakeEncoder(modality, () => new Float32Array(EMBED_DIM).fill(0.0625));
