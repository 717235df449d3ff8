import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { KnowledgeBase } from '../index/kb.js';
import { DB_FILE, type IndexedItem } from '../index/vector-index.js';
import { InputFileError, InvalidOptionError } from '../src/core/errors/index.js';
import { DEFAULT_DEVICE } from '../src/core/defaults.js';
import { decodeAudio, sliceAudio, type DecodedAudio, type FfmpegBinaries } from '../src/core/ffmpeg/index.js';
import { MODALITIES, type Modality, type Warning } from '../src/core/types.js';
import { silentProgress, type Progress } from '../src/core/progress.js';
import { createEncoder } from './encoder.js';
import type { Logger } from '../src/core/progress.js';
import { bytesKey, embedRawPairs, NativeCache, textKey, type RawItem, type RawPairs } from './native-cache.js';
import type { Device, Encoder } from './types.js';
import type { NativePair, NativePairs } from './native-pairs.js';

/** What a PAIRS argument turned out to be. */
export type PairsSource =
  | { kind: 'native'; data: NativePairs; warnings: Warning[] }
  | { kind: 'aligned' | 'kb'; raw: RawPairs; warnings: Warning[] };

export interface ReadPairsOptions {
  /** Modalities to use from aligned pairs (default all three; audio needs the video's audio track). */
  modalities?: readonly Modality[];
  /** ffmpeg for cutting cue audio out of the videos. */
  binaries?: FfmpegBinaries;
  /** Audio decoder; injectable for tests. */
  decode?: (video: string) => Promise<DecodedAudio>;
}

function parseLines(text: string, file: string): { line: number; obj: Record<string, unknown> }[] {
  const out: { line: number; obj: Record<string, unknown> }[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === '') continue;
    let obj: unknown;
    try {
      obj = JSON.parse(raw);
    } catch (err) {
      throw new InputFileError(`${file}:${i + 1}`, `not JSON (${(err as Error).message})`);
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new InputFileError(`${file}:${i + 1}`, 'not a JSON object');
    out.push({ line: i + 1, obj: obj as Record<string, unknown> });
  }
  return out;
}

