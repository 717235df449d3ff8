import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../src/core/fs.js';
import { bertConfigJson, buildBertGraph, type BertArch } from './bert.js';
import type { GraphBuilder, WrittenModel } from './graph.js';
import { QUANTIZED_ONNX_FILE, quantizeModelDir, type QuantizeResult } from './quantize.js';
import { buildResNetGraph, resnetConfigJson, type ResNetArch } from './resnet.js';
import { bertTokenizerConfigJson, bertTokenizerJson, buildVocabulary, vocabTxt } from './tokenizer.js';
import { buildWav2Vec2Graph, W2V_CONV_KERNEL, W2V_CONV_STRIDE, wav2vec2ConfigJson, type Wav2Vec2Arch } from './wav2vec2.js';

/** The architectures mmalign can generate. */
export type ModelFamily = 'bert' | 'resnet' | 'wav2vec2';
export const MODEL_FAMILIES: readonly ModelFamily[] = Object.freeze(['bert', 'resnet', 'wav2vec2'] as const);

/** `tiny`: test-sized, committed under fixtures/models. `base`: the real dimensions, built on demand. */
export type ModelPreset = 'tiny' | 'base';
export const MODEL_PRESETS: readonly ModelPreset[] = Object.freeze(['tiny', 'base'] as const);

/**
 * Families that also get `onnx/model_quantized.onnx` (dtype q8). ResNet does not: its convolutions are
 * 2-D, and onnxruntime's ConvInteger ran ResNet-50 at 0.17× of its fp32 speed.
 */
export const QUANTIZED_FAMILIES: readonly ModelFamily[] = Object.freeze(['bert', 'wav2vec2'] as const);

/** The seed the committed tiny models were built with. */
export const DEFAULT_SEED = 42;

/** Organisation part of generated model ids: `mmalign/tiny-bert`. */
export const GENERATED_NAMESPACE = 'mmalign';

const MAX_LENGTH = 512;

export interface PresetArchs {
  bert: Omit<BertArch, 'vocabSize'>;
  resnet: ResNetArch;
  wav2vec2: Wav2Vec2Arch;
}

const PRESETS: Readonly<Record<ModelPreset, PresetArchs>> = Object.freeze({
  tiny: {
    // Hidden 32 keeps the ~3k-token embedding table, and so the file, well under 1 MB.
    bert: { hiddenSize: 32, numLayers: 2, numHeads: 4, intermediateSize: 128, maxPositionEmbeddings: MAX_LENGTH, typeVocabSize: 2, layerNormEps: 1e-12 },
    resnet: { numChannels: 3, embeddingSize: 16, hiddenSizes: [32, 64, 128, 256], depths: [1, 1, 1, 1], imageSize: 224 },
    wav2vec2: {
      convDim: [32, 32, 32, 32, 32, 32, 32], convKernel: W2V_CONV_KERNEL, convStride: W2V_CONV_STRIDE, convBias: false,
      hiddenSize: 64, numLayers: 2, numHeads: 4, intermediateSize: 128,
      numConvPosEmbeddings: 16, numConvPosEmbeddingGroups: 4, layerNormEps: 1e-5,
    },
  },
  base: {
    bert: { hiddenSize: 768, numLayers: 12, numHeads: 12, intermediateSize: 3072, maxPositionEmbeddings: MAX_LENGTH, typeVocabSize: 2, layerNormEps: 1e-12 },
    resnet: { numChannels: 3, embeddingSize: 64, hiddenSizes: [256, 512, 1024, 2048], depths: [3, 4, 6, 3], imageSize: 224 },
    wav2vec2: {
      convDim: [512, 512, 512, 512, 512, 512, 512], convKernel: W2V_CONV_KERNEL, convStride: W2V_CONV_STRIDE, convBias: false,
      hiddenSize: 768, numLayers: 12, numHeads: 12, intermediateSize: 3072,
      numConvPosEmbeddings: 128, numConvPosEmbeddingGroups: 16, layerNormEps: 1e-5,
    },
  },
});

/**
 * The architecture dimensions of a preset (BERT's vocabulary size comes from the generated tokenizer).
 *
 * @example
 * presetArchitectures('base').resnet.depths; // [3, 4, 6, 3]
 */
