/** The encoders behind a knowledge base: the default ONNX-backed embedders, and batch embedding with per-item fallback. */
import type { Warning } from '../../src/core/types.js';
import type { EncoderOptions } from '../../encoders/encoder.js';
import { encoderRecord } from '../../encoders/record.js';
import { checkVector } from '../vector/check.js';
import type { SourceItem } from './sources.js';
import type { Embedder, EmbedderProvider } from './types.js';
import { appendAll } from '../../src/core/arrays.js';

/**
 * Embedders backed by the ONNX encoders (`createEncoder`), loaded on first use so opening a knowledge
 * base for listing never loads a model. `options.model` and `options.dtype` may name one per modality.
 * The recorded version is `<modelId>@<heads version>`, keyed with the model file's fingerprint.
 *
 * @example
 * const kb = await KnowledgeBase.open('./kb', { encoders: defaultEmbedders({ device: 'cpu', model: { text: 'Xenova/all-MiniLM-L6-v2' } }) });
 */
export function defaultEmbedders(options: EncoderOptions = {}): EmbedderProvider {
  return async (modality) => {
    const { createEncoder } = await import('../../encoders/encoder.js');
    const enc = await createEncoder(modality, options);
    const model = encoderRecord(enc);
    return {
      version: `${model.model}@${model.heads ?? 'default'}`,
      ...(model.fingerprint ? { fingerprint: model.fingerprint } : {}),
      model,
      embed: (batch) => enc.embed(batch),
      dispose: () => enc.dispose(),
    };
  };
}

/**
 * The model version an embedder's vectors are recorded and cached under: its version, plus its model
 * file's fingerprint when it gives one (`bert@h1#3f2a…`).
 *
 * @example
 * vectorKey({ version: 'bert@h1', fingerprint: '3f2a', embed }); // 'bert@h1#3f2a'
 */
export function vectorKey(embedder: Pick<Embedder, 'version' | 'fingerprint'>): string {
  return embedder.fingerprint ? `${embedder.version}#${embedder.fingerprint}` : embedder.version;
}

/**
 * Embeds a batch of items (text items as their text, others as their file); when the batch fails,
 * retries one by one so one bad file costs only itself (a warning and a null in its place).
 *
 * @example
 * const vectors = await embedItems(embedder, items, 256, warnings);
 */
export async function embedItems(embedder: Embedder, items: readonly SourceItem[], dims: number, warnings: Warning[]): Promise<(Float32Array | null)[]> {
  const input = (it: SourceItem): string => (it.modality === 'text' ? (it.text as string) : (it.path as string));
  const check = (v: Float32Array, it: SourceItem): Float32Array => {
    checkVector(v, dims, it.id);
    return v;
  };
  try {
    const out = await embedder.embed(items.map(input));
    if (out.length !== items.length) throw new Error(`encoder returned ${out.length} vectors for ${items.length} inputs`);
    return out.map((v, i) => check(v, items[i]));
  } catch (err) {
    if (items.length === 1) {
      warnings.push({ file: items[0].path ?? undefined, message: `${items[0].id}: not embedded (${(err as Error).message}); skipped` });
      return [null];
    }
    const out: (Float32Array | null)[] = [];
    for (const it of items) appendAll(out, await embedItems(embedder, [it], dims, warnings));
    return out;
  }
}
