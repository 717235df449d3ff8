/**
 * The knowledge base moved to index/kb/; this file re-exports it for importers written before the split
 * (remove once every importer uses index/index.ts).
 */
export { KnowledgeBase } from './kb/knowledge-base.js';
export { defaultEmbedders } from './kb/embedders.js';
export { incomingWins } from './kb/plan.js';
export { alignedSink, alignedModelVersions } from './kb/aligned.js';
export type * from './kb/types.js';
