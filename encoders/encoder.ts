import { availableParallelism } from 'node:os';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidOptionError, ModelLoadError } from '../src/core/errors/index.js';
import { ENCODER_DEFAULTS } from '../src/core/defaults.js';
import { AUDIO_SAMPLE_RATE } from '../src/core/ffmpeg/index.js';
import { MODALITIES, type Modality } from '../src/core/types.js';
import { AudioEncoder, receptiveField, type AudioWindowEmbedding } from './audio.js';
import type { Logger } from '../src/core/progress.js';
import { consoleLogger, createSession, resolveDevice } from './device.js';
import { ProjectionHeads } from './heads.js';
import { ImageEncoder, parseImagePreprocessing } from './image.js';
import { locateModelFile, type PerModality } from './choice.js';
import { fingerprintFile } from './fingerprint.js';
import { GENERATED_MODELS_NOTE, getModalitySpec } from './registry.js';
import { TextEncoder, loadTextPreprocessor } from './text.js';
import type { AudioInput, Device, Dtype, Encoder } from './types.js';

export interface EncoderOptions {
  /**
   * A hub id (e.g. `Xenova/bert-base-uncased`) or a folder in transformers.js layout, or one per modality
   * (`{ text: 'Xenova/all-MiniLM-L6-v2', image: 'Xenova/resnet-50' }`, so one options object serves every
   * modality). Default: the modality's embedded tiny model (generated, not semantic).
   */
  model?: PerModality<string>;
  /** A folder of `<org>/<name>/` model folders searched first (default `$MMALIGN_MODELS`; then the pull cache and the embedded tiny models). */
  modelsDir?: string;
  /** Download a model found nowhere locally (default false: nothing touches the network unasked). */
  allowRemote?: boolean;
  device?: Device;
  /** ONNX variant (`q8` loads onnx/model_quantized.onnx), for all modalities or per modality. Default fp32. */
  dtype?: PerModality<Dtype>;
  /** Inputs (text windows, images, audio windows) per model run. */
  batchSize?: number;
  /** Heads file path or loaded heads; default: seeded orthogonal heads for this model (not trained: cross-modal scores mean nothing). */
  heads?: string | ProjectionHeads;
  /** Intra-op threads; default: the core count. */
  threads?: number;
  /** Receives the one-time notice when a GPU provider is unavailable, and a `note` when the model is a generated one. */
  logger?: Logger;
  /** Text only: cap the token window below the model's maximum (long texts are windowed at this size). */
  maxTokens?: number;
  /** Audio only: seconds per window for long audio (default 10). */
  windowSeconds?: number;
  /**
   * Decode the next batch of images/audio while the model runs the current one. Default: on when the
   * model runs on a GPU or onnxruntime leaves cores free (`threads` below the core count); off when
   * onnxruntime's threads occupy every core: there a decoder competing with them stalls each parallel
   * op at its barrier (bench:encoders on 2 cores: overlapped 0.76–1.04× of in-turn at load 2–4, 1.00× idle).
   */
  overlapDecode?: boolean;
  /** Audio only: the ffmpeg binary (default: `$FFMPEG_PATH`, `$PATH`, then `@ffmpeg-installer/ffmpeg`). */
  ffmpeg?: string;
}

/** The audio encoder also gives per-window embeddings of long audio. */
export interface AudioEncoderApi extends Encoder<'audio'> {
  embedWindows(batch: readonly AudioInput[]): Promise<AudioWindowEmbedding[][]>;
}

/** What `createEncoder` returns per modality. */
export interface EncoderOf {
  text: Encoder<'text'>;
  image: Encoder<'image'>;
  audio: AudioEncoderApi;
}

/**
 * Creates the encoder of a modality from the model registry: loads the ONNX model on the first
 * working provider of `device` (falling back to cpu with one notice), the model's own
 * preprocessing, and the projection heads into the shared 256-d space.
 *
 * @example
 * const text = await createEncoder('text', { model: 'mmalign/tiny-bert', device: 'auto' });
 * const [v] = await text.embed(['a dog runs on the beach']); // Float32Array(256), unit length
 * await text.dispose();
 */
