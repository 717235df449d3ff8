/**
 * Sync and ingest, run under the writer lock: a source (folder or manifest) or a list of precomputed
 * items brought in line with what the knowledge base holds, as one version.
 */
import type { ModelRecord, Modality, Warning } from '../../src/core/types.js';
import { writeFileAtomic } from '../../src/core/fs.js';
import { blobToVector } from '../store.js';
import { alignedVideoItems } from './aligned.js';
import type { KbContext } from './context.js';
import { embedItems, vectorKey } from './embedders.js';
import type { UsedModel } from './models.js';
import { commitPlans, planSync, type PlanItem } from './plan.js';
import { scanSource } from './sources.js';
import type { IngestItem, SyncOptions, SyncResult } from './types.js';
import { appendAll } from '../../src/core/arrays.js';

/**
 * The body of {@link KnowledgeBase.sync} (options already checked, lock held). `alignVideo` is the
 * aligner to use, resolved by the caller, which refuses `videos: 'align'` without one.
 */
export async function syncSource(
  ctx: KbContext,
  source: string,
  { priority, sourceName, onProgress, videos = 'cues', alignVideo }: SyncOptions,
): Promise<SyncResult> {
  onProgress?.('scan', 0, 1);
  const scan = await scanSource(source, { exclude: [ctx.dir] });
  onProgress?.('scan', 1, 1);
  const name = sourceName ?? scan.location;
  const db = ctx.db;
  const storedPriority = db.prepare('SELECT priority FROM sources WHERE name = ?').pluck().get(name) as number | undefined;
  const sourcePriority = priority ?? storedPriority ?? 0;

  const warnings: Warning[] = [...scan.warnings];
  const vectors = new Map<string, Float32Array>(); // key: hash \0 version
  let items = scan.items;
  const aligned: PlanItem[] = [];
  const used: UsedModel[] = [];
  const fingerprints: { file: string; value: string }[] = [];
  if (videos === 'align' && alignVideo && scan.videos.length > 0) {
    let done = 0;
    onProgress?.('align', 0, scan.videos.length);
    for (const v of scan.videos) {
      const r = await alignedVideoItems(ctx, v, name, alignVideo);
      items = items.filter((it) => !it.id.startsWith(`${v.id}#cue`));
      appendAll(warnings, r.warnings);
      for (const it of r.items) {
        aligned.push(it.item);
        if (it.vector) vectors.set(`${it.item.contentHash}\0${it.item.modelVersion}`, it.vector);
      }
      appendAll(used, r.models);
      fingerprints.push(r.fingerprint);
      onProgress?.('align', ++done, scan.videos.length);
    }
  }

  // Versions (+ model fingerprints) of the encoders this scan needs: they decide "unchanged" and key the cache.
  const versions = new Map<Modality, string>();
  for (const m of new Set(items.map((i) => i.modality))) {
    const embedder = await ctx.embedder(m);
    const key = vectorKey(embedder);
    versions.set(m, key);
    if (embedder.model) used.push({ key, modality: m, record: embedder.model });
  }

  const plans = planSync(db, name, [...items.map((it) => ({ ...it, modelVersion: versions.get(it.modality) as string })), ...aligned], sourcePriority);

  // Vectors: the embedding cache first (covers metadata-only changes and moved/duplicated content), then the encoders.
  const cacheStmt = db.prepare('SELECT vector FROM embed_cache WHERE content_hash = ? AND model_version = ?').pluck();
  const todo = new Map<Modality, Map<string, PlanItem>>();
  for (const p of plans) {
    if (p.kind !== 'add' && p.kind !== 'update') continue;
    const version = p.item.modelVersion;
    const key = `${p.item.contentHash}\0${version}`;
    if (vectors.has(key)) continue;
    if (p.existing && p.existing.content_hash === p.item.contentHash && p.existing.model_version === version) {
      // Metadata-only change (tags, times, owner): the stored vector is still right.
      const stored = ctx.index.getVector(p.item.id);
      if (stored) {
        vectors.set(key, stored);
        continue;
      }
    }
    const cached = cacheStmt.get(p.item.contentHash, version) as Buffer | undefined;
    if (cached && cached.byteLength === ctx.index.dims * 4) {
      vectors.set(key, blobToVector(cached));
      continue;
    }
    let byModality = todo.get(p.item.modality);
    if (!byModality) todo.set(p.item.modality, (byModality = new Map()));
    byModality.set(key, p.item);
  }
  const fresh = new Map<string, { hash: string; version: string; vector: Float32Array }>();
  const total = [...todo.values()].reduce((n, m) => n + m.size, 0);
  let done = 0;
  onProgress?.('encode', 0, total);
  for (const [modality, byKey] of todo) {
    const embedder = await ctx.embedder(modality);
    const entries = [...byKey.entries()];
    for (let i = 0; i < entries.length; i += ctx.batchSize) {
      const batch = entries.slice(i, i + ctx.batchSize);
      const results = await embedItems(embedder, batch.map(([, it]) => it), ctx.index.dims, warnings);
      batch.forEach(([key, it], j) => {
        const v = results[j];
        if (v === null) return; // reported as a warning; the item keeps its old copy, if any
        vectors.set(key, v);
        fresh.set(key, { hash: it.contentHash, version: it.modelVersion, vector: v });
      });
      done += batch.length;
      onProgress?.('encode', done, total);
    }
  }

  onProgress?.('commit', 0, 1);
  const { version, counts } = commitPlans(
    ctx.index, name, scan.location, sourcePriority, plans, (it) => vectors.get(`${it.contentHash}\0${it.modelVersion}`), [...fresh.values()], used,
  );
  // Only after the commit: a crash before it must make the next sync align again.
  for (const f of fingerprints) await writeFileAtomic(f.file, f.value);
  onProgress?.('commit', 1, 1);
  return { version, source: name, ...counts, encoded: fresh.size, models: modelsByModality(used), warnings };
}

/** The record of each modality's model, the last one given winning. */
function modelsByModality(used: readonly UsedModel[]): Partial<Record<Modality, ModelRecord>> {
  return Object.fromEntries(used.map((u) => [u.modality, u.record]));
}

/** The body of {@link KnowledgeBase.ingest} (items already checked, lock held). */
export async function ingestItems(
  ctx: KbContext,
  items: readonly IngestItem[],
  { sourceName, priority, location = sourceName, models = [] }: { sourceName: string; priority?: number; location?: string; models?: readonly UsedModel[] },
): Promise<SyncResult> {
  const storedPriority = ctx.db.prepare('SELECT priority FROM sources WHERE name = ?').pluck().get(sourceName) as number | undefined;
  const sourcePriority = priority ?? storedPriority ?? 0;
  const now = ctx.clock();
  const vectors = new Map<string, Float32Array>();
  const planItems: PlanItem[] = items.map((it) => {
    vectors.set(it.id, Float32Array.from(it.vector));
    return {
      id: it.id,
      modality: it.modality,
      path: it.path ?? null,
      text: it.text ?? null,
      start: it.start ?? null,
      end: it.end ?? null,
      tags: [...(it.tags ?? [])],
      timestamp: Math.round(it.timestamp ?? now),
      priority: it.priority ?? null,
      contentHash: it.contentHash,
      modelVersion: it.modelVersion,
    };
  });
  const plans = planSync(ctx.db, sourceName, planItems, sourcePriority);
  const { version, counts } = commitPlans(ctx.index, sourceName, location, sourcePriority, plans, (it) => vectors.get(it.id), [], models);
  return { version, source: sourceName, ...counts, encoded: 0, models: modelsByModality(models), warnings: [] };
}
