import type { RawItem, RawPairs } from '../../encoders/native-cache.js';
import { KnowledgeBase, type IndexedItem } from '../../index/index.js';
import { decodeAudio, sliceAudio, type DecodedAudio } from '../core/ffmpeg/index.js';
import { MODALITIES, type Modality } from '../core/types.js';
import type { ReadPairsOptions } from './aligned-pairs.js';

/**
 * Pairs stored in a knowledge base. Two rules, both within one source:
 * - items that share a tag `pair:<key>` or `cue:<n>` (what `mmalign align --kb` stores) are paired
 *   with each other (any two modalities);
 * - an image or audio item with times is paired with the text items whose [start, end] holds its
 *   midpoint (subtitle cues and the frames or clips taken during them).
 * A knowledge-base item is one item however many pairs it is in (its id is the row); pairs carry the
 * items' `source` as a label. Items are embedded from their text or file (a timed audio item from its
 * [start, end] of the file); their stored content hash keys the native cache.
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
    raw.pairs.push({ a: x.modality, ai: xi, b: y.modality, bi: yi, labels: { source: x.source } });
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
