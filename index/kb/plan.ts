/**
 * How a sync becomes a version: each offered item is planned (add, update, unchanged, or skipped by the
 * conflict rule) against what is stored, and the plans are committed as one version in one transaction.
 */
import type { Modality } from '../../src/core/types.js';
import { getMeta, vectorToBlob, type Db } from '../store.js';
import type { VectorIndex } from '../vector/vector-index.js';
import { currentVersion } from './context.js';
import type { SourceItem } from './sources.js';
import type { KbChange } from './types.js';
import { recordModels, type UsedModel } from './models.js';

export interface ExistingRow {
  id: string;
  source: string;
  content_hash: string;
  model_version: string;
  timestamp: number | null;
  priority: number;
  path: string | null;
  start: number | null;
  end: number | null;
  text: string | null;
  tags: string;
  modality: Modality;
}

/** An item offered by a source, with the model version its vector has (or will have). */
export type PlanItem = SourceItem & { modelVersion: string };

export type Plan =
  | { kind: 'add' | 'update'; item: PlanItem; priority: number; existing?: ExistingRow; reason?: string }
  | { kind: 'unchanged'; item: PlanItem }
  | { kind: 'skip'; item: PlanItem; reason: string }
  | { kind: 'delete'; existing: ExistingRow };

/**
 * Conflict rule between an item a source offers and the copy another source put there: the newer
 * timestamp wins; on equal timestamps the higher priority wins; on a full tie the copy already there
 * stays (so two syncs never flip-flop).
 *
 * @example
 * incomingWins({ timestamp: 2, priority: 0 }, { timestamp: 1, priority: 9 }); // true
 */
export function incomingWins(incoming: { timestamp: number; priority: number }, current: { timestamp: number | null; priority: number }): boolean {
  const ct = current.timestamp ?? -Infinity;
  if (incoming.timestamp !== ct) return incoming.timestamp > ct;
  return incoming.priority > current.priority;
}

/** Decides, per offered item, add / update / unchanged / skip (conflict rule), and what this source no longer offers. */
export function planSync(db: Db, name: string, items: readonly PlanItem[], sourcePriority: number): Plan[] {
  const cols = 'id, source, content_hash, model_version, timestamp, priority, path, start, end, text, tags, modality';
  const findStmt = db.prepare(`SELECT ${cols} FROM items WHERE id = ?`);
  const plans: Plan[] = [];
  const offered = new Set<string>();
  for (const item of items) {
    offered.add(item.id);
    const existing = findStmt.get(item.id) as ExistingRow | undefined;
    const itemPriority = item.priority ?? sourcePriority;
    if (!existing) {
      plans.push({ kind: 'add', item, priority: itemPriority });
      continue;
    }
    if (existing.source !== name) {
      if (!incomingWins({ timestamp: item.timestamp, priority: itemPriority }, existing)) {
        plans.push({ kind: 'skip', item, reason: `kept the copy from ${existing.source} (newer, or same time and priority ≥ ${itemPriority})` });
        continue;
      }
      plans.push({ kind: 'update', item, priority: itemPriority, existing, reason: `replaced the copy from ${existing.source}` });
      continue;
    }
    const same =
      existing.content_hash === item.contentHash &&
      existing.model_version === item.modelVersion &&
      existing.modality === item.modality &&
      existing.path === item.path &&
      existing.start === item.start &&
      existing.end === item.end &&
      existing.text === item.text &&
      existing.timestamp === item.timestamp &&
      existing.priority === itemPriority &&
      existing.tags === JSON.stringify([...new Set(item.tags)].sort());
    plans.push(same ? { kind: 'unchanged', item } : { kind: 'update', item, priority: itemPriority, existing });
  }
  const owned = db.prepare(`SELECT ${cols} FROM items WHERE source = ?`).all(name) as ExistingRow[];
  for (const existing of owned) if (!offered.has(existing.id)) plans.push({ kind: 'delete', existing });
  return plans;
}

/** Applies plans as one version in one transaction (items, cache, version row, change list, source row). */
export function commitPlans(
  index: VectorIndex,
  name: string,
  location: string,
  sourcePriority: number,
  plans: readonly Plan[],
  vectorOf: (item: PlanItem) => Float32Array | undefined,
  fresh: readonly { hash: string; version: string; vector: Float32Array }[],
  models: readonly UsedModel[] = [],
): { version: number; counts: { added: number; updated: number; deleted: number; unchanged: number; skipped: number } } {
  const db = index.db;
  const counts = { added: 0, updated: 0, deleted: 0, unchanged: 0, skipped: 0 };
  const version = index.transaction((w) => {
    const now = w.now;
    const v = currentVersion(db) + 1;
    const changes: Omit<KbChange, 'version'>[] = [];
    for (const p of plans) {
      switch (p.kind) {
        case 'unchanged':
          counts.unchanged++;
          break;
        case 'skip':
          counts.skipped++;
          changes.push({ id: p.item.id, change: 'skipped', modality: p.item.modality, source: name, contentHash: p.item.contentHash, reason: p.reason });
          break;
        case 'delete':
          w.delete(p.existing.id);
          counts.deleted++;
          changes.push({ id: p.existing.id, change: 'deleted', modality: p.existing.modality, source: name, contentHash: p.existing.content_hash, reason: null });
          break;
        case 'add':
        case 'update': {
          const mv = p.item.modelVersion;
          const vec = vectorOf(p.item);
          if (!vec) break; // encoder failed for it: reported as a warning, old copy (if any) kept
          const kind = w.upsert({
            id: p.item.id,
            vector: vec,
            modality: p.item.modality,
            source: name,
            path: p.item.path,
            start: p.item.start,
            end: p.item.end,
            text: p.item.text,
            contentHash: p.item.contentHash,
            modelVersion: mv,
            tags: p.item.tags,
            timestamp: p.item.timestamp,
            priority: p.priority,
          });
          counts[kind]++;
          changes.push({ id: p.item.id, change: kind, modality: p.item.modality, source: name, contentHash: p.item.contentHash, reason: p.reason ?? null });
          break;
        }
        default:
          throw new Error(`unknown plan ${(p as { kind: string }).kind}`);
      }
    }
    const putCache = db.prepare('INSERT OR REPLACE INTO embed_cache (content_hash, model_version, vector, created_at) VALUES (?, ?, ?, ?)');
    for (const f of fresh) putCache.run(f.hash, f.version, vectorToBlob(f.vector), now);
    const anyIndexChange = counts.added + counts.updated + counts.deleted > 0;
    const generation = Number(getMeta(db, 'generation') ?? 0) + (anyIndexChange ? 1 : 0);
    db.prepare('INSERT INTO versions (version, created_at, kind, source, added, updated, deleted, skipped, generation) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
      v, now, 'sync', name, counts.added, counts.updated, counts.deleted, counts.skipped, generation,
    );
    const putChange = db.prepare('INSERT INTO changes (version, id, change, modality, source, content_hash, reason) VALUES (?, ?, ?, ?, ?, ?, ?)');
    for (const c of changes) putChange.run(v, c.id, c.change, c.modality, c.source, c.contentHash, c.reason);
    db.prepare('INSERT INTO sources (name, location, priority, last_version) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET location = excluded.location, priority = excluded.priority, last_version = excluded.last_version').run(
      name, location, sourcePriority, v,
    );
    recordModels(db, v, models);
    return v;
  });
  return { version, counts };
}
