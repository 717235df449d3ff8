/**
 * The corpus train/dev split. By video (the default): each video lands wholly on one side, so no
 * scene, speaker or caption style seen in training is "held out" in dev. A video's side depends only
 * on the seed and its key, so a corpus that grows never moves a video that was already in dev into
 * train (which would leak dev data into the next fine-tune).
 */
import { InvalidOptionError } from '../core/errors/index.js';
import { unitHash } from './keys.js';

/**
 * The keys that go to dev: those whose seeded hash is at or above the train fraction. With two or
 * more videos and `0 < train < 1`, each side gets at least one (fine-tuning scripts reject an empty file).
 *
 * @example
 * videoSplit(['a', 'b', 'c', 'd'], 0.75, 0); // Set { 'c' } (for example)
 */
export function videoSplit(keys: readonly string[], train: number, seed: number): Set<string> {
  if (!(Number.isFinite(train) && train >= 0 && train <= 1)) throw new InvalidOptionError('split', train, 'a train fraction from 0 to 1');
  const scored = keys.map((key) => ({ key, u: unitHash(seed, key) }));
  const dev = new Set(scored.filter((s) => s.u >= train).map((s) => s.key));
  if (keys.length >= 2 && train > 0 && train < 1) {
    const byU = [...scored].sort((a, b) => a.u - b.u || (a.key < b.key ? -1 : 1));
    if (dev.size === 0) dev.add(byU[byU.length - 1].key);
    if (dev.size === keys.length) dev.delete(byU[0].key);
  }
  return dev;
}
