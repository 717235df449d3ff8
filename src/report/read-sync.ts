/**
 * DIR/sync.json (written by subtitle sync) read for the report: the mapping, the cue times before
 * and after, and the soft speech-activity curve. A damaged file is a warning, not a failed report:
 * the page then shows the cues as run.json used them.
 */
import path from 'node:path';
import type { Warning } from '../core/types.js';
import { num, obj, parseJsonObject, readOptionalText, str } from './files.js';
import type { SyncMapping } from './types.js';

export interface SyncCueTimes {
  start: number;
  end: number;
  originalStart: number;
  originalEnd: number;
  spoken?: boolean;
}

export interface SyncFile {
  mapping: SyncMapping | null;
  /** By cue index. */
  cues: Map<number, SyncCueTimes>;
  speech: { step: number; start: number; probabilities: number[] } | null;
}

/**
 * A mapping object as sync.json and run.json's `sync` hold it, or null when it is not one.
 *
 * @example
 * parseMapping({ offset: 2.5, ratio: 1, splits: [], confidence: 0.93, method: 'vad-silero', applied: true, reason: '' });
 */
export function parseMapping(value: unknown): SyncMapping | null {
  const m = obj(value);
  if (!m) return null;
  const offset = num(m.offset);
  const ratio = num(m.ratio);
  if (offset === undefined || ratio === undefined) return null;
  const splits = (Array.isArray(m.splits) ? m.splits : [])
    .map((s) => obj(s))
    .filter((s): s is Record<string, unknown> => s !== undefined && num(s.at) !== undefined && num(s.offset) !== undefined)
    .map((s) => ({ at: s.at as number, offset: s.offset as number }));
  return {
    offset,
    ratio,
    splits,
    confidence: num(m.confidence) ?? 0,
    method: str(m.method) ?? 'unknown',
    applied: m.applied === true,
    reason: str(m.reason) ?? '',
  };
}

function parseSpeech(value: unknown): SyncFile['speech'] {
  const s = obj(value);
  const step = num(s?.step);
  if (!s || !step || step <= 0 || !Array.isArray(s.probabilities)) return null;
  const probabilities = s.probabilities.map((p) => {
    const x = num(p) ?? 0;
    return x < 0 ? 0 : x > 1 ? 1 : x;
  });
  return { step, start: num(s.start) ?? 0, probabilities };
}

/**
 * Reads DIR/sync.json; null when the folder has none.
 *
 * @example
 * const sync = await readSyncFile('/out/talk', warnings);
 * sync?.mapping?.offset; // 2.5
 */
export async function readSyncFile(dir: string, warnings: Warning[]): Promise<SyncFile | null> {
  const file = path.join(dir, 'sync.json');
  const text = await readOptionalText(file);
  if (text === null) return null;
  let doc: Record<string, unknown>;
  try {
    doc = parseJsonObject(file, text);
  } catch (err) {
    warnings.push({ file, message: `${(err as Error).message.slice(file.length + 2)}; the sync mapping is not shown` });
    return null;
  }
  const cues = new Map<number, SyncCueTimes>();
  for (const c of Array.isArray(doc.cues) ? doc.cues : []) {
    const o = obj(c);
    const index = num(o?.index);
    const start = num(o?.start);
    const end = num(o?.end);
    if (!o || index === undefined || start === undefined || end === undefined) continue;
    cues.set(index, {
      start,
      end,
      originalStart: num(o.originalStart) ?? start,
      originalEnd: num(o.originalEnd) ?? end,
      spoken: typeof o.spoken === 'boolean' ? o.spoken : undefined,
    });
  }
  const mapping = parseMapping(doc.mapping);
  if (!mapping) warnings.push({ file, message: 'has no valid "mapping" (offset, ratio, ...); the mapping is not shown' });
  return { mapping, cues, speech: parseSpeech(doc.speech) };
}
