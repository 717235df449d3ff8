import type { Modality } from '../src/core/types.js';

/** Where ONNX inference runs. `auto` tries cuda, then webgpu, then cpu. */
export type Device = 'auto' | 'cpu' | 'cuda' | 'webgpu';

/** Numeric precision of the model weights to load (transformers.js `dtype`). */
export type Dtype = 'fp32' | 'fp16' | 'q8' | 'int8' | 'uint8' | 'q4' | 'bnb4' | 'q4f16';

/** Decoded RGB(A) pixels, e.g. a frame straight from ffmpeg, so it need not be re-read from disk. */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  /** 3 (RGB) or 4 (RGBA). */
  channels: 3 | 4;
}

/** An image: a file path, encoded bytes (JPEG/PNG/WebP/...), or raw pixels. */
export type ImageInput = string | Uint8Array | RawImage;

/** Mono or interleaved PCM already in memory. */
export interface PcmAudio {
  samples: Float32Array;
  sampleRate: number;
  /** Interleaved channel count; default 1. */
  channels?: number;
}

/** Audio: a path to any file ffmpeg reads, encoded bytes, or PCM samples. */
export type AudioInput = string | Uint8Array | PcmAudio;

/** What each modality's encoder takes. */
export interface InputOf {
  text: string;
  image: ImageInput;
  audio: AudioInput;
}

/** Per-item outcome, so one bad input in a batch does not lose the others. */
export type EmbedOutcome =
  | { ok: true; vector: Float32Array }
  | { ok: false; error: Error };

/**
 * One interface for every modality (after lancedb's embedding functions).
 *
 * @example
 * const enc = await createEncoder('text');
 * const [v] = await enc.embed(['a cat on a mat']); // Float32Array(256), unit length
 * await enc.dispose();
 */
export interface Encoder<M extends Modality = Modality> {
  readonly modality: M;
  /** The model id or folder this encoder was created from. */
  readonly modelId: string;
  /** The execution provider actually in use after any fallback, e.g. `cpu`. */
  readonly device: Exclude<Device, 'auto'>;
  /** The ONNX variant loaded (`fp32`, `q8`, ...); mmalign's encoders always say, a custom encoder may not. */
  readonly dtype?: Dtype;
  /**
   * sha256 (hex) of the ONNX file loaded: vectors are recorded and reused under it, so a model file
   * replaced under the same id is re-encoded. mmalign's encoders always give it; without it (a custom
   * encoder) vectors are keyed by model id and heads alone.
   */
  readonly fingerprint?: string;
  /** Width of the shared space (256). */
  ndims(): number;
  /** Width of the model's own output before the projection head (e.g. 768 for BERT-base). */
  nativeDims(): number;
  /** Embeds into the shared space (projected, L2-normalised). Rejects with `EmbedBatchError` if any item fails. */
  embed(batch: readonly InputOf[M][]): Promise<Float32Array[]>;
  /** Like `embed`, but reports failures per item instead of rejecting. */
  embedSettled(batch: readonly InputOf[M][]): Promise<EmbedOutcome[]>;
  /** The model's pooled output before the projection head, for training heads. */
  embedNative(batch: readonly InputOf[M][]): Promise<Float32Array[]>;
  /** Releases the ONNX session. */
  dispose(): Promise<void>;
}
