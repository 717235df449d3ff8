/**
 * `verify`: the HNSW file, the graph, the SQLite rows and the source files checked against each other,
 * and with `repair` brought back in line (index rebuilt, leftover temps removed, dead items deleted).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Modality } from '../../src/core/types.js';
import { KbCorruptError, type MmalignError } from '../../src/core/errors/index.js';
import { removeStaleTemps } from '../../src/core/fs.js';
import { lockHolder } from '../../src/core/lock.js';
import { blobToVector, DAMAGED_DB_ADVICE, getMeta, isDamagedDatabase, storeError } from '../store.js';
import { checkVector } from '../vector/check.js';
import { DB_FILE } from '../vector/files.js';
import { VectorIndex } from '../vector/vector-index.js';
import { currentVersion, type KbContext } from './context.js';
import { contentHashOfFile } from './sources.js';
import type { VerifyProblem, VerifyProblemKind, VerifyReport } from './types.js';

function problem(kind: VerifyProblemKind, message: string, extra: { id?: string; path?: string; recoverable?: boolean } = {}): VerifyProblem {
  const { recoverable = false, ...where } = extra;
  return { kind, message, ...where, repaired: false, recoverable };
}

/**
 * The report for a knowledge base whose SQLite file is damaged: one `database-corrupt` problem saying
 * what to do (a repair rebuilds *from* that file, so it cannot help). Also what `kb verify` reports when
 * the damage already stops the knowledge base from opening.
 *
 * @example
 * try { kb = await KnowledgeBase.open(dir, { readonly: true }); } catch (err) { if (err instanceof KbCorruptError) report = corruptReport(dir, err); }
 */
export function corruptReport(dir: string, err: Pick<KbCorruptError, 'path' | 'message'>, generation = 0): VerifyReport {
  return {
    ok: false,
    items: 0,
    filesChecked: 0,
    generation,
    problems: [problem('database-corrupt', err.message, { path: err.path })],
    repairVersion: null,
  };
}

/**
 * The body of {@link KnowledgeBase.verify} (with `repair`, under the writer lock). Damage SQLite hits
 * on the way is reported as `database-corrupt`, not thrown.
 */
export async function verifyKb(ctx: KbContext, repair: boolean): Promise<VerifyReport> {
  try {
    return await check(ctx, repair);
  } catch (err) {
    const e = storeError(err, join(ctx.dir, DB_FILE), 'verifying the knowledge base');
    if (e instanceof KbCorruptError && isDamagedDatabase(e)) {
      return corruptReport(ctx.dir, e, ctx.index.generation);
    }
    throw e ?? err;
  }
}

async function check(ctx: KbContext, repair: boolean): Promise<VerifyReport> {
  const { index, db, dir } = ctx;
  index.refresh();
  const problems: VerifyProblem[] = [];
  const damage = (db.pragma('quick_check(10)') as { quick_check: string }[])
    .map((r) => r.quick_check.replace(/\*\*\* in database \w+ \*\*\*\s*/g, '').replace(/\s*\n\s*/g, '; '))
    .filter((r) => r !== 'ok' && r !== '');
  if (damage.length > 0) {
    // SQLite is what everything else is checked against and rebuilt from: nothing more can be trusted.
    const reason = `SQLite finds the database damaged (quick_check: ${damage.join('; ')})`;
    return corruptReport(dir, { path: join(dir, DB_FILE), message: `${reason}. ${DAMAGED_DB_ADVICE}` }, index.generation);
  }
  const generation = Number(getMeta(db, 'generation') ?? 0);
  const onDisk = index.indexFilesOnDisk();
  const items = db.prepare('SELECT count(*) FROM items').pluck().get() as number;
  let indexBad = false;
  if (!onDisk.includes(generation) && !(generation === 0 && items === 0)) {
    indexBad = true;
    const older = onDisk.filter((g) => g < generation);
    problems.push(
      older.length === 0
        ? problem('index-file-missing', `no HNSW file for generation ${generation}`, { path: index.indexFile(generation) })
        : problem(
            'generation-mismatch',
            `the database is at generation ${generation} but the newest HNSW file is generation ${older[0]} (a write was interrupted). ` +
              'Nothing is lost: readers rebuild the graph from the database in memory until the file is saved, which the next sync, ' +
              'a search where the folder is writable, or `kb verify --repair` does',
            { path: index.indexFile(older[0]), recoverable: true },
          ),
    );
  } else if (onDisk.includes(generation)) {
    // Load the file the way a new reader would, and compare it with the rows.
    let fresh: VectorIndex | null = null;
    try {
      fresh = VectorIndex.open(dir, { readonly: true, persistRebuild: false });
      if (fresh.rebuiltOnOpen !== null) {
        indexBad = true;
        problems.push(problem('index-file-unreadable', `HNSW file for generation ${generation} cannot be read`, { path: index.indexFile(generation) }));
      } else {
        const g = fresh.checkGraph();
        if (g.missing.length + g.extra.length + g.mismatched.length > 0) {
          indexBad = true;
          problems.push(
            problem('index-out-of-sync', `HNSW file differs from the database: ${g.missing.length} missing, ${g.extra.length} extra, ${g.mismatched.length} with another vector`, {
              path: index.indexFile(generation),
            }),
          );
        }
      }
    } finally {
      fresh?.close();
    }
  }
  // A live writer's temp file looks like a leftover one: only report them when no writer is at work.
  const writerBusy = !repair && lockHolder(ctx.lockFile) !== null;
  for (const f of writerBusy ? [] : removeStaleTemps(dir, { dryRun: true })) {
    problems.push(problem('stale-temp-file', `leftover temp file ${f} from an interrupted write`, { path: join(dir, f) }));
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
      const p = problem('bad-vector', (err as MmalignError).message, { id });
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
      const p = problem('source-file-missing', `${path} no longer exists`, { id, path });
      problems.push(p);
      toDelete.set(id, p);
      continue;
    }
    // Only whole-file items carry the file's hash; a cue's audio or a frame of a video (items with a
    // time) carry their own, so for them the file's presence is all there is to check.
    if (modality === 'text' || start !== null) continue;
    if (!fileHash.has(path)) fileHash.set(path, await contentHashOfFile(modality, path).catch(() => null));
    if (fileHash.get(path) !== hash) {
      problems.push(problem('source-file-changed', `${path} changed since it was synced; sync its source again (a repair cannot)`, { id, path }));
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
    ok: problems.every((p) => p.repaired || p.recoverable),
    items,
    filesChecked,
    generation: index.generation,
    problems,
    repairVersion,
  };
}
