/**
 * Fine-tuning dataset export: aligned frame/cue pairs as JSONL records that GLM training scripts
 * read as is, and a deterministic train/dev split that keeps every cue on one side.
 */
import { InvalidOptionError } from '../core/errors/index.js';
import { SPLIT_SEED, TRAIN_FRACTION } from '../core/defaults.js';
import { mulberry32 } from '../core/random.js';

/** Dataset formats `mmalign align --format` writes. */
export type ExportFormat = 'glm4v' | 'glm41v' | 'pairs';
export const EXPORT_FORMATS: readonly ExportFormat[] = Object.freeze(['glm4v', 'glm41v', 'pairs'] as const);

/** The default user turn: the assistant's answer is the subtitle line spoken over the frame. */
export const DEFAULT_PROMPT = 'What is being said in this scene?';

/** One aligned frame–cue pair, as written to pairs.jsonl. Times in seconds. */
export interface AlignedPair {
  /** Absolute path of the source video. */
  video: string;
  /** Absolute path of the frame JPEG. */
  frame: string;
  frame_time: number;
  /** The cue's own number from the subtitle file (1-based in SRT). */
  cue_index: number;
  start: number;
  end: number;
  text: string;
  /** Seconds between the frame and the cue (0 inside it). */
  distance: number;
  /** Cosine similarity of frame and cue text in the shared space (only with embeddings on). */
  frame_text_similarity?: number;
  /** Cosine similarity of the cue's audio and its text (only with embeddings on and an audio track). */
  audio_text_similarity?: number;
}

export interface Glm4vRecord {
  messages: [{ role: 'user'; content: string; image: string }, { role: 'assistant'; content: string }];
}

export interface Glm41vRecord {
  messages: [{ role: 'user'; content: string }, { role: 'assistant'; content: string }];
  images: string[];
}

/**
 * A GLM-4V record (THUDM/GLM-4 `finetune/finetune_vision.py`): that script opens
 * `messages[0].image` with PIL, so the image sits on the first (user) message as an absolute
 * path, and there is no system message.
 *
 * @example
 * toGlm4vRecord({ image: '/data/out/frames/t000001.000.jpg', text: 'Hello there.' });
 * // { messages: [{ role: 'user', content: 'What is being said in this scene?', image: '/data/...jpg' },
 * //              { role: 'assistant', content: 'Hello there.' }] }
 */
export function toGlm4vRecord({ image, text, prompt = DEFAULT_PROMPT }: { image: string; text: string; prompt?: string }): Glm4vRecord {
  if (prompt.includes('<image>')) {
    throw new InvalidOptionError('prompt', prompt, 'a prompt without an <image> tag for glm4v (the image goes in the "image" field)');
  }
  return { messages: [{ role: 'user', content: prompt, image }, { role: 'assistant', content: text }] };
}

/**
 * A GLM-4.1V / GLM-4.5V record (zai-org/GLM-V via LLaMA-Factory's sharegpt-style `messages` +
 * `images`): one `<image>` tag per image, in order. The tag is put in front of the prompt unless
 * the prompt already places it.
 *
 * @example
 * toGlm41vRecord({ image: '/data/out/frames/t000001.000.jpg', text: 'Hello there.' });
 * // { messages: [{ role: 'user', content: '<image>What is being said in this scene?' },
 * //              { role: 'assistant', content: 'Hello there.' }], images: ['/data/...jpg'] }
 */
export function toGlm41vRecord({ image, text, prompt = DEFAULT_PROMPT }: { image: string; text: string; prompt?: string }): Glm41vRecord {
  const tags = prompt.split('<image>').length - 1;
  if (tags > 1) throw new InvalidOptionError('prompt', prompt, 'at most one <image> tag (each record has one image)');
  const content = tags === 1 ? prompt : `<image>${prompt}`;
  return { messages: [{ role: 'user', content }, { role: 'assistant', content: text }], images: [image] };
}

/**
 * Formats one pair as a dataset record of the given format.
 *
 * @example
 * toDatasetRecord(pair, 'glm41v', 'Transcribe the speech.');
 */
