/**
 * Aligned videos in the knowledge base: a sink that ingests what the align pipeline hands over, and the
 * per-cue items (text, frame, audio) a sync with `videos: 'align'` gets from the video aligner it was given.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MODALITIES, type ModelRecord, type Modality, type Warning } from '../../src/core/types.js';
import { InputFileError } from '../../src/core/errors/index.js';
import { identifyModel, type ModelIdentity } from '../../encoders/choice.js';
import { ProjectionHeads } from '../../encoders/heads.js';
import type { KbContext } from './context.js';
import type { KnowledgeBase } from './knowledge-base.js';
import { readModels, recordKey, type UsedModel } from './models.js';
import type { PlanItem } from './plan.js';
import { contentHashOfFile, type ScannedVideo } from './sources.js';
import type { AlignedBatch, AlignVideoFn, IngestItem, SyncResult } from './types.js';

/**
 * A sink for `alignVideo` that ingests a video's aligned output as one knowledge-base version, source =
 * the video's path: one text item per cue (`<video>#text:<cue>` with its times), one image item per frame
 * (`<video>#frame:t…`, the frame file, tagged `cue:<n>` when paired) and one audio item per cue
 * (`<video>#audio:<cue>`). Re-aligning the same video replaces what changed and deletes what is gone.
 *
 * @example
 * await alignVideo('talk.mp4', 'talk.srt', { out: 'out', sink: alignedSink(kb, { modelVersion: 'tiny@seeded' }) });
 */
export function alignedSink(
  kb: Pick<KnowledgeBase, 'ingest'>,
  { modelVersion, priority }: { modelVersion?: string | Partial<Record<Modality, string>>; priority?: number } = {},
): (batch: AlignedBatch) => Promise<SyncResult> {
  return async (batch) => {
    // Without an explicit version, key vectors on the model + heads the pipeline says produced them,
    // so a later sync with other models or trained heads re-encodes instead of trusting stale vectors.
    const versionOf = (m: Modality): string => {
      if (typeof modelVersion === 'string') return modelVersion;
      const given = modelVersion?.[m];
      if (given) return given;
      const info = batch.models?.[m];
      return info ? recordKey({ model: info.model, heads: info.heads, fingerprint: info.fingerprint ?? null }) : 'align';
    };
    // The video's mtime, not "now": re-aligning an unchanged video then leaves its items unchanged.
    const mtime = await stat(batch.video).then((st) => Math.round(st.mtimeMs), () => undefined);
    const items = alignedToItems(batch, batch.video, versionOf).map((it) => ({ ...it, timestamp: mtime }));
    // Records only where the items carry their key: an explicit modelVersion names something else.
    const models = modelVersion === undefined ? fullRecords(batch.models) : {};
    return kb.ingest(items, { sourceName: batch.video, priority, models });
  };
}

/** The batch's model records with every field present (records from custom encoders lack some). */
function fullRecords(models: AlignedBatch['models']): Partial<Record<Modality, ModelRecord>> {
  const out: Partial<Record<Modality, ModelRecord>> = {};
  for (const [m, r] of Object.entries(models ?? {}) as [Modality, NonNullable<AlignedBatch['models']>[Modality]][]) {
    if (r) out[m] = { model: r.model, dtype: r.dtype ?? null, device: r.device ?? 'unknown', fingerprint: r.fingerprint ?? null, heads: r.heads ?? null };
  }
  return out;
}

/** Items of an aligned batch, ids `<prefix>#<pipeline id>`; content hash = hash of the vector. */
function alignedToItems({ video, pairs, vectors }: AlignedBatch, prefix: string, versionOf: (m: Modality) => string): IngestItem[] {
  const cues = new Map<number, { start: number; end: number; text: string }>();
  const frames = new Map<string, { cue: number; path: string }>();
  for (const p of pairs) {
    cues.set(p.cue_index, { start: p.start, end: p.end, text: p.text });
    frames.set(p.frame_time.toFixed(3), { cue: p.cue_index, path: p.frame });
  }
  const items: IngestItem[] = [];
  for (const v of vectors) {
    const [kind, key] = v.id.split(':', 2);
    const hash = createHash('sha256').update(new Uint8Array(v.vector.buffer, v.vector.byteOffset, v.vector.byteLength)).digest('hex');
    const base = { id: `${prefix}#${v.id}`, modality: v.modality, vector: v.vector, modelVersion: versionOf(v.modality), contentHash: hash };
    if (kind === 'frame') {
      const t = Number(key.replace(/^t/, ''));
      const f = frames.get(t.toFixed(3));
      items.push({ ...base, path: f?.path ?? null, start: t, end: t, tags: f === undefined ? [] : [`cue:${f.cue}`] });
    } else {
      const cue = cues.get(Number(key));
      items.push({ ...base, path: video, text: kind === 'text' ? (cue?.text ?? null) : null, start: cue?.start ?? null, end: cue?.end ?? null, tags: [`cue:${key}`] });
    }
  }
  return items;
}

/**
 * The model version (`<model>@<heads>#<fingerprint>`) of each modality an align run embedded with, read
 * from its `embeddings.json` (the same form the default embedders record), for {@link alignedSink}'s `modelVersion`.
 *
 * @example
 * let batch; const r = await alignVideo(v, s, { out, sink: async (b) => void (batch = b) });
 * await alignedSink(kb, { modelVersion: await alignedModelVersions(r.files.embeddingsIndex!) })(batch);
 */
export async function alignedModelVersions(embeddingsIndex: string): Promise<Partial<Record<Modality, string>>> {
  return Object.fromEntries(Object.entries(await alignedModels(embeddingsIndex)).map(([m, r]) => [m, recordKey(r)]));
}

