/**
 * Frame↔text and audio↔text similarities from embeddings.f32 for pairs that do not carry them
 * (pairs.jsonl written before they were recorded there). A missing or damaged matrix leaves the
 * pairs as they are and says so.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { similarity } from '../../encoders/similarity.js';
import type { Warning } from '../core/types.js';
import { num, obj, readOptionalText, str } from './files.js';

/** A pair as read from pairs.jsonl, enough to find its three vectors. */
export interface SimilarityTarget {
  cueIndex: number;
  frameName: string;
  frameText?: number;
  audioText?: number;
}

/**
 * Fills in missing similarities from DIR's embeddings, in place.
 *
 * @example
 * await fillSimilarities('/out/talk', pairs, warnings);
 */
export async function fillSimilarities(dir: string, pairs: SimilarityTarget[], warnings: Warning[]): Promise<void> {
  if (!pairs.some((p) => p.frameText === undefined || p.audioText === undefined)) return;
  const indexFile = path.join(dir, 'embeddings.json');
  const text = await readOptionalText(indexFile);
  if (text === null) return;
  let index: Record<string, unknown>;
  let raw: Buffer;
  try {
    index = JSON.parse(text) as Record<string, unknown>;
    raw = await readFile(path.join(dir, 'embeddings.f32'));
  } catch (err) {
    warnings.push({ file: indexFile, message: `embeddings not read (${(err as Error).message}); similarities are left out` });
    return;
  }
  const dim = num(index.dim);
  const rows = Array.isArray(index.rows) ? index.rows : [];
  if (!dim || raw.length !== rows.length * dim * 4) {
    warnings.push({ file: indexFile, message: 'does not match embeddings.f32 (rerun align); similarities are left out' });
    return;
  }
  const all = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
  const byId = new Map<string, Float32Array>();
  for (const r of rows) {
    const row = obj(r);
    const id = str(row?.id);
    const at = num(row?.row);
    if (id !== undefined && at !== undefined) byId.set(id, all.subarray(at * dim, (at + 1) * dim));
  }
  const round6 = (x: number) => Math.round(x * 1e6) / 1e6;
  for (const p of pairs) {
    const t = byId.get(`text:${p.cueIndex}`);
    if (!t) continue;
    const f = byId.get(`frame:${p.frameName.replace(/\.jpg$/, '')}`);
    const a = byId.get(`audio:${p.cueIndex}`);
    if (p.frameText === undefined && f) p.frameText = round6(similarity(f, t));
    if (p.audioText === undefined && a) p.audioText = round6(similarity(a, t));
  }
}
