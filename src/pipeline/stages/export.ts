/**
 * Stage 7, export, in two steps so that a full disk can never cost the previous run:
 * 1. {@link exportStage} writes pairs.jsonl, the train/dev dataset, the LLaMA-Factory card and the
 *    embeddings into a staging folder in DIR (every byte that needs space is written here; a failure
 *    removes the staging folder and DIR is as it was);
 * 2. its `commit` adds run.json to the staging folder, then moves the new frames and files into
 *    place by renames (which need no space), run.json last, so its presence means a complete run.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { environmentError } from '../../core/errors/index.js';
import { makeStagingDir, replaceWithStaged, writeFileAtomic } from '../../core/fs.js';
import { llamaFactoryDatasetInfo, splitCheckedTrainDev, toDatasetRecord, toJsonl, type AlignedPair, type ExportFormat } from '../dataset.js';
import type { KeyedVector, ModelsUsed, OutputFiles, StageContext } from '../types.js';
import { EMBEDDED_SUBTITLE_NAMES } from './subtitles.js';

export interface ExportInput {
  out: string;
  pairs: readonly AlignedPair[];
  vectors: readonly KeyedVector[];
  models: ModelsUsed;
  format: ExportFormat;
  prompt: string;
  split: number;
  seed: number;
  /** Staging folder of new frames to move over `DIR/frames`, or null when the frames were reused. */
  staged: string | null;
  /** Files besides the dataset, put in place with it: `sync.json`, the extracted subtitle stream (names from SIDE_FILES). */
  extras?: readonly { name: string; data: string | Uint8Array }[];
}

export interface ExportOutput {
  train: number;
  dev: number;
  files: OutputFiles;
  /** Puts the staged output (and `run`, as run.json) in place. Until it is called DIR is unchanged. */
  commit(run: Record<string, unknown>): Promise<void>;
  /** Drops the staged files instead (a later step failed). */
  abandon(): Promise<void>;
}

/**
 * Files beside the dataset: the sync stage's `sync.json`, and the copy of a subtitle stream
 * extracted from the video (only when that was the source). A run that does not write one removes
 * the previous run's.
 */
export const SIDE_FILES: readonly string[] = Object.freeze(['sync.json', ...EMBEDDED_SUBTITLE_NAMES]);

/** The top-level names a run with this format may write (see OUTPUT_NAMES in out-dir.ts). */
export function writtenNames(format: ExportFormat, embed: boolean): string[] {
  return [
    'frames', 'pairs.jsonl', 'train.jsonl', 'dev.jsonl', 'run.json',
    ...(format === 'glm41v' ? ['dataset_info.json'] : []),
    ...(embed ? ['embeddings.f32', 'embeddings.json'] : []),
    ...SIDE_FILES,
  ];
}

/** The files of an align output folder for this run (`extras`: the side files it writes). */
export function outputFiles(out: string, format: ExportFormat, embedded: boolean, extras: readonly string[] = []): OutputFiles {
  const subtitles = extras.find((n) => EMBEDDED_SUBTITLE_NAMES.includes(n));
  return {
    frames: path.join(out, 'frames'),
    pairs: path.join(out, 'pairs.jsonl'),
    train: path.join(out, 'train.jsonl'),
    dev: path.join(out, 'dev.jsonl'),
    manifest: path.join(out, 'run.json'),
    embeddings: embedded ? path.join(out, 'embeddings.f32') : null,
    embeddingsIndex: embedded ? path.join(out, 'embeddings.json') : null,
    datasetInfo: format === 'glm41v' ? path.join(out, 'dataset_info.json') : null,
    sync: path.join(out, 'sync.json'),
    subtitles: subtitles ? path.join(out, subtitles) : null,
  };
}

function embeddingFiles(vectors: readonly KeyedVector[], models: ModelsUsed): { matrix: Uint8Array; index: string } {
  const dim = vectors[0].vector.length;
  const matrix = new Float32Array(vectors.length * dim);
  vectors.forEach((v, i) => matrix.set(v.vector, i * dim));
  const index = {
    dtype: 'float32',
    dim,
    count: vectors.length,
    layout: 'row-major, little-endian; row r starts at byte r * dim * 4',
    models,
    rows: vectors.map((v, row) => ({ id: v.id, modality: v.modality, row, model: models[v.modality]?.model ?? null, heads: models[v.modality]?.heads ?? null, key: v.key })),
  };
  return { matrix: new Uint8Array(matrix.buffer), index: JSON.stringify(index, null, 1) + '\n' };
}

