/**
 * Names and hashes a corpus run keys on: video keys (folder names and sample-key prefixes), sample
 * keys inside WebDataset shards, content hashes of videos and subtitles, and the job hash that says
 * "this output is what these inputs and options give".
 */
import { createHash } from 'node:crypto';
import { open, readFile, stat } from 'node:fs/promises';
import { CORPUS_DEFAULTS } from '../core/defaults.js';
import type { ModelIdentity } from '../../encoders/choice.js';
import type { Modality } from '../core/types.js';
import type { VideoAlignSettings } from './types.js';

/** A sample key may hold these only: WebDataset splits a file name at its first dot. */
export const KEY_PATTERN = /^[A-Za-z0-9_-]{1,200}$/;

/** A video key is a sample-key prefix and a folder name: the same characters, shorter. */
export const VIDEO_KEY_PATTERN = /^[A-Za-z0-9_-]{1,80}$/;

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/**
 * The key of a video from its path relative to the input: a readable slug plus 8 hex of the path's
 * hash, so `a/talk.mp4` and `b/talk.mp4` differ and a key never changes while the file stays put.
 *
 * @example
 * videoKey('lectures/week 1/intro.mp4'); // 'lectures_week_1_intro-3f2a9c1d'
 */
export function videoKey(relativePath: string): string {
  const norm = relativePath.split('\\').join('/');
  const stem = norm.replace(/\.[^./]*$/, '');
  const slug = stem.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(-60) || 'video';
  return `${slug}-${sha256(norm).slice(0, 8)}`;
}

/**
 * The WebDataset key of one sample (a frame–cue pair): video key, cue number, frame time in ms. No
 * dots, so loaders that split `KEY.jpg` at the first dot get the whole key back.
 *
 * @example
 * sampleKey('intro-3f2a9c1d', 12, 41.5); // 'intro-3f2a9c1d_c000012_t000041500'
 */
export function sampleKey(video: string, cueIndex: number, frameTime: number): string {
  const ms = Math.max(0, Math.round(frameTime * 1000));
  return `${video}_c${String(cueIndex).padStart(6, '0')}_t${String(ms).padStart(9, '0')}`;
}

/**
 * A content hash of a video that does not read the whole file: its size and 1 MiB from its start,
 * middle and end. A re-encode, a trim or a different file changes it; reading terabytes to resume a
 * corpus would not be worth the rare edit that keeps size and all three samples.
 *
 * @example
 * await videoContentHash('talk.mp4'); // 'e3b0c442...'
 */
export async function videoContentHash(file: string, sampleBytes: number = CORPUS_DEFAULTS.hashSampleBytes): Promise<string> {
  const { size } = await stat(file);
  const hash = createHash('sha256').update(`size:${size}\n`);
  const fh = await open(file, 'r');
  try {
    const offsets = size <= 3 * sampleBytes ? [0] : [0, Math.floor(size / 2 - sampleBytes / 2), size - sampleBytes];
    for (const offset of offsets) {
      const buf = Buffer.alloc(Math.min(size <= 3 * sampleBytes ? size : sampleBytes, size - offset));
      const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
      hash.update(buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}

/** sha256 of a whole (small) file, e.g. subtitles or projection heads. */
export async function fileHash(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

/** JSON with sorted object keys, so equal settings hash equally whatever order they were built in. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The job hash: equal only when the video content, the subtitles (content, or "embedded" with the
 * preferred language), the prompt and every align setting that shapes the output are equal.
 *
 * @example
 * jobHash({ video: vHash, subtitles: sHash, align, prompt: 'Describe.', headsHash: null, subLang: null });
 */
export function jobHash(parts: {
  video: string;
  subtitles: string | null;
  align: VideoAlignSettings;
  prompt: string;
  headsHash: string | null;
  subLang: string | null;
  /** The model files embedding uses (see CorpusPlan.models); null or absent when not embedding. */
  models?: Partial<Record<Modality, Pick<ModelIdentity, 'model' | 'dtype' | 'fingerprint'>>> | null;
}): string {
  // Downloading is how a model arrives, not what it is: allowRemote does not shape the output.
  const { modelsDir, allowRemote: _allowRemote, model = {}, dtype = {}, ...align } = parts.align;
  const files = parts.models
    ? Object.fromEntries(Object.entries(parts.models).map(([m, f]) => [m, { model: f.model, dtype: f.dtype, fingerprint: f.fingerprint }]))
    : undefined;
  return sha256(
    canonicalJson({
      v: 1,
      video: parts.video,
      subtitles: parts.subtitles ?? { embedded: parts.subLang },
      align: { ...align, model, dtype, prompt: parts.prompt, heads: parts.headsHash, modelsDir, files },
    }),
  );
}

/**
 * The corpus id: given, or derived from the output folder, so two corpora on one Redis never share jobs.
 *
 * @example
 * corpusId('/data/corpus-out'); // 'c-5d41402abc4b'
 */
export function corpusId(outDir: string, given?: string): string {
  if (given !== undefined) return given;
  return `c-${sha256(outDir).slice(0, 12)}`;
}

/** The BullMQ id of a video job (BullMQ ids may not contain `:`). */
export function videoJobId(corpus: string, hash: string): string {
  return `${corpus}-v-${hash.slice(0, 32)}`;
}

/** The BullMQ id of the finalize (flow parent) job of one plan. */
export function finalizeJobId(corpus: string, planHash: string): string {
  return `${corpus}-f-${planHash.slice(0, 32)}`;
}

/** sha256 of any JSON-able value, canonically ordered. */
export function hashOf(value: unknown): string {
  return sha256(canonicalJson(value));
}

/**
 * A number in [0, 1) fixed by the seed and the key: which side of a video split a video falls on,
 * the same whatever else is in the corpus, so adding videos never moves old ones between train and dev.
 *
 * @example
 * unitHash(0, 'intro-3f2a9c1d'); // 0.7312...
 */
export function unitHash(seed: number, key: string): number {
  return createHash('sha256').update(`${seed}\0${key}`).digest().readUInt32BE(0) / 2 ** 32;
}
