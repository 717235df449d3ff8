/** The `items` row as SQLite returns it, and its public shape. */
import type { Modality } from '../../src/core/types.js';
import type { IndexedItem } from './types.js';

export interface ItemRow {
  id: string;
  label: number;
  modality: Modality;
  source: string;
  path: string | null;
  start: number | null;
  end: number | null;
  text: string | null;
  content_hash: string;
  model_version: string;
  tags: string;
  timestamp: number | null;
  priority: number;
  created_at: number;
  updated_at: number;
}

/** An `items` row as an {@link IndexedItem} (camelCase, tags parsed). */
export function rowToItem(r: ItemRow): IndexedItem {
  return {
    id: r.id,
    modality: r.modality,
    source: r.source,
    path: r.path,
    start: r.start,
    end: r.end,
    text: r.text,
    contentHash: r.content_hash,
    modelVersion: r.model_version,
    tags: JSON.parse(r.tags) as string[],
    timestamp: r.timestamp,
    priority: r.priority,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
