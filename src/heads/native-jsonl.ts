import { createHash } from 'node:crypto';
import type { NativePair, NativePairs } from '../../encoders/native-pairs.js';
import { InputFileError } from '../core/errors/index.js';
import { MODALITIES, type Modality } from '../core/types.js';
import type { JsonLine } from './jsonl.js';

/** The id field of each modality on a native-embeddings line. */
export const ITEM_ID_FIELDS: Readonly<Record<Modality, string>> = Object.freeze({ text: 'textId', image: 'imageId', audio: 'audioId' });

/** Whether the first line looks like a native-embeddings JSONL (a modelIds header or vectors). */
export function isNativeLine(obj: Record<string, unknown>): boolean {
  return 'modelIds' in obj || MODALITIES.some((m) => Array.isArray(obj[m]));
}

/** Strings, numbers and booleans on a line become labels; anything else is not a label. */
function scalar(v: unknown): string | null {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : null;
}

/**
 * Native-embeddings JSONL → {@link NativePairs}. An optional first line `{"modelIds": {...}}`, then one
 * line per matched tuple with two or three of `"text"`, `"image"`, `"audio"` (arrays of numbers);
 * every two modalities on a line are a pair. Items:
 * - `"textId"`, `"imageId"`, `"audioId"` name a line's items: lines with the same id share one item
 *   (one row), and a line may give an id without its vector when another line gives it;
 * - without an id, a vector is its own item, and identical vectors are one item (they are the same
 *   input as far as the heads can tell).
 * `"group"` holds pairs out together; any other string, number or boolean field (`"label"`,
 * `"voice"`, `"speaker"`...) is a label to break evaluation down by.
 *
 * @example
 * // {"text": [...], "audio": [...], "textId": "house", "label": "en-gb"}
 * const data = nativeFromLines(parseJsonLines(text, 'words.jsonl'), 'words.jsonl');
 */
export function nativeFromLines(lines: readonly JsonLine[], file: string): NativePairs {
  const rows: Record<Modality, Float32Array[]> = { text: [], image: [], audio: [] };
  const byKey: Record<Modality, Map<string, { row: number; line: number; given: boolean }>> = { text: new Map(), image: new Map(), audio: new Map() };
  const pending: { line: number; refs: [Modality, string][]; group?: string; labels?: Record<string, string> }[] = [];
  let modelIds: Partial<Record<Modality, string>> = {};
  const reserved = new Set<string>([...MODALITIES, ...Object.values(ITEM_ID_FIELDS), 'group', 'modelIds']);
  lines.forEach(({ line, obj }, n) => {
    const where = `${file}:${line}`;
    if (n === 0 && 'modelIds' in obj) {
      const ids = obj.modelIds;
      if (typeof ids !== 'object' || ids === null) throw new InputFileError(where, '"modelIds" must be an object of modality → model id');
      modelIds = ids as Partial<Record<Modality, string>>;
      return;
    }
    const refs: [Modality, string][] = [];
    for (const m of MODALITIES) {
      const v = obj[m];
      const idField = ITEM_ID_FIELDS[m];
      const rawId = obj[idField];
      if (rawId !== undefined && (typeof rawId !== 'string' || rawId === '') && typeof rawId !== 'number') {
        throw new InputFileError(where, `"${idField}" must be a non-empty string or a number`);
      }
      if (v === undefined && rawId === undefined) continue;
      let vec: Float32Array | null = null;
      if (v !== undefined) {
        if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) throw new InputFileError(where, `"${m}" must be an array of finite numbers`);
        vec = Float32Array.from(v as number[]);
      }
      // With an id, the id is the item; without, the vector's bytes are.
      const key = rawId !== undefined ? `id\0${rawId}` : `vec\0${createHash('sha1').update(new Uint8Array((vec as Float32Array).buffer)).digest('hex')}`;
      const known = byKey[m].get(key);
      if (!known) {
        byKey[m].set(key, { row: vec ? rows[m].push(vec) - 1 : -1, line, given: vec !== null });
      } else if (vec) {
        if (!known.given) {
          known.row = rows[m].push(vec) - 1;
          known.given = true;
          known.line = line;
        } else if (!sameVector(rows[m][known.row], vec)) {
          throw new InputFileError(where, `${idField} ${JSON.stringify(rawId)} has another ${m} vector than on line ${known.line}; one id, one vector`);
        }
      }
      refs.push([m, key]);
    }
    if (refs.length < 2) throw new InputFileError(where, 'a line needs vectors (or item ids) of at least two modalities ("text", "image", "audio")');
    const group = obj.group === undefined ? undefined : scalar(obj.group);
    if (group === null) throw new InputFileError(where, '"group" must be a string or a number');
    let labels: Record<string, string> | undefined;
    for (const [k, v] of Object.entries(obj)) {
      if (reserved.has(k)) continue;
      const s = scalar(v);
      if (s !== null) (labels ??= {})[k] = s;
    }
    pending.push({ line, refs, ...(group !== undefined ? { group } : {}), ...(labels ? { labels } : {}) });
  });
  const pairs: NativePair[] = [];
  for (const { line, refs, group, labels } of pending) {
    const idx = refs.map(([m, key]): [Modality, number] => {
      const item = byKey[m].get(key) as { row: number };
      if (item.row < 0) throw new InputFileError(`${file}:${line}`, `${ITEM_ID_FIELDS[m]} ${JSON.stringify(key.slice(3))} has no ${m} vector on any line`);
      return [m, item.row];
    });
    for (let x = 0; x < idx.length; x++) {
      for (let y = x + 1; y < idx.length; y++) {
        pairs.push({ a: idx[x][0], ai: idx[x][1], b: idx[y][0], bi: idx[y][1], ...(group !== undefined ? { group } : {}), ...(labels ? { labels } : {}) });
      }
    }
  }
  const embeddings: NativePairs['embeddings'] = {};
  for (const m of MODALITIES) if (rows[m].length > 0) embeddings[m] = rows[m];
  return { embeddings, pairs, modelIds };
}

function sameVector(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
