/**
 * Stage 7, export: the new frames moved into place, then pairs.jsonl, the train/dev dataset, the
 * LLaMA-Factory card and the embeddings, each file replaced atomically; run.json is written last by
 * {@link writeRunRecord}, so its presence means a complete run.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { replaceWithStaged, writeFileAtomic } from '../../core/fs.js';
import { llamaFactoryDatasetInfo, splitCheckedTrainDev, toDatasetRecord, toJsonl, type AlignedPair, type ExportFormat } from '../dataset.js';
import type { KeyedVector, ModelsUsed, OutputFiles, StageContext } from '../types.js';

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
}

export interface ExportOutput {
  train: number;
  dev: number;
  files: OutputFiles;
}

/** The files of an align output folder for this run. */
export function outputFiles(out: string, format: ExportFormat, embedded: boolean): OutputFiles {
  return {
    frames: path.join(out, 'frames'),
    pairs: path.join(out, 'pairs.jsonl'),
    train: path.join(out, 'train.jsonl'),
    dev: path.join(out, 'dev.jsonl'),
    manifest: path.join(out, 'run.json'),
    embeddings: embedded ? path.join(out, 'embeddings.f32') : null,
    embeddingsIndex: embedded ? path.join(out, 'embeddings.json') : null,
    datasetInfo: format === 'glm41v' ? path.join(out, 'dataset_info.json') : null,
  };
}

/**
 * Writes the dataset files of a run.
 *
 * @example
 * const { train, dev } = await exportStage({ out, pairs, vectors, models, format: 'glm4v', prompt, split: 0.9, seed: 0, staged }, ctx);
 */
export async function exportStage(input: ExportInput, ctx: StageContext): Promise<ExportOutput> {
  const { out, pairs, vectors, models, format, prompt, split, seed, staged } = input;
  const files = outputFiles(out, format, vectors.length > 0);
  const bar = ctx.progress.stage('export', 4);
  const parts = splitCheckedTrainDev(pairs, (p) => p.cue_index, split, seed);
  if (pairs.length > 0 && (parts.train.length === 0 || parts.dev.length === 0)) {
    // Fine-tuning scripts fail on an empty split file; say so now rather than at training time.
    const empty = parts.train.length === 0 ? 'train.jsonl' : 'dev.jsonl';
    ctx.warnings.push({ message: `${empty} is empty (${new Set(pairs.map((p) => p.cue_index)).size} paired cue(s), --split ${split}); training scripts may reject it` });
  }
  if (staged) {
    // The old dataset goes before the old frames, run.json first: an interruption here leaves
    // no complete-looking run and no dataset line pointing at a frame that is gone.
    for (const name of ['run.json', 'pairs.jsonl', 'train.jsonl', 'dev.jsonl', 'dataset_info.json']) {
      await rm(path.join(out, name), { force: true });
    }
    await replaceWithStaged(staged, files.frames);
  }
  await writeFileAtomic(files.pairs, toJsonl(pairs));
  bar.tick();
  await writeFileAtomic(files.train, toJsonl(parts.train.map((p) => toDatasetRecord(p, format, prompt))));
  await writeFileAtomic(files.dev, toJsonl(parts.dev.map((p) => toDatasetRecord(p, format, prompt))));
  bar.tick(2);
  // GLM-4.1V trains through LLaMA-Factory, which wants the files registered; other formats must not keep a stale card.
  if (files.datasetInfo) {
    await writeFileAtomic(files.datasetInfo, JSON.stringify(llamaFactoryDatasetInfo('train.jsonl', 'dev.jsonl'), null, 2) + '\n');
  } else {
    await rm(path.join(out, 'dataset_info.json'), { force: true });
  }
  if (vectors.length) {
    const dim = vectors[0].vector.length;
    const matrix = new Float32Array(vectors.length * dim);
    vectors.forEach((v, i) => matrix.set(v.vector, i * dim));
    await writeFileAtomic(files.embeddings!, new Uint8Array(matrix.buffer));
    const index = {
      dtype: 'float32',
      dim,
      count: vectors.length,
      layout: 'row-major, little-endian; row r starts at byte r * dim * 4',
      models,
      rows: vectors.map((v, row) => ({ id: v.id, modality: v.modality, row, model: models[v.modality]?.model ?? null, heads: models[v.modality]?.heads ?? null, key: v.key })),
    };
    await writeFileAtomic(files.embeddingsIndex!, JSON.stringify(index, null, 1) + '\n');
  } else {
    // A rerun with --no-embed must not leave vectors from an earlier run that no longer match the pairs.
    await rm(path.join(out, 'embeddings.f32'), { force: true });
    await rm(path.join(out, 'embeddings.json'), { force: true });
  }
  bar.done();
  return { train: parts.train.length, dev: parts.dev.length, files };
}

/**
 * Writes run.json (options, models and the result), the mark of a complete run.
 *
 * @example
 * await writeRunRecord(result.files.manifest, { version: 1, options, models, ...result });
 */
export async function writeRunRecord(file: string, record: Record<string, unknown>): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(record, null, 2) + '\n');
}
