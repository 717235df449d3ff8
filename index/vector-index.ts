/**
 * The vector index moved to index/vector/; this file re-exports it for importers written before the
 * split (remove once every importer uses index/index.ts).
 */
export { VectorIndex } from './vector/vector-index.js';
export { checkVector } from './vector/check.js';
export { DB_FILE } from './vector/files.js';
export type * from './vector/types.js';