export function presetArchitectures(preset: ModelPreset): Readonly<PresetArchs> {
  const archs = PRESETS[preset];
  if (!archs) throw new Error(`Unknown preset ${JSON.stringify(preset)}; expected one of ${MODEL_PRESETS.join(', ')}`);
  return archs;
}

/** Standard ImageNet preprocessing, as Xenova/resnet-50 ships it (resize shortest edge to 224/0.875, centre-crop 224). */
const RESNET_PREPROCESSOR = Object.freeze({
  crop_pct: 0.875,
  do_normalize: true,
  do_rescale: true,
  do_resize: true,
  feature_extractor_type: 'ConvNextFeatureExtractor',
  image_mean: [0.485, 0.456, 0.406],
  image_processor_type: 'ConvNextImageProcessor',
  image_std: [0.229, 0.224, 0.225],
  resample: 3,
  rescale_factor: 0.00392156862745098,
  size: { shortest_edge: 224 },
});

/** 16 kHz mono, zero-mean unit-variance normalised, as facebook/wav2vec2-base ships it. */
const WAV2VEC2_PREPROCESSOR = Object.freeze({
  do_normalize: true,
  feature_extractor_type: 'Wav2Vec2FeatureExtractor',
  feature_size: 1,
  padding_side: 'right',
  padding_value: 0.0,
  return_attention_mask: false,
  sampling_rate: 16000,
});

export interface BuildModelOptions {
  family: ModelFamily;
  preset?: ModelPreset;
  seed?: number;
  /** The model folder to write (config.json, onnx/model.onnx, ...). */
  dir: string;
  /** Called after each weight tensor is written. */
  onProgress?: (done: number, total: number) => void;
  /** Also write the int8 `onnx/model_quantized.onnx` for the families in {@link QUANTIZED_FAMILIES} (default true). */
  quantize?: boolean;
  /** Called after each quantized weight is written. */
  onQuantizeProgress?: (done: number, total: number) => void;
}

/** What one build wrote. */
export interface BuiltModel {
  family: ModelFamily;
  preset: ModelPreset;
  seed: number;
  dir: string;
  /** Files relative to `dir`, sorted. */
  files: string[];
  onnx: WrittenModel;
  /** The q8 variant, when one was written. */
  quantized: QuantizeResult | null;
  /** Width of `last_hidden_state`'s feature axis (BERT/Wav2Vec2 hidden size, ResNet channels). */
  nativeDims: number;
}

/**
 * The model id a generated folder is known by.
 *
 * @example
 * generatedModelId('bert', 'base'); // 'mmalign/base-bert'
 */
export function generatedModelId(family: ModelFamily, preset: ModelPreset): string {
  return `${GENERATED_NAMESPACE}/${preset}-${family}`;
}

async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

/**
 * Generates one architecture-faithful model with seeded weights in the transformers.js folder
 * layout. The weights are random: the model computes what BERT/ResNet/Wav2Vec2 compute, but its
 * outputs carry no meaning. The same family, preset and seed always give byte-identical files.
 *
 * @example
 * const built = await buildModel({ family: 'bert', preset: 'tiny', dir: '/tmp/models/mmalign/tiny-bert' });
 * console.log(built.onnx.bytes, built.nativeDims);
 */
