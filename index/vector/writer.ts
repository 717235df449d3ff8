/**
 * The writer handle of one transaction: SQLite rows (items, tags) written at once, and the graph ops
 * that replay them on the in-memory graph once the transaction has committed.
 */
import { InvalidOptionError } from '../../src/core/errors/index.js';
import { MODALITIES } from '../../src/core/types.js';
import { blobToVector, vectorToBlob, type Db } from '../store.js';
import { checkVector } from './check.js';
import type { Op } from './graph.js';
import type { IndexWriter, VectorRecord } from './types.js';

function checkRecord(rec: VectorRecord, dims: number): number[] {
  if (typeof rec.id !== 'string' || rec.id.length === 0) throw new InvalidOptionError('id', rec.id, 'a non-empty string');
  if (!MODALITIES.includes(rec.modality)) throw new InvalidOptionError(`modality of ${rec.id}`, rec.modality, MODALITIES.join(' | '));
  if (typeof rec.source !== 'string') throw new InvalidOptionError(`source of ${rec.id}`, rec.source, 'a string');
  if (typeof rec.contentHash !== 'string' || typeof rec.modelVersion !== 'string') {
    throw new InvalidOptionError(`contentHash/modelVersion of ${rec.id}`, [rec.contentHash, rec.modelVersion], 'strings');
  }
  for (const t of [rec.start, rec.end, rec.timestamp, rec.priority]) {
    if (t != null && !Number.isFinite(t)) throw new InvalidOptionError(`times/priority of ${rec.id}`, t, 'finite numbers');
  }
  return checkVector(rec.vector, dims, rec.id);
}

/**
 * A writer over `db` for one transaction. `labels.next` is the first unused hnswlib label (read by the
 * caller inside the transaction) and is advanced as items get labels; `ops` collects the graph changes.
 */
export function createWriter(db: Db, dims: number, now: number, labels: { next: number }, ops: Op[]): IndexWriter {
  const stmts = {
    find: db.prepare('SELECT label, created_at FROM items WHERE id = ?'),
    insert: db.prepare(`INSERT INTO items (id, label, modality, source, path, start, end, text, content_hash, model_version, tags, timestamp, priority, vector, created_at, updated_at)
      VALUES (@id, @label, @modality, @source, @path, @start, @end, @text, @contentHash, @modelVersion, @tags, @timestamp, @priority, @vector, @createdAt, @updatedAt)`),
    vector: db.prepare('SELECT vector FROM items WHERE id = ?').pluck(),
    update: db.prepare(`UPDATE items SET label = @label, modality = @modality, source = @source, path = @path, start = @start, end = @end, text = @text,
      content_hash = @contentHash, model_version = @modelVersion, tags = @tags, timestamp = @timestamp, priority = @priority, vector = @vector, updated_at = @updatedAt WHERE id = @id`),
    delete: db.prepare('DELETE FROM items WHERE id = ?'),
    deleteTags: db.prepare('DELETE FROM item_tags WHERE id = ?'),
    insertTag: db.prepare('INSERT OR IGNORE INTO item_tags (id, tag) VALUES (?, ?)'),
  };
  return {
    db,
    now,
    upsert: (rec) => {
      // Kept as float32 until applied: a 100k-item transaction would otherwise hold 100k boxed arrays at once.
      const vector = blobToVector(vectorToBlob(checkRecord(rec, dims)));
      const tags = [...new Set(rec.tags ?? [])].sort();
      const existing = stmts.find.get(rec.id) as { label: number; created_at: number } | undefined;
      const row = {
        id: rec.id,
        modality: rec.modality,
        source: rec.source,
        path: rec.path ?? null,
        start: rec.start ?? null,
        end: rec.end ?? null,
        text: rec.text ?? null,
        contentHash: rec.contentHash,
        modelVersion: rec.modelVersion,
        tags: JSON.stringify(tags),
        timestamp: rec.timestamp == null ? null : Math.round(rec.timestamp),
        priority: Math.round(rec.priority ?? 0),
        vector: Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength),
        updatedAt: now,
      };
      if (existing) {
        const before = stmts.vector.get(rec.id) as Buffer;
        // A changed vector gets a fresh label (old point marked deleted, new one inserted): hnswlib's
        // in-place update and replace-deleted paths keep the old slot's links, and a point moved far
        // away then becomes unreachable (measured: exact-vector queries missing it at any ef).
        const label = before.equals(row.vector) ? existing.label : labels.next++;
        stmts.update.run({ ...row, label });
        stmts.deleteTags.run(rec.id);
        ops.push(label === existing.label ? { kind: 'meta' } : { kind: 'put', label, id: rec.id, vector, oldLabel: existing.label });
      } else {
        const label = labels.next++;
        stmts.insert.run({ ...row, label, createdAt: now });
        ops.push({ kind: 'put', label, id: rec.id, vector, oldLabel: null });
      }
      for (const t of tags) stmts.insertTag.run(rec.id, t);
      return existing ? 'updated' : 'added';
    },
    delete: (id) => {
      const existing = stmts.find.get(id) as { label: number } | undefined;
      if (!existing) return false;
      stmts.deleteTags.run(id);
      stmts.delete.run(id);
      ops.push({ kind: 'del', label: existing.label, id });
      return true;
    },
  };
}
