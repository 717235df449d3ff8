import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidOptionError } from '../src/core/errors/index.js';
import { MODALITIES, type Modality } from '../src/core/types.js';
import type { ModelFamily } from './onnx/build.js';

/** The parts of a model's config.json the registry reads. */
export interface ModelConfigJson {
  model_type?: string;
  hidden_size?: number;
  hidden_sizes?: number[];
  [key: string]: unknown;
}

/** What a modality is encoded with (after transformers.js's task registry). */
export interface ModalitySpec {
  readonly modality: Modality;
  readonly family: ModelFamily;
  /** The real model for production use (needs the hub, a mirror, or a models folder holding it). */
  readonly defaultModel: string;
  /** The generated tiny model shipped in fixtures/models: always available, not semantic. */
  readonly embeddedModel: string;
  /** Which transformers.js preprocessor turns raw input into model inputs. */
  readonly preprocessor: 'tokenizer' | 'image' | 'audio';
  /** The transformers.js auto class that loads the preprocessor. */
  readonly preprocessorClass: 'AutoTokenizer' | 'AutoProcessor';
  /** Model inputs, in the order the ONNX graph declares them. */
  readonly inputs: readonly string[];
  /** The graph output an encoder pools from. */
  readonly output: 'last_hidden_state' | 'pooler_output';
  /** Width of that output's feature axis, read from config.json. */
  nativeDims(config: ModelConfigJson): number;
}

function positiveInt(value: unknown, field: string, family: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new InvalidOptionError(`config.json ${field}`, value, `a positive integer in a ${family} config`);
  }
  return value;
}

/**
 * Modality → model family, default model, preprocessor and native width. Frozen: add a
 * modality here and every resolver, encoder and CLI listing picks it up.
 */
export const MODALITY_REGISTRY: Readonly<Record<Modality, ModalitySpec>> = Object.freeze({
  text: Object.freeze({
    modality: 'text',
    family: 'bert',
    defaultModel: 'Xenova/bert-base-uncased',
    embeddedModel: 'mmalign/tiny-bert',
    preprocessor: 'tokenizer',
    preprocessorClass: 'AutoTokenizer',
    inputs: Object.freeze(['input_ids', 'attention_mask', 'token_type_ids']),
    output: 'last_hidden_state',
    nativeDims: (c: ModelConfigJson) => positiveInt(c.hidden_size, 'hidden_size', 'bert'),
  }),
  image: Object.freeze({
    modality: 'image',
    family: 'resnet',
    defaultModel: 'Xenova/resnet-50',
    embeddedModel: 'mmalign/tiny-resnet',
    preprocessor: 'image',
    preprocessorClass: 'AutoProcessor',
    inputs: Object.freeze(['pixel_values']),
    output: 'pooler_output',
    nativeDims: (c: ModelConfigJson) => {
      const sizes = c.hidden_sizes;
      if (!Array.isArray(sizes) || sizes.length === 0) throw new InvalidOptionError('config.json hidden_sizes', sizes, 'a non-empty array in a resnet config');
      return positiveInt(sizes[sizes.length - 1], 'hidden_sizes[-1]', 'resnet');
    },
  }),
  audio: Object.freeze({
    modality: 'audio',
    family: 'wav2vec2',
    defaultModel: 'Xenova/wav2vec2-base-960h',
    embeddedModel: 'mmalign/tiny-wav2vec2',
    preprocessor: 'audio',
    preprocessorClass: 'AutoProcessor',
    inputs: Object.freeze(['input_values']),
    output: 'last_hidden_state',
    nativeDims: (c: ModelConfigJson) => positiveInt(c.hidden_size, 'hidden_size', 'wav2vec2'),
  }),
} satisfies Record<Modality, ModalitySpec>);

/**
 * Looks up a modality's spec; an unknown name throws with the list of valid ones.
 *
 * @example
 * getModalitySpec('image').defaultModel; // 'Xenova/resnet-50'
 */
export function getModalitySpec(modality: string): ModalitySpec {
  if (!(MODALITIES as readonly string[]).includes(modality)) {
    throw new InvalidOptionError('modality', modality, `one of ${MODALITIES.join(', ')}`);
  }
  return MODALITY_REGISTRY[modality as Modality];
}

/** model_type each family's config.json must declare. */
export const FAMILY_MODEL_TYPE: Readonly<Record<ModelFamily, string>> = Object.freeze({
  bert: 'bert',
  resnet: 'resnet',
  wav2vec2: 'wav2vec2',
});

function findEmbeddedModelsDir(): string {
  // Source runs from encoders/, the build from dist/encoders/: walk up to the package root.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const candidate = join(dir, 'fixtures', 'models');
    if (existsSync(join(candidate, 'mmalign'))) return candidate;
    dir = dirname(dir);
  }
  return join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'models');
}

/**
 * The models folder holding the committed tiny models (`mmalign/tiny-bert`, ...). Use it as
 * transformers.js `env.localModelPath`.
 */
export const EMBEDDED_MODELS_DIR: string = findEmbeddedModelsDir();
