import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as transformers from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';
import { EncodeInputError, ModelLoadError } from '../src/core/errors/index.js';
import { BaseEncoder, type BaseEncoderParams, type Unit } from './base.js';
import { maxOf } from '../src/core/arrays.js';

type Tokenizer = transformers.PreTrainedTokenizer;

/** A tokenised window: the token ids including the model's special tokens. */
type Window = number[];

/**
 * How a text longer than the model's window is embedded (documented in the README):
 *
 * - the window is `min(tokenizer model_max_length, config max_position_embeddings)` tokens, of which
 *   the special tokens ([CLS] … [SEP] for BERT) take their share, leaving `C` content tokens;
 * - a text of `n ≤ C` content tokens is one window;
 * - a longer text is cut into windows of exactly `C` tokens starting at 0, S, 2S, … with stride
 *   `S = floor(C / 2)` (half-overlapping), and a last window that ends exactly on the last token
 *   (it starts at `n − C`, so it may overlap its neighbour by more than half);
 * - each window is embedded on its own (mean-pooled under its mask), and the text's native
 *   embedding is the plain mean of the window embeddings (all windows hold C tokens, so this is also
 *   the token-weighted mean); the projection head is applied to that mean.
 */
export function windowStarts(n: number, capacity: number): number[] {
  if (n <= capacity) return [0];
  const stride = Math.max(1, Math.floor(capacity / 2));
  const starts: number[] = [];
  for (let s = 0; s + capacity < n; s += stride) starts.push(s);
  starts.push(n - capacity);
  return starts;
}

export interface TextModelFiles {
  /** Folder holding tokenizer.json, tokenizer_config.json and config.json. */
  dir: string;
  config: Record<string, unknown>;
}

export interface TextPreprocessor {
  tokenizer: Tokenizer;
  /** Tokens per window including special tokens. */
  window: number;
  prefix: number[];
  suffix: number[];
  padId: number;
}

/**
 * Loads the model's own tokenizer straight from its folder (no hub lookup, no global `env`
 * changes), the way `AutoTokenizer` picks the class from `tokenizer_config.json`.
 */
export async function loadTextPreprocessor({ dir, config }: TextModelFiles): Promise<TextPreprocessor> {
  let tokenizerJSON: unknown;
  let tokenizerConfig: Record<string, unknown>;
  try {
    tokenizerJSON = JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8'));
    tokenizerConfig = JSON.parse(await readFile(join(dir, 'tokenizer_config.json'), 'utf8'));
  } catch (err) {
    throw new ModelLoadError(dir, 'tokenizer.json / tokenizer_config.json', `cannot read them: ${(err as Error).message}`, err);
  }
  const name = String(tokenizerConfig.tokenizer_class ?? 'PreTrainedTokenizer').replace(/Fast$/, '');
  const candidate = (transformers as unknown as Record<string, unknown>)[name];
  const Cls =
    typeof candidate === 'function' && candidate.prototype instanceof transformers.PreTrainedTokenizer
      ? (candidate as typeof transformers.PreTrainedTokenizer)
      : transformers.PreTrainedTokenizer;
  const tokenizer = new Cls(tokenizerJSON, tokenizerConfig);

  const maxPos = Number(config.max_position_embeddings ?? Infinity);
  const window = Math.min(Number(tokenizer.model_max_length ?? Infinity), maxPos);
  if (!Number.isFinite(window) || window < 3) {
    throw new ModelLoadError(dir, 'tokenizer_config.json', `no usable token window (model_max_length / max_position_embeddings): ${window}`);
  }
  // Find where content sits between the special tokens by encoding a probe with and without them.
  const bare = tokenizer.encode('a', { add_special_tokens: false });
  const full = tokenizer.encode('a', { add_special_tokens: true });
  let at = -1;
  for (let i = 0; i + bare.length <= full.length && at < 0; i++) {
    if (bare.every((t, k) => full[i + k] === t)) at = i;
  }
  if (at < 0) throw new ModelLoadError(dir, 'tokenizer.json', 'cannot locate content tokens between the special tokens');
  const padId = tokenizer.pad_token_id ?? 0;
  return { tokenizer, window, prefix: full.slice(0, at), suffix: full.slice(at + bare.length), padId };
}