export async function buildModel({ family, preset = 'tiny', seed = DEFAULT_SEED, dir, onProgress, quantize = true, onQuantizeProgress }: BuildModelOptions): Promise<BuiltModel> {
  if (!MODEL_FAMILIES.includes(family)) throw new Error(`Unknown model family ${JSON.stringify(family)}; expected one of ${MODEL_FAMILIES.join(', ')}`);
  if (!MODEL_PRESETS.includes(preset)) throw new Error(`Unknown preset ${JSON.stringify(preset)}; expected one of ${MODEL_PRESETS.join(', ')}`);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`seed must be a non-negative integer, got ${seed}`);
  await mkdir(join(dir, 'onnx'), { recursive: true });
  const marker = { generated: true, preset, seed, semantic: false };
  const archs = PRESETS[preset];
  let graph: GraphBuilder;
  let nativeDims: number;
  const files = ['config.json', 'onnx/model.onnx'];
  switch (family) {
    case 'bert': {
      const vocab = buildVocabulary();
      const arch: BertArch = { ...archs.bert, vocabSize: vocab.length };
      graph = buildBertGraph(arch);
      nativeDims = arch.hiddenSize;
      await writeJsonAtomic(join(dir, 'config.json'), { ...bertConfigJson(arch), mmalign: marker });
      await writeJsonAtomic(join(dir, 'tokenizer.json'), bertTokenizerJson(vocab));
      await writeJsonAtomic(join(dir, 'tokenizer_config.json'), bertTokenizerConfigJson(MAX_LENGTH));
      await writeJsonAtomic(join(dir, 'special_tokens_map.json'), {
        cls_token: '[CLS]', mask_token: '[MASK]', pad_token: '[PAD]', sep_token: '[SEP]', unk_token: '[UNK]',
      });
      await writeFileAtomic(join(dir, 'vocab.txt'), vocabTxt(vocab));
      files.push('special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt');
      break;
    }
    case 'resnet': {
      graph = buildResNetGraph(archs.resnet);
      nativeDims = archs.resnet.hiddenSizes[archs.resnet.hiddenSizes.length - 1];
      await writeJsonAtomic(join(dir, 'config.json'), { ...resnetConfigJson(archs.resnet), mmalign: marker });
      await writeJsonAtomic(join(dir, 'preprocessor_config.json'), RESNET_PREPROCESSOR);
      files.push('preprocessor_config.json');
      break;
    }
    case 'wav2vec2': {
      graph = buildWav2Vec2Graph(archs.wav2vec2);
      nativeDims = archs.wav2vec2.hiddenSize;
      await writeJsonAtomic(join(dir, 'config.json'), { ...wav2vec2ConfigJson(archs.wav2vec2), mmalign: marker });
      await writeJsonAtomic(join(dir, 'preprocessor_config.json'), WAV2VEC2_PREPROCESSOR);
      files.push('preprocessor_config.json');
      break;
    }
    default:
      throw new Error(`Unknown model family: ${JSON.stringify(family satisfies never)}`);
  }
  // A q8 file left from an earlier build would no longer match the new fp32 weights: it goes first, so a
  // failure below leaves the folder without one rather than with a stale one.
  await rm(join(dir, 'onnx', QUANTIZED_ONNX_FILE), { force: true });
  const onnx = await graph.write(join(dir, 'onnx', 'model.onnx'), { seed, onTensor: onProgress });
  let quantized: QuantizeResult | null = null;
  if (quantize && QUANTIZED_FAMILIES.includes(family)) {
    quantized = await quantizeModelDir(dir, { onProgress: onQuantizeProgress });
    files.push(`onnx/${QUANTIZED_ONNX_FILE}`);
  }
  return { family, preset, seed, dir, files: files.sort(), onnx, quantized, nativeDims };
}

export interface BuildModelsOptions {
  preset?: ModelPreset;
  seed?: number;
  /** A models folder: each model goes to `<out>/mmalign/<preset>-<family>`. */
  out: string;
  /** Build only these families (default: all three). */
  only?: readonly ModelFamily[];
  /** Per-family progress: called after each weight tensor. */
  onProgress?: (family: ModelFamily, done: number, total: number) => void;
  /** Also write the q8 variants (default true); see {@link BuildModelOptions.quantize}. */
  quantize?: boolean;
  /** Per-family progress of the q8 variant: called after each quantized weight. */
  onQuantizeProgress?: (family: ModelFamily, done: number, total: number) => void;
}

/**
 * Builds several generated models into a models folder laid out as `<out>/mmalign/<preset>-<family>`,
 * so `out` can be used directly as `MMALIGN_MODELS` / transformers.js `env.localModelPath`.
 *
 * @example
 * const built = await buildModels({ preset: 'base', out: '/tmp/models' });
 * // /tmp/models/mmalign/base-bert, base-resnet, base-wav2vec2
 */
export async function buildModels({ preset = 'tiny', seed = DEFAULT_SEED, out, only = MODEL_FAMILIES, onProgress, quantize = true, onQuantizeProgress }: BuildModelsOptions): Promise<BuiltModel[]> {
  const built: BuiltModel[] = [];
  // One at a time: a base model's weights are generated tensor by tensor, and so stay small in memory.
  for (const family of only) {
    built.push(
      await buildModel({
        family,
        preset,
        seed,
        dir: join(out, ...generatedModelId(family, preset).split('/')),
        onProgress: onProgress && ((done, total) => onProgress(family, done, total)),
        quantize,
        onQuantizeProgress: onQuantizeProgress && ((done, total) => onQuantizeProgress(family, done, total)),
      }),
    );
  }
  return built;
}
