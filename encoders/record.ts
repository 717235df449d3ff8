/** What an encoder says about the model behind its vectors, in the one shape every record uses. */
import type { ModelRecord } from '../src/core/types.js';
import type { Encoder } from './types.js';

/**
 * The projection-heads version an encoder carries, or null (mmalign's encoders carry their heads; a
 * custom encoder may not).
 *
 * @example
 * headsVersionOf(await createEncoder('text')); // 'seeded-…'
 */
export function headsVersionOf(enc: Encoder): string | null {
  const heads = (enc as { heads?: { metadata?: { version?: unknown } } }).heads;
  return typeof heads?.metadata?.version === 'string' ? heads.metadata.version : null;
}

/**
 * The record of an encoder's model: id, dtype, device, ONNX file fingerprint and heads version.
 *
 * @example
 * encoderRecord(await createEncoder('text', { dtype: 'q8' }));
 * // { model: 'mmalign/tiny-bert', dtype: 'q8', device: 'cpu', fingerprint: '9c1e…', heads: 'seeded-…' }
 */
export function encoderRecord(enc: Encoder): ModelRecord {
  return { model: enc.modelId, dtype: enc.dtype ?? null, device: enc.device, fingerprint: enc.fingerprint ?? null, heads: headsVersionOf(enc) };
}

/**
 * Whether vectors recorded under `stored` can stand for vectors `current` would make: same model id,
 * heads, dtype and file fingerprint (the device does not change the vectors). A record from before
 * fingerprints were kept matches nothing, so such vectors are computed once more.
 *
 * @example
 * sameModel(cache.models.text, encoderRecord(enc)); // false after the model file changed
 */
export function sameModel(stored: Partial<ModelRecord> | undefined, current: ModelRecord): boolean {
  return (
    stored !== undefined &&
    stored.model === current.model &&
    (stored.heads ?? null) === current.heads &&
    (stored.dtype ?? null) === current.dtype &&
    (stored.fingerprint ?? null) === current.fingerprint
  );
}