/**
 * Writes the dataset files of a run into staging; see the file comment for the two steps.
 * A full disk or a read-only folder is a DiskFullError / NotWritableError naming the file.
 *
 * @example
 * const exported = await exportStage({ out, pairs, vectors, models, format: 'glm4v', prompt, split: 0.9, seed: 0, staged }, ctx);
 * await exported.commit({ version: 1, ...result });
 */
export async function exportStage(input: ExportInput, ctx: StageContext): Promise<ExportOutput> {
  const { out, pairs, vectors, models, format, prompt, split, seed, staged, extras = [] } = input;
  const files = outputFiles(out, format, vectors.length > 0, extras.map((e) => e.name));
  const bar = ctx.progress.stage('export', 4);
  const parts = splitCheckedTrainDev(pairs, (p) => p.cue_index, split, seed);
  if (pairs.length > 0 && (parts.train.length === 0 || parts.dev.length === 0)) {
    // Fine-tuning scripts fail on an empty split file; say so now rather than at training time.
    const empty = parts.train.length === 0 ? 'train.jsonl' : 'dev.jsonl';
    ctx.warnings.push({ message: `${empty} is empty (${new Set(pairs.map((p) => p.cue_index)).size} paired cue(s), --split ${split}); training scripts may reject it` });
  }

  const dataset = await makeStagingDir(path.join(out, 'dataset')).catch((err: unknown) => {
    throw environmentError(err, out, 'writing the dataset') ?? err;
  });
  const names: string[] = [];
  const put = async (name: string, data: string | Uint8Array) => {
    try {
      await writeFileAtomic(path.join(dataset, name), data);
    } catch (err) {
      throw environmentError(err, path.join(out, name), 'writing the dataset') ?? err;
    }
    names.push(name);
  };
  const abandon = () => rm(dataset, { recursive: true, force: true });
  try {
    await put('pairs.jsonl', toJsonl(pairs));
    bar.tick();
    await put('train.jsonl', toJsonl(parts.train.map((p) => toDatasetRecord(p, format, prompt))));
    await put('dev.jsonl', toJsonl(parts.dev.map((p) => toDatasetRecord(p, format, prompt))));
    bar.tick(2);
    // GLM-4.1V trains through LLaMA-Factory, which wants the files registered.
    if (files.datasetInfo) await put('dataset_info.json', JSON.stringify(llamaFactoryDatasetInfo('train.jsonl', 'dev.jsonl'), null, 2) + '\n');
    if (vectors.length) {
      const { matrix, index } = embeddingFiles(vectors, models);
      await put('embeddings.f32', matrix);
      await put('embeddings.json', index);
    }
    for (const extra of extras) await put(extra.name, extra.data);
  } catch (err) {
    await abandon();
    throw err;
  }
  bar.done();

  const commit = async (run: Record<string, unknown>) => {
    try {
      await put('run.json', JSON.stringify(run, null, 2) + '\n');
    } catch (err) {
      await abandon();
      throw err;
    }
    const action = 'moving the new output into place';
    try {
      // run.json goes first: an interruption from here on leaves no complete-looking run. Then the
      // old dataset (and whatever this run does not write: the card of another format, vectors of an
      // embedded run) before the old frames, so no dataset line points at a frame that is gone.
      await rm(files.manifest, { force: true });
      for (const name of ['pairs.jsonl', 'train.jsonl', 'dev.jsonl', 'dataset_info.json', 'embeddings.f32', 'embeddings.json', ...SIDE_FILES]) {
        if (!names.includes(name) || staged) await rm(path.join(out, name), { force: true });
      }
      if (staged) await replaceWithStaged(staged, files.frames);
      for (const name of names) {
        if (name !== 'run.json') await replaceWithStaged(path.join(dataset, name), path.join(out, name));
      }
      await replaceWithStaged(path.join(dataset, 'run.json'), files.manifest);
    } catch (err) {
      throw environmentError(err, out, action) ?? err;
    } finally {
      await abandon();
    }
  };
  return { train: parts.train.length, dev: parts.dev.length, files, commit, abandon };
}
