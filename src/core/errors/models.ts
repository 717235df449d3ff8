/** Encoder models: finding, downloading and loading them. */
import { MmalignError } from './base.js';

/** A model id or folder that none of the places searched holds. */
export class ModelNotFoundError extends MmalignError {
  readonly model: string;
  /** Every folder or URL that was tried, in order. */
  readonly searched: readonly string[];
  constructor(model: string, searched: readonly string[], hint = '') {
    super(
      `Model ${JSON.stringify(model)} was not found. Looked in:\n${searched.map((s) => `  - ${s}`).join('\n')}\n` +
        'Provide it by pointing MMALIGN_MODELS (or --models DIR) at a folder that holds <org>/<name>/ model folders, ' +
        `by passing the model's own folder path, or by downloading it with \`mmalign models pull ${model} [--mirror URL]\`` +
        (hint ? `. ${hint}` : '.'),
      { code: 'MODEL_NOT_FOUND' },
    );
    this.model = model;
    this.searched = searched;
  }
}

/** A model file that could not be downloaded from the hub or a mirror. */
export class ModelDownloadError extends MmalignError {
  readonly model: string;
  readonly url: string;
  /** HTTP status, or null for a network failure. */
  readonly status: number | null;
  constructor(model: string, url: string, status: number | null, reason: string, cause?: unknown) {
    super(
      `Cannot download ${JSON.stringify(model)} from ${url}: ${reason}. ` +
        'Check the model id and --mirror URL, or copy the model folder into your models folder (MMALIGN_MODELS).',
      { code: 'MODEL_DOWNLOAD', cause },
    );
    this.model = model;
    this.url = url;
    this.status = status;
  }
}

/** A model folder that exists but cannot be loaded: truncated or corrupt ONNX, bad config.json, missing dtype file. */
export class ModelLoadError extends MmalignError {
  readonly model: string;
  /** The file at fault. */
  readonly file: string;
  readonly reason: string;
  constructor(model: string, file: string, reason: string, cause?: unknown) {
    super(
      `Cannot load model ${JSON.stringify(model)}: ${file}: ${reason}. ` +
        'Re-download it (`mmalign models pull`) or rebuild it (`mmalign models build`).',
      { code: 'MODEL_LOAD', cause },
    );
    this.model = model;
    this.file = file;
    this.reason = reason;
  }
}