export async function createEncoder<M extends Modality>(
  modality: M,
  {
    model,
    modelsDir,
    allowRemote = false,
    device = ENCODER_DEFAULTS.device,
    dtype = ENCODER_DEFAULTS.dtype,
    batchSize = ENCODER_DEFAULTS.batchSize[modality],
    heads,
    threads = availableParallelism(),
    logger = consoleLogger,
    maxTokens,
    windowSeconds = ENCODER_DEFAULTS.windowSeconds,
    ffmpeg,
    overlapDecode,
  }: EncoderOptions = {},
): Promise<EncoderOf[M]> {
  if (!MODALITIES.includes(modality)) throw new InvalidOptionError('modality', modality, MODALITIES.join(' | '));
  resolveDevice(device);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InvalidOptionError('batchSize', batchSize, 'a positive integer');
  if (maxTokens !== undefined && (!Number.isInteger(maxTokens) || maxTokens < 3)) throw new InvalidOptionError('maxTokens', maxTokens, 'an integer ≥ 3');
  if (!(windowSeconds > 0)) throw new InvalidOptionError('windowSeconds', windowSeconds, 'a number of seconds > 0');

  const { located, dtype: loaded, file: onnxFile } = await locateModelFile(modality, { model, modelsDir, allowRemote, dtype });
  const config = located.config as Record<string, unknown>;
  if (located.generated) logger.note?.(GENERATED_MODELS_NOTE);
  let nativeDims = located.nativeDims;
  let projection = await loadHeads(heads, modality, located.id, nativeDims);

  // Preprocessing first: a bad folder fails before the (slow) session load.
  const preprocessor = modality === 'text' ? null : await readJson(join(located.dir, 'preprocessor_config.json'), located.id);
  const textPre = modality === 'text' ? await loadTextPreprocessor({ dir: located.dir, config }) : null;
  if (textPre && maxTokens !== undefined) textPre.window = Math.min(textPre.window, maxTokens);
  const imagePre = modality === 'image' ? parseImagePreprocessing(preprocessor!, located.id) : null;
  if (modality === 'audio') {
    const rate = Number(preprocessor!.sampling_rate ?? AUDIO_SAMPLE_RATE);
    if (rate !== AUDIO_SAMPLE_RATE) throw new ModelLoadError(located.id, join(located.dir, 'preprocessor_config.json'), `sampling_rate ${rate} Hz is not supported (${AUDIO_SAMPLE_RATE} only)`);
  }

  // The file is hashed while onnxruntime loads it (a 400 MB model: about a second either way).
  const hashing = fingerprintFile(onnxFile);
  hashing.catch(() => {});
  const { session, provider } = await createSession(onnxFile, { device, threads, logger, modelName: located.id });
  let fingerprint: string;
  try {
    fingerprint = await hashing;
    const graphDims = pooledOutputDims(session, modality, located.id, config, logger);
    if (graphDims !== null && graphDims !== nativeDims) {
      nativeDims = graphDims;
      projection = await loadHeads(heads, modality, located.id, nativeDims);
    }
  } catch (err) {
    await session.release();
    throw err;
  }
  const overlap = overlapDecode ?? (provider !== 'cpu' || threads < availableParallelism());
  const common = { modelId: located.id, device: provider, dtype: loaded, fingerprint, session, nativeDims, heads: projection, batchSize, overlap };
  try {
    switch (modality) {
      case 'text':
        return new TextEncoder({ ...common, preprocessor: textPre! }) as unknown as EncoderOf[M];
      case 'image':
        return new ImageEncoder({ ...common, preprocessing: imagePre! }) as unknown as EncoderOf[M];
      case 'audio':
        return new AudioEncoder({
          ...common,
          doNormalize: preprocessor!.do_normalize !== false,
          windowSeconds,
          minSamples: receptiveField(config),
          ffmpeg,
        }) as unknown as EncoderOf[M];
      default:
        throw new InvalidOptionError('modality', modality satisfies never, MODALITIES.join(' | '));
    }
  } catch (err) {
    // A model whose inputs do not fit the encoder: release the session rather than leak it.
    await session.release();
    throw err;
  }
}

async function loadHeads(heads: string | ProjectionHeads | undefined, modality: Modality, modelId: string, nativeDims: number): Promise<ProjectionHeads> {
  if (heads === undefined) return ProjectionHeads.seeded([{ modality, modelId, inputDim: nativeDims }]);
  if (typeof heads === 'string') {
    const loaded = await ProjectionHeads.load(heads);
    loaded.assertCompatible(modality, modelId, nativeDims, heads);
    return loaded;
  }
  if (!(heads instanceof ProjectionHeads)) throw new InvalidOptionError('heads', typeof heads, 'a heads file path or a ProjectionHeads');
  heads.assertCompatible(modality, modelId, nativeDims);
  return heads;
}

async function readJson(file: string, model: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ModelLoadError(model, file, `cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)}); is this a transformers.js model folder?`, err);
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new ModelLoadError(model, file, 'not valid JSON', err);
  }
}

/**
 * The width of the output an encoder will pool, read from the ONNX graph itself. The registry
 * derives the width from config.json, which describes the backbone; but task-head exports such as
 * Xenova/resnet-50 (ResNetForImageClassification → `logits` [B, 1000]) or Xenova/wav2vec2-base-960h
 * (Wav2Vec2ForCTC → `logits` [B, T, 32]) have no backbone output at all. Those still work, pooled
 * from their first output, and the user is told once why the width differs.
 */
function pooledOutputDims(
  session: { outputNames: readonly string[]; outputMetadata?: readonly { name: string; isTensor: boolean; shape?: readonly (number | string)[] }[] },
  modality: Modality,
  modelId: string,
  config: Record<string, unknown>,
  logger: Logger,
): number | null {
  const spec = getModalitySpec(modality);
  const expected = spec.output;
  const used = session.outputNames.includes(expected) ? expected : session.outputNames[0];
  const meta = session.outputMetadata?.find((m) => m.name === used);
  const shape = meta && meta.isTensor ? meta.shape : undefined;
  // Images pool [B, C, ...] over the spatial axes; text and audio pool [B, T, C] over time.
  const axis = modality === 'image' ? 1 : shape ? shape.length - 1 : -1;
  const dims = shape && typeof shape[axis] === 'number' ? (shape[axis] as number) : null;
  if (used !== expected) {
    const arch = Array.isArray(config.architectures) ? String(config.architectures[0]) : 'a task model';
    logger.warn(
      `${modelId} has no '${expected}' output (it is exported as ${arch}); pooling its '${used}' output` +
        `${dims !== null ? ` (${dims}-d)` : ''} instead. For backbone features use a feature-extraction export (output '${expected}')` +
        `${spec.defaultModel !== modelId ? `, such as ${spec.defaultModel}` : ''}.`,
    );
  }
  return dims;
}