export function toDatasetRecord(pair: AlignedPair, format: ExportFormat, prompt: string = DEFAULT_PROMPT): Glm4vRecord | Glm41vRecord | AlignedPair {
  switch (format) {
    case 'glm4v':
      return toGlm4vRecord({ image: pair.frame, text: pair.text, prompt });
    case 'glm41v':
      return toGlm41vRecord({ image: pair.frame, text: pair.text, prompt });
    case 'pairs':
      return pair;
    default:
      throw new InvalidOptionError('format', format, `one of ${EXPORT_FORMATS.join(', ')}`);
  }
}

/**
 * The LLaMA-Factory `dataset_info.json` that registers train.jsonl / dev.jsonl in the GLM-4.1V format
 * (its `mllm_demo` card: sharegpt formatting, `messages` + `images` columns, role/content tags), so
 * `dataset_dir: DIR`, `dataset: mmalign_train`, `eval_dataset: mmalign_dev` load them as is.
 *
 * @example
 * llamaFactoryDatasetInfo('train.jsonl', 'dev.jsonl').mmalign_train.columns; // { messages: 'messages', images: 'images' }
 */
export function llamaFactoryDatasetInfo(trainFile: string, devFile: string): Record<'mmalign_train' | 'mmalign_dev', LlamaFactoryCard> {
  const card = (file_name: string): LlamaFactoryCard => ({
    file_name,
    formatting: 'sharegpt',
    columns: { messages: 'messages', images: 'images' },
    tags: { role_tag: 'role', content_tag: 'content', user_tag: 'user', assistant_tag: 'assistant' },
  });
  return { mmalign_train: card(trainFile), mmalign_dev: card(devFile) };
}

export interface LlamaFactoryCard {
  file_name: string;
  formatting: 'sharegpt';
  columns: { messages: 'messages'; images: 'images' };
  tags: { role_tag: 'role'; content_tag: 'content'; user_tag: 'user'; assistant_tag: 'assistant' };
}

/** The project's seeded PRNG (mulberry32): the same seed gives the same sequence on every machine. */
export const seededRandom: (seed: number) => () => number = mulberry32;

export interface SplitOptions {
  /** Fraction of cues that go to train, 0–1. Default 0.9. */
  train?: number;
  /** Default 0. */
  seed?: number;
}

/**
 * Splits items into train and dev BY GROUP (the cue), so frames of one cue never land on both
 * sides. Groups are shuffled with a seeded PRNG; `round(train × groups)` go to train, but with two
 * or more groups and `train < 1` dev gets at least one and train at least one. Items keep their
 * input order within each side.
 *
 * @example
 * const { train, dev } = splitTrainDev(pairs, (p) => p.cue_index, { train: 0.9, seed: 7 });
 */
export function splitTrainDev<T>(
  items: readonly T[],
  groupOf: (item: T) => number | string,
  { train = TRAIN_FRACTION, seed = SPLIT_SEED }: SplitOptions = {},
): { train: T[]; dev: T[] } {
  if (!(Number.isFinite(train) && train >= 0 && train <= 1)) throw new InvalidOptionError('split', train, 'a train fraction from 0 to 1');
  if (!Number.isInteger(seed)) throw new InvalidOptionError('seed', seed, 'an integer');
  return splitCheckedTrainDev(items, groupOf, train, seed);
}

/** {@link splitTrainDev} for callers that checked `train` and `seed` already (the pipeline, at its boundary). */
export function splitCheckedTrainDev<T>(items: readonly T[], groupOf: (item: T) => number | string, train: number, seed: number): { train: T[]; dev: T[] } {
  const groups = [...new Set(items.map(groupOf))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const rand = seededRandom(seed);
  for (let i = groups.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [groups[i], groups[j]] = [groups[j], groups[i]];
  }
  let nTrain = Math.round(train * groups.length);
  if (groups.length >= 2 && train > 0 && train < 1) nTrain = Math.min(groups.length - 1, Math.max(1, nTrain));
  const trainGroups = new Set(groups.slice(0, nTrain));
  const out = { train: [] as T[], dev: [] as T[] };
  for (const item of items) (trainGroups.has(groupOf(item)) ? out.train : out.dev).push(item);
  return out;
}

/** One JSON object per line, `\n`-terminated: what JSONL readers (HF `datasets`) expect. */
export function toJsonl(records: readonly unknown[]): string {
  return records.map((r) => JSON.stringify(r) + '\n').join('');
}
