/**
 * The knowledge base's record of the models behind its vectors: per model version (the key every item's
 * `model_version` and the embedding cache use), the model id, dtype, device, ONNX file fingerprint and
 * heads version, and the first and last knowledge-base version that stored vectors of it. Kept as one
 * JSON value in the `meta` table, so knowledge bases made before it need no migration (they simply have
 * no record until their next sync).
 */
import type { ModelRecord, Modality } from '../../src/core/types.js';
import { getMeta, setMeta, type Db } from '../store.js';

/** The `meta` key of the record. */
const META_KEY = 'models';

/** One model behind some of the stored vectors. */
export interface KbModel extends ModelRecord {
  /** The model version items and the embedding cache are keyed by (`<model>@<heads>#<fingerprint>`). */
  key: string;
  modality: Modality;
  /** Knowledge-base versions that first and last stored vectors of this model. */
  firstVersion: number;
  lastVersion: number;
}

/** A model a sync or ingest stored vectors of. */
export interface UsedModel {
  key: string;
  modality: Modality;
  record: ModelRecord;
}

/**
 * The model version a record's vectors are stored and cached under: `<model>@<heads>`, plus
 * `#<fingerprint>` when the model file's fingerprint is known.
 *
 * @example
 * recordKey({ model: 'Xenova/resnet-50', heads: 'h1', fingerprint: '3f2a' }); // 'Xenova/resnet-50@h1#3f2a'
 */
export function recordKey(r: Pick<ModelRecord, 'model' | 'heads' | 'fingerprint'>): string {
  const version = `${r.model}@${r.heads ?? 'default'}`;
  return r.fingerprint ? `${version}#${r.fingerprint}` : version;
}

/**
 * A record in words, for messages: `Xenova/resnet-50 (q8, heads h1, file sha256 3f2a9c01b7de)`.
 *
 * @example
 * describeRecord({ model: 'm', dtype: 'fp32', device: 'cpu', fingerprint: null, heads: null }); // 'm (fp32, heads default, file sha256 unknown)'
 */
export function describeRecord(r: ModelRecord): string {
  return `${r.model} (${r.dtype ?? 'dtype unknown'}, heads ${r.heads ?? 'default'}, file sha256 ${r.fingerprint?.slice(0, 12) ?? 'unknown'})`;
}

/**
 * Every model recorded, by modality then first version.
 *
 * @example
 * for (const m of readModels(db)) console.log(m.modality, m.model, m.dtype, m.fingerprint);
 */
export function readModels(db: Db): KbModel[] {
  let parsed: Record<string, KbModel>;
  try {
    parsed = JSON.parse(getMeta(db, META_KEY) ?? '{}') as Record<string, KbModel>;
  } catch {
    return []; // a damaged record only loses the description, never a vector; the next sync rewrites it
  }
  const order: Modality[] = ['text', 'image', 'audio'];
  return Object.values(parsed).sort((a, b) => order.indexOf(a.modality) - order.indexOf(b.modality) || a.firstVersion - b.firstVersion);
}

/** Adds the models of `version` to the record (call inside the version's transaction). */
export function recordModels(db: Db, version: number, used: readonly UsedModel[]): void {
  if (used.length === 0) return;
  const all = Object.fromEntries(readModels(db).map((m) => [m.key, m]));
  for (const { key, modality, record } of used) {
    const before = all[key];
    // The device is where it ran last; it does not change the vectors, so it is not part of the key.
    all[key] = { ...record, key, modality, firstVersion: before?.firstVersion ?? version, lastVersion: version };
  }
  setMeta(db, META_KEY, JSON.stringify(all));
}
