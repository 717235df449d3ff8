/**
 * `verify`: the HNSW file, the graph, the SQLite rows and the source files checked against each other,
 * and with `repair` brought back in line (index rebuilt, leftover temps removed, dead items deleted).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Modality } from '../../src/core/types.js';
import type { MmalignError } from '../../src/core/errors/index.js';
import { removeStaleTemps } from '../../src/core/fs.js';
import { lockHolder } from '../../src/core/lock.js';
import { blobToVector, getMeta } from '../store.js';
import { checkVector } from '../vector/check.js';
import { DB_FILE } from '../vector/files.js';
import { VectorIndex } from '../vector/vector-index.js';
import { currentVersion, type KbContext } from './context.js';
import { contentHashOfFile } from './sources.js';
import type { VerifyProblem, VerifyReport } from './types.js';

/** The body of {@link KnowledgeBase.verify} (with `repair`, under the writer lock). */
export async function verifyKb(ctx: KbContext, repair: boolean): Promise<VerifyReport> {
  const { index, db, dir } = ctx;
  index.refresh();
  const problems: VerifyProblem[] = [];
  const integrity = db.pragma('quick_check', { simple: true });
  if (integrity !== 'ok') {
    problems.push({ kind: 'sqlite-integrity', message: `SQLite quick_check: ${String(integrity)}`, path: join(dir, DB_FILE), repaired: false });
  }
  const generation = Number(getMeta(db, 'generation') ?? 0);
  const onDisk = index.indexFilesOnDisk();
  const items = db.prepare('SELECT count(*) FROM items').pluck().get() as number;
  let indexBad = false;
  if (!onDisk.includes(generation) && !(generation === 0 && items === 0)) {
    indexBad = true;
    problems.push(
      onDisk.length === 0
        ? { kind: 'index-file-missing', message: `no HNSW file for generation ${generation}`, path: index.indexFile(generation), repaired: false }
        : {
            kind: 'generation-mismatch',
            message: `the database is at generation ${generation} but the newest HNSW file is generation ${onDisk[0]} (a write was interrupted)`,
            path: index.indexFile(onDisk[0]),
            repaired: false,
          },
    );
  } else if (onDisk.includes(generation)) {
    // Load the file the way a new reader would, and compare it with the rows.
    let fresh: VectorIndex | null = null;
    try {
      fresh = VectorIndex.open(dir, { readonly: true, persistRebuild: false });
      if (fresh.rebuiltOnOpen !== null) {
        indexBad = true;
        problems.push({ kind: 'index-file-unreadable', message: `HNSW file for generation ${generation} cannot be read`, path: index.indexFile(generation), repaired: false });
      } else {
        const g = fresh.checkGraph();
        if (g.missing.length + g.extra.length + g.mismatched.length > 0) {
          indexBad = true;
          problems.push({
            kind: 'index-out-of-sync',
            message: `HNSW file differs from the database: ${g.missing.length} missing, ${g.extra.length} extra, ${g.mismatched.length} with another vector`,
            path: index.indexFile(generation),
            repaired: false,
          });
        }
      }
    } finally {
      fresh?.close();
    }
  }
  // A live writer's temp file looks like a leftover one: only report them when no writer is at work.
  const writerBusy = !repair && lockHolder(ctx.lockFile) !== null;
  for (const f of writerBusy ? [] : removeStaleTemps(dir, { dryRun: true })) {
    problems.push({ kind: 'stale-temp-file', message: `leftover temp file ${f} from an interrupted write`, path: join(dir, f), repaired: false });
  }
  const toDelete = new Map<string, VerifyProblem>();
  let filesChecked = 0;
  const exists = new Map<string, boolean>();
  const fileHash = new Map<string, string | null>();
  for (const [id, modality, path, hash, blob, start] of db.prepare('SELECT id, modality, path, content_hash, vector, start FROM items ORDER BY id').raw().iterate() as Iterable<
    [string, Modality, string | null, string, Buffer, number | null]
  >) {
    try {
      checkVector(blobToVector(blob), index.dims, id);
    } catch (err) {
      const p: VerifyProblem = { kind: 'bad-vector', id, message: (err as MmalignError).message, repaired: false };
      problems.push(p);
      toDelete.set(id, p);
      continue;
    }
    if (path === null) continue;
    if (!exists.has(path)) {
      filesChecked++;
      exists.set(path, existsSync(path));
    }
    if (!exists.get(path)) {
      const p: VerifyProblem = { kind: 'source-file-missing', id, path, message: `${path} no longer exists`, repaired: false };
      problems.push(p);
      toDelete.set(id, p);
      continue;
    }
    // Only whole-file items carry the file's hash; a cue's audio or a frame of a video (items with a
    // time) carry their own, so for them the file's presence is all there is to check.
    if (modality === 'text' || start !== null) continue;
    if (!fileHash.has(path)) fileHash.set(path, await contentHashOfFile(modality, path).catch(() => null));
    if (fileHash.get(path) !== hash) {
      problems.push({ kind: 'source-file-changed', id, path, message: `${path} changed since it was synced; sync its source again`, repaired: false });
    }
  }
  let repairVersion: number | null = null;
  if (repair) {
    for (const f of removeStaleTemps(dir)) {
      for (const p of problems) if (p.kind === 'stale-temp-file' && p.path === join(dir, f)) p.repaired = true;
    }
    // Rebuild first: the delete transaction below saves the in-memory graph, which came from the bad file.
    if (indexBad) {
      index.rebuild();
      for (const p of problems) if (p.kind.startsWith('index-') || p.kind === 'generation-mismatch') p.repaired = true;
    }
    if (toDelete.size > 0) {
      repairVersion = index.transaction((w) => {
        const v = currentVersion(db) + 1;
        const putChange = db.prepare('INSERT INTO changes (version, id, change, modality, source, content_hash, reason) VALUES (?, ?, ?, ?, ?, ?, ?)');
        const rows: [string, Modality, string, string][] = [];
        for (const id of toDelete.keys()) {
          const r = db.prepare('SELECT id, modality, source, content_hash FROM items WHERE id = ?').raw().get(id) as [string, Modality, string, string] | undefined;
          if (r && w.delete(id)) rows.push(r);
        }
        const generation = Number(getMeta(db, 'generation') ?? 0) + (rows.length > 0 ? 1 : 0);
        db.prepare('INSERT INTO versions (version, created_at, kind, source, added, updated, deleted, skipped, generation) VALUES (?, ?, ?, NULL, 0, 0, ?, 0, ?)').run(
          v, w.now, 'repair', rows.length, generation,
        );
        for (const [id, modality, source, hash] of rows) putChange.run(v, id, 'deleted', modality, source, hash, toDelete.get(id)?.message ?? null);
        return v;
      });
      for (const p of toDelete.values()) p.repaired = true;
    }
  }
  return {
    ok: problems.every((p) => p.repaired || p.kind === 'source-file-changed') && (repair || problems.length === 0),
    items,
    filesChecked,
    generation: index.generation,
    problems,
    repairVersion,
  };
}
