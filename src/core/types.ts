/** Shared shapes used across alignment, encoders, index and the pipeline. */

/** Width of the shared embedding space every modality is projected into. */
export const EMBED_DIM = 256;

/** The closed set of modalities mmalign encodes. */
export type Modality = 'text' | 'image' | 'audio';
export const MODALITIES: readonly Modality[] = Object.freeze(['text', 'image', 'audio'] as const);

/** One subtitle cue; times in seconds. `index` is the cue number (1-based, as in SRT). */
export interface Cue {
  index: number;
  start: number;
  end: number;
  text: string;
  /** Who speaks, when the file says (WebVTT `<v Name>`, the ASS actor/Name field). */
  speaker?: string;
}

/** A sampled video frame; `time` is its true presentation time in seconds. */
export interface FrameRef {
  time: number;
}

/** A non-fatal problem found while reading input; the CLI prints these on stderr. */
export interface Warning {
  file?: string;
  line?: number;
  message: string;
}

/**
 * What made one modality's vectors: recorded in run.json, embeddings.json and the knowledge base, and
 * compared before a vector is reused. Two runs with equal records give interchangeable vectors.
 */
export interface ModelRecord {
  /** The hub id or folder the model was named by, e.g. `Xenova/bert-base-uncased`. */
  model: string;
  /** The ONNX variant loaded (`fp32`, `fp16`, `q8`, ...); null when the encoder cannot tell. */
  dtype: string | null;
  /** The execution provider that ran it, after any fallback (`cpu`, `cuda`, ...). */
  device: string;
  /** sha256 (hex) of the ONNX file loaded; null when the encoder cannot tell (a custom encoder). */
  fingerprint: string | null;
  /** Version of the projection heads into the shared space; null when unknown. */
  heads: string | null;
}
