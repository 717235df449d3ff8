/** What the knowledge base's parts (sync, aligned ingest, verify) are given by the façade that owns them. */
import type { EncoderOptions } from '../../encoders/encoder.js';
import type { Modality } from '../../src/core/types.js';
import type { Db } from '../store.js';
import type { VectorIndex } from '../vector/vector-index.js';
import type { Embedder } from './types.js';

/** Name of the writer lock file inside a knowledge-base folder. */
export const LOCK_FILE = 'writer.lock';

export interface KbContext {
  readonly dir: string;
  readonly index: VectorIndex;
  readonly db: Db;
  readonly clock: () => number;
  /** Items per encoder call. */
  readonly batchSize: number;
  readonly encoderOptions: EncoderOptions;
  readonly lockFile: string;
  /** The embedder of a modality, loaded once per open knowledge base. */
  embedder(modality: Modality): Promise<Embedder>;
}

/** Number of the newest version (0 before the first sync). */
export function currentVersion(db: Db): number {
  return (db.prepare('SELECT coalesce(max(version), 0) FROM versions').pluck().get() as number) ?? 0;
}