/**
 * Reads PAIRS for `mmalign heads train|eval`: the `pairs.jsonl` of `mmalign align` or a
 * knowledge-base folder (inputs still to embed; see {@link kbRawPairs}), or a native-embeddings
 * JSONL (vectors given, nothing to embed).
 *
 * Native-embeddings JSONL: an optional first line `{"modelIds": {"text": "...", "image": "..."}}`,
 * then one line per matched tuple with two or three of `"text"`, `"image"`, `"audio"` as arrays of
 * numbers, e.g. `{"text": [0.1, ...], "image": [0.3, ...]}`. Every two modalities on a line are a pair.
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
  const lines = parseLines(text, file);
  if (lines.length === 0) throw new InputFileError(file, 'no pairs in the file');
  const first = lines[0].obj;
  const native = 'modelIds' in first || MODALITIES.some((m) => Array.isArray(first[m]));
  return native ? { kind: 'native', data: nativeFromLines(lines, file), warnings: [] } : alignedFromLines(lines, file, options);
}

function nativeFromLines(lines: { line: number; obj: Record<string, unknown> }[], file: string): NativePairs {
  const vectors: Record<Modality, Float32Array[]> = { text: [], image: [], audio: [] };
  const pairs: NativePair[] = [];
  let modelIds: Partial<Record<Modality, string>> = {};
  lines.forEach(({ line, obj }, n) => {
    const where = `${file}:${line}`;
    if (n === 0 && 'modelIds' in obj) {
      const ids = obj.modelIds;
      if (typeof ids !== 'object' || ids === null) throw new InputFileError(where, '"modelIds" must be an object of modality → model id');
      modelIds = ids as Partial<Record<Modality, string>>;
      return;
    }
    const present: [Modality, number][] = [];
    for (const m of MODALITIES) {
      const v = obj[m];
      if (v === undefined) continue;
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        throw new InputFileError(where, `"${m}" must be an array of finite numbers`);
      }
      vectors[m].push(Float32Array.from(v as number[]));
      present.push([m, vectors[m].length - 1]);
    }
    if (present.length < 2) throw new InputFileError(where, 'a line needs vectors of at least two modalities ("text", "image", "audio")');
    for (let x = 0; x < present.length; x++) {
      for (let y = x + 1; y < present.length; y++) pairs.push({ a: present[x][0], ai: present[x][1], b: present[y][0], bi: present[y][1] });
    }
  });
  const embeddings: NativePairs['embeddings'] = {};
  for (const m of MODALITIES) if (vectors[m].length > 0) embeddings[m] = vectors[m];
  return { embeddings, pairs, modelIds };
}

async function alignedFromLines(
  lines: { line: number; obj: Record<string, unknown> }[],
  file: string,
  { modalities = MODALITIES, binaries, decode }: ReadPairsOptions,
): Promise<PairsSource> {
  for (const m of modalities) if (!MODALITIES.includes(m)) throw new InvalidOptionError('modalities', m, MODALITIES.join(', '));
  const want = new Set(modalities);
  const base = dirname(resolve(file));
  const warnings: Warning[] = [];
  const texts = new Map<string, number>();
  const frames = new Map<string, number>();
  const cues = new Map<string, { video: string; start: number; end: number; text: number; index: number | null; frames: number[] }>();
  const textItems: RawItem<'text'>[] = [];
  const imageItems: RawItem<'image'>[] = [];
  const pairs: NativePair[] = [];
  for (const { line, obj } of lines) {
    const where = `${file}:${line}`;
    const { video, frame, text, start, end } = obj;
    if (typeof text !== 'string' || text.trim() === '') throw new InputFileError(where, '"text" must be a non-empty string (is this the pairs.jsonl of mmalign align?)');
    if (typeof frame !== 'string' || frame === '') throw new InputFileError(where, '"frame" must be the path of the frame image');
    if (typeof start !== 'number' || typeof end !== 'number' || !(end >= start)) throw new InputFileError(where, '"start" and "end" must be numbers with end >= start');
    let ti = texts.get(text);
    if (ti === undefined) {
      texts.set(text, (ti = textItems.length));
      textItems.push({ key: textKey(text), input: text });
    }
    const framePath = isAbsolute(frame) ? frame : resolve(base, frame);
    let fi = frames.get(framePath);
    if (want.has('image') && fi === undefined) {
      let bytes: Buffer;
      try {
        bytes = await readFile(framePath);
      } catch (err) {
        throw new InputFileError(framePath, `frame named on ${where} cannot be read; rerun mmalign align or drop the line`, err);
      }
      frames.set(framePath, (fi = imageItems.length));
      imageItems.push({ key: bytesKey('image', bytes), input: bytes });
    }
    if (want.has('text') && want.has('image') && fi !== undefined) pairs.push({ a: 'text', ai: ti, b: 'image', bi: fi });
    if (want.has('audio') && typeof video === 'string') {
      const vpath = isAbsolute(video) ? video : resolve(base, video);
      const cueKey = `${vpath}\0${start}\0${end}`;
      const cue = cues.get(cueKey) ?? { video: vpath, start, end, text: ti, index: typeof obj.cue_index === 'number' ? obj.cue_index : null, frames: [] };
      if (fi !== undefined) cue.frames.push(fi);
      cues.set(cueKey, cue);
    }
  }
  const audioItems: RawItem<'audio'>[] = [];
  if (want.has('audio') && cues.size > 0) {
    const decoded = new Map<string, DecodedAudio | null>();
    for (const cue of cues.values()) {
      if (!decoded.has(cue.video)) {
        try {
          decoded.set(cue.video, await (decode ?? ((v: string) => decodeAudio(v, binaries ? { binaries } : {})))(cue.video));
        } catch (err) {
          decoded.set(cue.video, null);
          warnings.push({ file: cue.video, message: `no audio pairs from this video: ${(err as Error).message}` });
        }
      }
      const audio = decoded.get(cue.video);
      if (!audio) continue;
      const samples = sliceAudio(audio, cue.start, cue.end);
      if (samples.length === 0) continue;
      const ai = audioItems.length;
      audioItems.push({
        key: bytesKey('audio', new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength)),
        input: { samples: samples.slice(), sampleRate: audio.sampleRate },
      });
      if (want.has('text')) pairs.push({ a: 'text', ai: cue.text, b: 'audio', bi: ai });
      for (const fi of new Set(cue.frames)) pairs.push({ a: 'image', ai: fi, b: 'audio', bi: ai });
    }
  }
  const items: RawPairs['items'] = {};
  if (want.has('text')) items.text = textItems;
  if (want.has('image')) items.image = imageItems;
  if (audioItems.length > 0) items.audio = audioItems;
  if (pairs.length === 0) throw new InputFileError(file, `no ${[...want].join('/')} pairs could be formed from the file`);
  return { kind: 'aligned', raw: { items, pairs }, warnings };
}

/**
 * Pairs stored in a knowledge base. Two rules, both within one source:
 * - items that share a tag `pair:<key>` or `cue:<n>` (what `mmalign align --kb` stores) are paired
 *   with each other (any two modalities);
 * - an image or audio item with times is paired with the text items whose [start, end] holds its
 *   midpoint (subtitle cues and the frames or clips taken during them).
 * Items are embedded from their text or file (a timed audio item from its [start, end] of the file);
 * their stored content hash keys the native cache.
 *
 * @example
 * const raw = await kbRawPairs('./kb', { modalities: ['text', 'image'] });
 */
