/** The knowledge base's history: versions, what each changed, and the recorded evaluations of the heads. */
import type { Modality } from '../../src/core/types.js';
import { InvalidOptionError } from '../../src/core/errors/index.js';
import type { Db } from '../store.js';
import { currentVersion } from './context.js';
import type { ChangeKind, Evaluation, KbChange, KbVersion } from './types.js';

/** Every version, oldest first. */
export function listVersions(db: Db): KbVersion[] {
  return (
    db.prepare('SELECT version, created_at, kind, source, added, updated, deleted, skipped, generation FROM versions ORDER BY version').all() as (Omit<KbVersion, 'createdAt'> & { created_at: number })[]
  ).map(({ created_at, ...rest }) => ({ ...rest, createdAt: created_at }));
}

/** What one version changed; {@link InvalidOptionError} for a version that does not exist. */
export function listChanges(db: Db, version: number): KbChange[] {
  if (!Number.isInteger(version) || version < 1) throw new InvalidOptionError('version', version, 'a version number >= 1');
  const exists = db.prepare('SELECT 1 FROM versions WHERE version = ?').get(version);
  if (!exists) throw new InvalidOptionError('version', version, `an existing version (1..${currentVersion(db)})`);
  return (
    db.prepare('SELECT version, id, change, modality, source, content_hash, reason FROM changes WHERE version = ? ORDER BY change, id').all(version) as {
      version: number;
      id: string;
      change: ChangeKind;
      modality: Modality | null;
      source: string | null;
      content_hash: string | null;
      reason: string | null;
    }[]
  ).map(({ content_hash, ...rest }) => ({ ...rest, contentHash: content_hash }));
}

/** Items added, updated and deleted after `version`. */
export function changesSince(db: Db, version: number): { added: number; updated: number; deleted: number } {
  return db
    .prepare('SELECT coalesce(sum(added), 0) AS added, coalesce(sum(updated), 0) AS updated, coalesce(sum(deleted), 0) AS deleted FROM versions WHERE version > ?')
    .get(version) as { added: number; updated: number; deleted: number };
}

/** Records one evaluation at the current version (the caller holds a writable connection). */
export function insertEvaluation(db: Db, { metric, value, pairs, headsVersion, at }: Omit<Evaluation, 'kbVersion'>): Evaluation {
  if (typeof metric !== 'string' || metric === '') throw new InvalidOptionError('metric', metric, 'a metric name');
  if (!Number.isFinite(value)) throw new InvalidOptionError('value', value, 'a finite number');
  if (!Number.isInteger(pairs) || pairs < 0) throw new InvalidOptionError('pairs', pairs, 'an integer >= 0');
  if (typeof headsVersion !== 'string') throw new InvalidOptionError('headsVersion', headsVersion, 'a string');
  const kbVersion = currentVersion(db);
  db.prepare('INSERT INTO evaluations (metric, value, pairs, heads_version, at, kb_version) VALUES (?, ?, ?, ?, ?, ?)').run(metric, value, pairs, headsVersion, at, kbVersion);
  return { metric, value, pairs, headsVersion, at, kbVersion };
}

/** Recorded evaluations, oldest first; optionally of one metric. */
export function listEvaluations(db: Db, metric: string | undefined): Evaluation[] {
  return (
    db
      .prepare('SELECT metric, value, pairs, heads_version, at, kb_version FROM evaluations WHERE (@metric IS NULL OR metric = @metric) ORDER BY at, seq')
      .all({ metric: metric ?? null }) as { metric: string; value: number; pairs: number; heads_version: string; at: number; kb_version: number }[]
  ).map((r) => ({ metric: r.metric, value: r.value, pairs: r.pairs, headsVersion: r.heads_version, at: r.at, kbVersion: r.kb_version }));
}
