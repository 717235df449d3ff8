/**
 * Knowledge-base ingestion of a corpus, by its single writer (the finalize step): each aligned
 * video's pairs and vectors, read back from its align output folder, go in as one source through
 * `alignedSink`, exactly as `align --kb` puts a video in. Workers never open the knowledge base, so
 * there is no lock contention however many machines align; what this costs per item is in stats.json.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { KnowledgeBase, alignedSink, type AlignedBatch } from '../../index/index.js';
import { OutputError } from '../core/errors/index.js';
import { writeFileAtomic } from '../core/fs.js';
import type { Modality } from '../core/types.js';
import type { AlignedPair } from '../pipeline/dataset.js';
import { stateDir } from './state.js';

/** One aligned video to ingest. */
export interface IngestVideo {
  key: string;
  jobHash: string;
  /** The video path the items are recorded under (their source). */
  video: string;
  /** Its align output folder. */
  dir: string;
}

export interface KbIngestStats {
  dir: string;
  /** Videos ingested in this run. */
  videos: number;
  /** Videos already in the knowledge base with the same content and settings. */
  skipped: number;
  added: number;
  updated: number;
  deleted: number;
  unchanged: number;
  /** Items handed to the knowledge base in this run. */
  items: number;
  seconds: number;
  /** Writer time per item handed in, in milliseconds (what the single writer costs). */
  msPerItem: number | null;
}

interface IngestState {
  version: 1;
  /** Per knowledge base (absolute folder): video key → job hash ingested. */
  kbs: Record<string, Record<string, string>>;
}

const stateFile = (out: string): string => path.join(stateDir(out), 'kb.json');

async function readState(out: string): Promise<IngestState> {
  try {
    const s = JSON.parse(await readFile(stateFile(out), 'utf8')) as IngestState;
    return s.version === 1 && s.kbs && typeof s.kbs === 'object' ? s : { version: 1, kbs: {} };
  } catch {
    return { version: 1, kbs: {} };
  }
}

/**
 * The batch `alignVideo` handed its sink for this video, rebuilt from its output folder: pairs from
 * pairs.jsonl (frame paths as this machine sees the folder), vectors from embeddings.f32/json.
 */
export async function alignedBatchFromFolder(dir: string, video: string): Promise<AlignedBatch | null> {
  const indexFile = path.join(dir, 'embeddings.json');
  const indexText = await readFile(indexFile, 'utf8').catch(() => null);
  if (indexText === null) return null; // aligned without embeddings: nothing to index
  const index = JSON.parse(indexText) as {
    dim: number;
    count: number;
    models?: AlignedBatch['models'];
    rows: { id: string; modality: Modality; row: number }[];
  };
  const raw = await readFile(path.join(dir, 'embeddings.f32'));
  if (raw.length !== index.count * index.dim * 4) {
    throw new OutputError(path.join(dir, 'embeddings.f32'), `holds ${raw.length} bytes, but embeddings.json describes ${index.count} × ${index.dim} float32; realign this video`);
  }
  const all = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
  const vectors = index.rows.map((r) => ({ id: r.id, modality: r.modality, vector: all.slice(r.row * index.dim, (r.row + 1) * index.dim) }));
  const pairs = (await readFile(path.join(dir, 'pairs.jsonl'), 'utf8'))
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as AlignedPair)
    .map((p) => ({ ...p, video, frame: path.join(dir, 'frames', path.basename(p.frame)) }));
  return { video, pairs, vectors, models: index.models ?? {} };
}

/**
 * Ingests `videos` into the knowledge base at `kbDir`, skipping those already ingested with the same
 * job hash (a rerun adds no version). Returns counts and the writer's time per item.
 *
 * @example
 * const stats = await ingestCorpus('/data/kb', videos, '/data/corpus-out');
 */
export async function ingestCorpus(
  kbDir: string,
  videos: readonly IngestVideo[],
  out: string,
  { onVideo }: { onVideo?: (key: string) => void } = {},
): Promise<KbIngestStats> {
  const abs = path.resolve(kbDir);
  const state = await readState(out);
  const done = (state.kbs[abs] ??= {});
  const todo = videos.filter((v) => done[v.key] !== v.jobHash);
  const stats: KbIngestStats = { dir: abs, videos: 0, skipped: videos.length - todo.length, added: 0, updated: 0, deleted: 0, unchanged: 0, items: 0, seconds: 0, msPerItem: null };
  if (todo.length === 0) return stats;
  const save = () => writeFileAtomic(stateFile(out), JSON.stringify(state) + '\n');
  const t0 = performance.now();
  let writerMs = 0;
  const kb = await KnowledgeBase.open(abs);
  try {
    const sink = alignedSink(kb);
    for (const [i, v] of todo.entries()) {
      const batch = await alignedBatchFromFolder(v.dir, v.video);
      if (batch) {
        const w0 = performance.now();
        const r = await sink(batch);
        writerMs += performance.now() - w0;
        stats.added += r.added;
        stats.updated += r.updated;
        stats.deleted += r.deleted;
        stats.unchanged += r.unchanged;
        stats.items += batch.vectors.length;
        stats.videos++;
      }
      done[v.key] = v.jobHash;
      onVideo?.(v.key);
      // The knowledge base is idempotent; the state only saves re-reading unchanged videos, so it is saved in steps.
      if ((i + 1) % 25 === 0) await save();
    }
  } finally {
    await kb.close();
    await save();
  }
  stats.seconds = Math.round(performance.now() - t0) / 1000;
  stats.msPerItem = stats.items > 0 ? Math.round((writerMs / stats.items) * 1000) / 1000 : null;
  return stats;
}
