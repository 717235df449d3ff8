/**
 * Whether the models a run embedded with are semantic. Models mmalign generates carry
 * `"mmalign": {"generated": true, "semantic": false}` in their config.json; the report looks the
 * recorded id up the way the encoders found it, and falls back on the id's namespace.
 */
import { resolveModel } from '../../encoders/models.js';
import { MODALITIES, type Modality } from '../core/types.js';
import { obj, str } from './files.js';
import type { ReportModel } from './types.js';

/** Says whether a model id names a semantic model: true, false, or null when it cannot tell. */
export type SemanticLookup = (modality: Modality, id: string, modelsDir: string | undefined) => Promise<boolean | null>;

/** The mmalign/ namespace on the hub is the project's own generated models. */
const GENERATED_NAMESPACE = 'mmalign/';

/**
 * Finds the model folder (models dir, pull cache, embedded models) and reads its marker; a model
 * that is not on this machine is judged by its id.
 *
 * @example
 * await lookupSemantic('text', 'mmalign/tiny-bert', undefined); // false
 */
export const lookupSemantic: SemanticLookup = async (modality, id, modelsDir) => {
  try {
    const m = await resolveModel(modality, { model: id, modelsDir, allowRemote: false });
    const marker = obj(m.config.mmalign);
    if (marker?.semantic === false || m.generated) return false;
    return true;
  } catch {
    return id.startsWith(GENERATED_NAMESPACE) ? false : null;
  }
};

/**
 * run.json's `models` as report rows, in modality order.
 *
 * @example
 * await readModels(run.models, run.options.modelsDir);
 * // [{ modality: 'text', id: 'mmalign/tiny-bert', heads: 'c913…', device: 'cpu', semantic: false }, ...]
 */
export async function readModels(models: unknown, modelsDir: string | undefined, lookup: SemanticLookup = lookupSemantic): Promise<ReportModel[]> {
  const byModality = obj(models) ?? {};
  const out: ReportModel[] = [];
  for (const modality of MODALITIES) {
    const m = obj(byModality[modality]);
    const id = str(m?.model);
    if (!m || !id) continue;
    out.push({ modality, id, heads: str(m.heads) ?? null, device: str(m.device) ?? null, semantic: await lookup(modality, id, modelsDir) });
  }
  return out;
}
