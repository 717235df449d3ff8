import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { bytesKey, textKey, type RawItem, type RawPairs } from '../../encoders/native-cache.js';
import type { NativePair } from '../../encoders/native-pairs.js';
import { InputFileError, InvalidOptionError } from '../core/errors/index.js';
import { decodeAudio, sliceAudio, type DecodedAudio, type FfmpegBinaries } from '../core/ffmpeg/index.js';
import { MODALITIES, type Modality, type Warning } from '../core/types.js';
import type { JsonLine } from './jsonl.js';

export interface ReadPairsOptions {
  /** Modalities to use from aligned pairs (default all three; audio needs the video's audio track). */
  modalities?: readonly Modality[];
  /** ffmpeg for cutting cue audio out of the videos. */
  binaries?: FfmpegBinaries;
  /** Audio decoder; injectable for tests. */
  decode?: (video: string) => Promise<DecodedAudio>;
}

/** Labels of an aligned pair: its video (as written in the file) and the cue's speaker when known. */
function labelsOf(obj: Record<string, unknown>): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  if (typeof obj.video === 'string') labels.video = obj.video;
  if (typeof obj.speaker === 'string' && obj.speaker !== '') labels.speaker = obj.speaker;
  return Object.keys(labels).length > 0 ? labels : undefined;
}

/**
 * The `pairs.jsonl` of `mmalign align` → inputs to embed and their pairs. Items use the ids the file
 * has: a text is one item however many cues say it, a frame is its file, a cue's audio clip is its
 * video and cue index (its times when the index is missing). Pairs carry `video` and `speaker` labels.
 *
 * @example
 * const { raw } = await alignedFromLines(parseJsonLines(text, file), file, { modalities: ['text', 'image'] });
 */
export async function alignedFromLines(
  lines: readonly JsonLine[],
  file: string,
  { modalities = MODALITIES, binaries, decode }: ReadPairsOptions = {},
): Promise<{ raw: RawPairs; warnings: Warning[] }> {
  for (const m of modalities) if (!MODALITIES.includes(m)) throw new InvalidOptionError('modalities', m, MODALITIES.join(', '));
  const want = new Set(modalities);
  const base = dirname(resolve(file));
  const warnings: Warning[] = [];
  const texts = new Map<string, number>();
  const frames = new Map<string, number>();
  const cues = new Map<string, { video: string; start: number; end: number; text: number; frames: number[]; labels?: Record<string, string> }>();
  const textItems: RawItem<'text'>[] = [];
  const imageItems: RawItem<'image'>[] = [];
  const pairs: NativePair[] = [];
  for (const { line, obj } of lines) {
    const where = `${file}:${line}`;
    const { video, frame, text, start, end } = obj;
    if (typeof text !== 'string' || text.trim() === '') throw new InputFileError(where, '"text" must be a non-empty string (is this the pairs.jsonl of mmalign align?)');
    if (typeof frame !== 'string' || frame === '') throw new InputFileError(where, '"frame" must be the path of the frame image');
    if (typeof start !== 'number' || typeof end !== 'number' || !(end >= start)) throw new InputFileError(where, '"start" and "end" must be numbers with end >= start');
    const labels = labelsOf(obj);
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
    if (want.has('text') && want.has('image') && fi !== undefined) pairs.push({ a: 'text', ai: ti, b: 'image', bi: fi, ...(labels ? { labels } : {}) });
    if (want.has('audio') && typeof video === 'string') {
      const vpath = isAbsolute(video) ? video : resolve(base, video);
      const cueKey = typeof obj.cue_index === 'number' ? `${vpath}\0#${obj.cue_index}` : `${vpath}\0${start}\0${end}`;
      const cue = cues.get(cueKey) ?? { video: vpath, start, end, text: ti, frames: [], ...(labels ? { labels } : {}) };
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
      const labels = cue.labels ? { labels: cue.labels } : {};
      if (want.has('text')) pairs.push({ a: 'text', ai: cue.text, b: 'audio', bi: ai, ...labels });
      for (const fi of new Set(cue.frames)) pairs.push({ a: 'image', ai: fi, b: 'audio', bi: ai, ...labels });
    }
  }
  const items: RawPairs['items'] = {};
  if (want.has('text')) items.text = textItems;
  if (want.has('image')) items.image = imageItems;
  if (audioItems.length > 0) items.audio = audioItems;
  if (pairs.length === 0) throw new InputFileError(file, `no ${[...want].join('/')} pairs could be formed from the file`);
  return { raw: { items, pairs }, warnings };
}
