/** Encoders, projection heads and head training. */
import { MmalignError } from './base.js';

/** Projection heads that were made for another model or width than the encoder they are asked to serve. */
export class HeadsMismatchError extends MmalignError {
  readonly modality: string;
  readonly expected: { modelId: string; inputDim: number };
  readonly found: { modelId: string; inputDim: number } | null;
  readonly file: string | null;
  constructor(
    modality: string,
    expected: { modelId: string; inputDim: number },
    found: { modelId: string; inputDim: number } | null,
    file: string | null = null,
  ) {
    const where = file ? ` in ${file}` : '';
    const what = found
      ? `were made for ${found.modelId} (${found.inputDim}-d)`
      : 'have no head for this modality';
    super(
      `Projection heads${where} ${what}, but the ${modality} encoder is ${expected.modelId} (${expected.inputDim}-d). ` +
        `Train heads for this model (mmalign heads train) or omit --heads to use the default seeded heads.`,
      { code: 'HEADS_MISMATCH' },
    );
    this.modality = modality;
    this.expected = expected;
    this.found = found;
    this.file = file;
  }
}

/**
 * One input to an encoder could not be embedded: an unreadable or non-media file, empty text.
 * `input` names it the way the caller gave it (a path, `<buffer 1234 bytes>`, `text #3 "..."`).
 */
export class EncodeInputError extends MmalignError {
  readonly input: string;
  readonly modality: string;
  readonly reason: string;
  /** Position of the item in the batch it came in, when it came in a batch. */
  readonly index: number | undefined;
  constructor(input: string, modality: string, reason: string, options: { index?: number; cause?: unknown } = {}) {
    super(`${modality} input ${input}${options.index === undefined ? '' : ` (item ${options.index})`}: ${reason}`, {
      code: 'ENCODE_INPUT',
      cause: options.cause,
    });
    this.input = input;
    this.modality = modality;
    this.reason = reason;
    this.index = options.index;
  }
}

/**
 * Some items of a batch failed. The others were embedded: `results[i]` is the vector of item `i`,
 * or `undefined` where it failed; `failures` lists the failed items with their errors.
 */
export class EmbedBatchError extends MmalignError {
  readonly failures: ReadonlyArray<{ index: number; error: Error }>;
  readonly results: ReadonlyArray<Float32Array | undefined>;
  constructor(failures: ReadonlyArray<{ index: number; error: Error }>, results: ReadonlyArray<Float32Array | undefined>) {
    const first = failures[0];
    super(
      `${failures.length} of ${results.length} inputs could not be embedded` +
        (first ? `; first: ${first.error.message}` : '') +
        '. Use embedSettled() to get the others with per-item errors.',
      { code: 'EMBED_BATCH', cause: first?.error },
    );
    this.failures = failures;
    this.results = results;
  }
}

/**
 * Native embeddings of one modality that do not all have the same width, or not the width the heads
 * expect: they came from different models. `index` is the offending row (null: the whole set).
 */
export class EmbeddingDimensionError extends MmalignError {
  readonly modality: string;
  readonly index: number | null;
  readonly expected: number;
  readonly actual: number;
  readonly source: string | null;
  constructor(modality: string, index: number | null, expected: number, actual: number, source: string | null = null) {
    const what = index === null ? `${modality} embeddings are ${actual}-d` : `${modality} embedding #${index} has ${actual} values`;
    super(
      `${source ? `${source}: ` : ''}${what}, expected ${expected}. Every ${modality} vector must come from the same model; ` +
        `recompute the native embeddings with one model per modality.`,
      { code: 'EMBEDDING_DIMENSION' },
    );
    this.modality = modality;
    this.index = index;
    this.expected = expected;
    this.actual = actual;
    this.source = source;
  }
}

/** Training pairs that cannot be used: a pair naming a missing vector, too few pairs to train or hold out. */
export class TrainingDataError extends MmalignError {
  readonly reason: string;
  readonly source: string | null;
  constructor(reason: string, source: string | null = null) {
    super(`${source ? `${source}: ` : ''}${reason}`, { code: 'TRAINING_DATA' });
    this.reason = reason;
    this.source = source;
  }
}
