import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { createEncoder } from '../../encoders/encoder.js';
import type { Logger } from '../core/progress.js';
import { embedRawPairs, NativeCache, type RawPairs } from '../../encoders/native-cache.js';
import type { NativePairs } from '../../encoders/native-pairs.js';
import type { PerModality } from '../../encoders/choice.js';
import type { Device, Dtype, Encoder } from '../../encoders/types.js';
import { DB_FILE } from '../../index/vector/files.js';
import { DEFAULT_DEVICE } from '../core/defaults.js';
import { InputFileError } from '../core/errors/index.js';
import { silentProgress, type Progress } from '../core/progress.js';
import type { Modality, Warning } from '../core/types.js';
import { alignedFromLines, type ReadPairsOptions } from './aligned-pairs.js';
import { parseJsonLines } from './jsonl.js';
import { kbRawPairs } from './kb-pairs.js';
import { isNativeLine, nativeFromLines } from './native-jsonl.js';

// The app-layer glue between PAIRS arguments (files and knowledge bases) and the trainer in encoders/.
export { kbRawPairs } from './kb-pairs.js';
export type { ReadPairsOptions } from './aligned-pairs.js';

/** What a PAIRS argument turned out to be. */
export type PairsSource =
  | { kind: 'native'; data: NativePairs; warnings: Warning[] }
  | { kind: 'aligned' | 'kb'; raw: RawPairs; warnings: Warning[] };

/**
 * Reads PAIRS for `mmalign heads train|eval`: the `pairs.jsonl` of `mmalign align` or a
 * knowledge-base folder (inputs still to embed; see {@link kbRawPairs}), or a native-embeddings
 * JSONL (vectors given, nothing to embed; see {@link nativeFromLines} for its item ids, groups and labels).
 *
 * @example
 * const src = await readPairsFile('out/pairs.jsonl');
 * if (src.kind === 'aligned') console.log(src.raw.pairs.length);
 */
export async function readPairsFile(file: string, options: ReadPairsOptions = {}): Promise<PairsSource> {
  if ((await stat(file).catch(() => null))?.isDirectory()) {
    if (!existsSync(join(file, DB_FILE))) throw new InputFileError(file, 'a folder but not a knowledge base; give a pairs.jsonl, a native JSONL or a knowledge-base folder');
    return { kind: 'kb', raw: await kbRawPairs(file, options), warnings: [] };
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new InputFileError(file, `cannot read pairs (${(err as NodeJS.ErrnoException).code ?? String(err)})`, err);
  }
  const lines = parseJsonLines(text, file);
  if (lines.length === 0) throw new InputFileError(file, 'no pairs in the file');
  if (isNativeLine(lines[0].obj)) return { kind: 'native', data: nativeFromLines(lines, file), warnings: [] };
  return { kind: 'aligned', ...(await alignedFromLines(lines, file, options)) };
}

export interface NativePairsFromFileOptions extends ReadPairsOptions {
  /** Model id or folder per modality (default: each modality's embedded tiny model). */
  models?: Partial<Record<Modality, string>>;
  /** ONNX variant, for all modalities or per modality (default fp32). */
  dtype?: PerModality<Dtype>;
  /** Download a model found nowhere locally (default false). */
  allowRemote?: boolean;
  /** Folder of models in `<org>/<name>` layout (the CLI's `--models`). */
  modelsDir?: string;
  device?: Device;
  /** Folder of the native-embedding cache; default: next to PAIRS (a knowledge base: its `native-cache/`); null: no cache. */
  cacheDir?: string | null;
  progress?: Progress;
  logger?: Logger;
}

/**
 * Native embeddings for training or evaluating heads from PAIRS (pairs.jsonl, a knowledge-base
 * folder, or a native JSONL): inputs are embedded once with the encoders' `embedNative` and cached.
 *
 * @example
 * const { data } = await nativePairsFromFile('out/pairs.jsonl', { device: 'cpu' });
 * const { heads } = await trainHeads(data, { epochs: 20 });
 * await heads.save('heads.safetensors');
 */
export async function nativePairsFromFile(
  file: string,
  { models = {}, dtype, allowRemote, modelsDir, device = DEFAULT_DEVICE, cacheDir, progress = silentProgress, logger, ...read }: NativePairsFromFileOptions = {},
): Promise<{ data: NativePairs; warnings: Warning[] }> {
  const src = await readPairsFile(file, read);
  if (src.kind === 'native') return { data: src.data, warnings: src.warnings };
  const encoders = new Map<Modality, Promise<Encoder>>();
  const encoder = (m: Modality): Promise<Encoder> => {
    let e = encoders.get(m);
    if (!e) {
      e = createEncoder(m, { model: models[m], dtype, allowRemote, modelsDir, device, ...(logger ? { logger } : {}) }) as Promise<Encoder>;
      encoders.set(m, e);
    }
    return e;
  };
  const dir = cacheDir === null ? null : resolve(cacheDir ?? (src.kind === 'kb' ? join(file, 'native-cache') : dirname(resolve(file))));
  try {
    const cache = dir ? await NativeCache.open(dir) : null;
    return { data: await embedRawPairs(src.raw, { encoder, cache, progress }), warnings: src.warnings };
  } finally {
    for (const e of encoders.values()) await (await e.catch(() => null))?.dispose();
  }
}