export async function kbRawPairs(dir: string, { modalities = MODALITIES, binaries, decode }: ReadPairsOptions = {}): Promise<RawPairs> {
  const want = new Set(modalities);
  const kb = await KnowledgeBase.open(dir, { readonly: true });
  const items: IndexedItem[] = [];
  try {
    for (const it of kb.items()) if (want.has(it.modality)) items.push(it);
  } finally {
    await kb.close();
  }
  const raw: RawPairs = { items: {}, pairs: [] };
  const clips: { item: number; file: string; start: number; end: number }[] = [];
  const pos = new Map<string, number>();
  const indexOf = (it: IndexedItem): number | null => {
    const known = pos.get(it.id);
    if (known !== undefined) return known;
    const list = ((raw.items[it.modality] as RawItem[] | undefined) ?? []) as RawItem[];
    const input = it.modality === 'text' ? it.text : it.path;
    if (input === null || input === undefined) return null;
    // A timed audio item is a cue's span of a longer file: cut out below, once per file.
    const span = it.modality === 'audio' && it.start !== null && it.end !== null && it.end > it.start;
    if (span) clips.push({ item: list.length, file: input, start: it.start as number, end: it.end as number });
    list.push({ key: span ? `kb:${it.contentHash}:${it.start}-${it.end}` : `kb:${it.contentHash}`, input });
    (raw.items as Record<Modality, RawItem[]>)[it.modality] = list;
    pos.set(it.id, list.length - 1);
    return list.length - 1;
  };
  const seen = new Set<string>();
  const pair = (x: IndexedItem, y: IndexedItem): void => {
    if (x.modality === y.modality) return;
    const key = x.id < y.id ? `${x.id}\0${y.id}` : `${y.id}\0${x.id}`;
    if (seen.has(key)) return;
    const xi = indexOf(x);
    const yi = indexOf(y);
    if (xi === null || yi === null) return;
    seen.add(key);
    raw.pairs.push({ a: x.modality, ai: xi, b: y.modality, bi: yi });
  };
  const byTag = new Map<string, IndexedItem[]>();
  for (const it of items) {
    for (const t of it.tags) {
      if (!t.startsWith('pair:') && !t.startsWith('cue:')) continue;
      const k = `${it.source}\0${t}`;
      const group = byTag.get(k);
      if (group) group.push(it);
      else byTag.set(k, [it]);
    }
  }
  for (const group of byTag.values()) for (let i = 0; i < group.length; i++) for (let j = i + 1; j < group.length; j++) pair(group[i], group[j]);
  // Timed image/audio items pair with the cues of their source that hold their midpoint.
  const cues = new Map<string, IndexedItem[]>();
  for (const it of items) {
    if (it.modality !== 'text' || it.start === null || it.end === null) continue;
    const list = cues.get(it.source);
    if (list) list.push(it);
    else cues.set(it.source, [it]);
  }
  for (const it of items) {
    if (it.modality === 'text' || it.start === null) continue;
    const mid = it.end === null ? it.start : (it.start + it.end) / 2;
    for (const c of cues.get(it.source) ?? []) if ((c.start as number) <= mid && mid <= (c.end as number)) pair(c, it);
  }
  if (clips.length > 0) {
    const decoded = new Map<string, DecodedAudio>();
    const audio = raw.items.audio as RawItem<'audio'>[];
    for (const c of clips) {
      let d = decoded.get(c.file);
      if (!d) {
        d = await (decode ?? ((v: string) => decodeAudio(v, binaries ? { binaries } : {})))(c.file);
        decoded.set(c.file, d);
      }
      audio[c.item].input = { samples: sliceAudio(d, c.start, c.end).slice(), sampleRate: d.sampleRate };
    }
  }
  return raw;
}

export interface NativePairsFromFileOptions extends ReadPairsOptions {
  /** Model id or folder per modality (default: each modality's default model). */
  models?: Partial<Record<Modality, string>>;
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
  { models = {}, modelsDir, device = DEFAULT_DEVICE, cacheDir, progress = silentProgress, logger, ...read }: NativePairsFromFileOptions = {},
): Promise<{ data: NativePairs; warnings: Warning[] }> {
  const src = await readPairsFile(file, read);
  if (src.kind === 'native') return { data: src.data, warnings: src.warnings };
  const encoders = new Map<Modality, Promise<Encoder>>();
  const encoder = (m: Modality): Promise<Encoder> => {
    let e = encoders.get(m);
    if (!e) {
      e = createEncoder(m, { model: models[m], modelsDir, device, ...(logger ? { logger } : {}) }) as Promise<Encoder>;
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