/** Splits one text into model-ready windows (see {@link windowStarts} for the rule). */
export function tokenizeWindows(pre: TextPreprocessor, text: string): Window[] {
  const ids = pre.tokenizer.encode(text, { add_special_tokens: false });
  const capacity = pre.window - pre.prefix.length - pre.suffix.length;
  if (ids.length === 0) return [];
  return windowStarts(ids.length, capacity).map((s) => [...pre.prefix, ...ids.slice(s, s + capacity), ...pre.suffix]);
}

export interface TextEncoderParams extends Omit<BaseEncoderParams<'text'>, 'modality' | 'prepareMode' | 'exactSizeBatches' | 'prepareConcurrency'> {
  preprocessor: TextPreprocessor;
}

/**
 * BERT-style text encoder: tokenise (long texts in overlapping windows), run, mean-pool the last
 * hidden state under the attention mask. Units are sorted by token count so a batch pads little.
 */
export class TextEncoder extends BaseEncoder<'text', Window> {
  readonly #pre: TextPreprocessor;
  readonly #needsTypeIds: boolean;
  readonly #output: string;

  constructor({ preprocessor, ...p }: TextEncoderParams) {
    super({ ...p, modality: 'text', prepareMode: 'all', exactSizeBatches: false, prepareConcurrency: 1 });
    this.#pre = preprocessor;
    this.#needsTypeIds = p.session.inputNames.includes('token_type_ids');
    this.#output = p.session.outputNames.includes('last_hidden_state') ? 'last_hidden_state' : p.session.outputNames[0];
    for (const name of ['input_ids', 'attention_mask']) {
      if (!p.session.inputNames.includes(name)) throw new ModelLoadError(p.modelId, 'onnx model', `text model has no "${name}" input (inputs: ${p.session.inputNames.join(', ')})`);
    }
  }

  protected describe(text: string): string {
    if (typeof text !== 'string') return `<${typeof text}>`;
    const t = text.replace(/\s+/g, ' ').trim();
    return JSON.stringify(t.length > 40 ? `${t.slice(0, 40)}…` : t);
  }

  protected async prepare(text: string): Promise<Unit<Window>[]> {
    if (typeof text !== 'string') throw new EncodeInputError(this.describe(text), 'text', `expected a string, got ${typeof text}`);
    if (text.trim() === '') throw new EncodeInputError(this.describe(text), 'text', 'is empty or only whitespace; give some words to embed');
    const windows = tokenizeWindows(this.#pre, text);
    if (windows.length === 0) throw new EncodeInputError(this.describe(text), 'text', 'produced no tokens for this model');
    return windows.map((w) => ({ payload: w, weight: w.length, size: w.length }));
  }

  protected async run(windows: readonly Window[]): Promise<Float32Array[]> {
    const b = windows.length;
    const len = maxOf(windows.map((w) => w.length));
    const ids = new BigInt64Array(b * len).fill(BigInt(this.#pre.padId));
    const mask = new BigInt64Array(b * len);
    windows.forEach((w, i) => {
      for (let t = 0; t < w.length; t++) {
        ids[i * len + t] = BigInt(w[t]);
        mask[i * len + t] = 1n;
      }
    });
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', ids, [b, len]),
      attention_mask: new ort.Tensor('int64', mask, [b, len]),
    };
    if (this.#needsTypeIds) feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(b * len), [b, len]);
    const out = await this.session.run(feeds, [this.#output]);
    const hidden = out[this.#output];
    try {
      const [, , h] = hidden.dims;
      const data = hidden.data as Float32Array;
      return windows.map((w, i) => {
        // Mean under the mask: padding positions are skipped, and every real token counts once.
        const v = new Float32Array(h);
        const base = i * len * h;
        for (let t = 0; t < w.length; t++) {
          const row = base + t * h;
          for (let k = 0; k < h; k++) v[k] += data[row + k];
        }
        for (let k = 0; k < h; k++) v[k] /= w.length;
        return v;
      });
    } finally {
      for (const t of Object.values(out)) t.dispose?.();
    }
  }
}