/** The model record of each modality in an align run's `embeddings.json`. */
async function alignedModels(embeddingsIndex: string): Promise<Partial<Record<Modality, ModelRecord>>> {
  let parsed: { models?: AlignedBatch['models'] };
  try {
    parsed = JSON.parse(await readFile(embeddingsIndex, 'utf8')) as typeof parsed;
  } catch (err) {
    throw new InputFileError(embeddingsIndex, `cannot read the embeddings index (${(err as Error).message})`, err);
  }
  const models = Object.fromEntries(Object.entries(parsed.models ?? {}).filter(([, r]) => typeof r?.model === 'string')) as AlignedBatch['models'];
  return fullRecords(models);
}

/**
 * A video's items from the align pipeline: per cue its text, frame and audio, ids `<video id>#text:3`,
 * `#frame:t000012.500`, `#audio:3`. When the video and subtitles match the fingerprint of the last
 * aligned sync, the stored items are offered again as they are (nothing re-aligned or re-encoded).
 */
export async function alignedVideoItems(
  ctx: KbContext,
  v: ScannedVideo,
  sourceName: string,
  alignFn: AlignVideoFn,
): Promise<{ items: { item: PlanItem; vector?: Float32Array }[]; warnings: Warning[]; fingerprint: { file: string; value: string }; models: UsedModel[] }> {
  const out = join(ctx.dir, 'aligned', createHash('sha256').update(v.video).digest('hex').slice(0, 16));
  const [vs, ss] = await Promise.all([stat(v.video), stat(v.subtitles)]);
  const { heads, modelsDir, model, dtype, allowRemote, device, logger } = ctx.encoderOptions;
  // Other model files (another id, dtype, or a file replaced under the same id) give other vectors: re-align.
  const files: Record<string, ModelIdentity> = {};
  for (const m of MODALITIES) files[m] = await identifyModel(m, { model, dtype, modelsDir, allowRemote });
  const value = JSON.stringify({
    video: v.video,
    size: vs.size,
    mtime: vs.mtimeMs,
    subtitles: await contentHashOfFile('text', v.subtitles),
    mode: 'cue',
    models: modelsDir ?? null,
    files: Object.fromEntries(Object.entries(files).map(([m, f]) => [m, `${f.model}:${f.dtype}:${f.fingerprint}`])),
    // The weights' version, not the path: heads retrained in place (heads watch) must re-align.
    heads: typeof heads === 'string' ? (await ProjectionHeads.load(heads)).metadata.version : (heads?.metadata.version ?? null),
  });
  const fingerprint = { file: join(out, 'kb-fingerprint.json'), value };
  const timestamp = Math.round(Math.max(vs.mtimeMs, ss.mtimeMs));
  const previous = await readFile(fingerprint.file, 'utf8').catch(() => null);
  if (previous === value) {
    const rows = ctx.db
      .prepare("SELECT id, modality, path, text, start, end, tags, timestamp, priority, content_hash, model_version FROM items WHERE source = ? AND id LIKE ? ESCAPE '\\'")
      .all(sourceName, `${v.id.replace(/[\\%_]/g, (c) => `\\${c}`)}#%`) as {
      id: string; modality: Modality; path: string | null; text: string | null; start: number | null; end: number | null; tags: string;
      timestamp: number | null; priority: number; content_hash: string; model_version: string;
    }[];
    const reused = rows.filter((r) => /#(text|frame|audio):/.test(r.id));
    if (reused.length > 0) {
      const known = new Map(readModels(ctx.db).map((m) => [m.key, m]));
      const models = [...new Set(reused.map((r) => r.model_version))].flatMap((key) => {
        const m = known.get(key);
        return m ? [{ key, modality: m.modality, record: { model: m.model, dtype: m.dtype, device: m.device, fingerprint: m.fingerprint, heads: m.heads } }] : [];
      });
      return {
        models,
        items: reused.map((r) => ({
          item: { id: r.id, modality: r.modality, path: r.path, text: r.text, start: r.start, end: r.end, tags: JSON.parse(r.tags) as string[],
            timestamp: r.timestamp ?? timestamp, priority: null, contentHash: r.content_hash, modelVersion: r.model_version },
        })),
        warnings: [],
        fingerprint,
      };
    }
  }
  let batch: AlignedBatch | null = null;
  const result = await alignFn(v.video, v.subtitles, { out, mode: 'cue', device, model, dtype, allowRemote, modelsDir, heads, logger, sink: async (b) => void (batch = b) });
  if (batch === null) return { items: [], warnings: [...result.warnings, { file: v.video, message: 'alignment produced no vectors; video skipped' }], fingerprint, models: [] };
  const records = result.files.embeddingsIndex ? await alignedModels(result.files.embeddingsIndex) : {};
  const versionOf = (m: Modality): string => (records[m] ? recordKey(records[m]) : 'align');
  const models = (Object.entries(records) as [Modality, ModelRecord][]).map(([modality, record]) => ({ key: recordKey(record), modality, record }));
  const items = alignedToItems(batch, v.id, versionOf).map((it) => ({
    item: { id: it.id, modality: it.modality, path: it.path ?? null, text: it.text ?? null, start: it.start ?? null, end: it.end ?? null,
      tags: [...(it.tags ?? [])], timestamp, priority: null, contentHash: it.contentHash, modelVersion: it.modelVersion },
    vector: Float32Array.from(it.vector),
  }));
  return { items, warnings: result.warnings, fingerprint, models };
}
