import type { Modality } from '../src/core/types.js';
import type { NativePair, NativePairs } from '../encoders/native-pairs.js';
import { mulberry32 } from '../encoders/train-heads.js';

/**
 * Pairs with a known hidden relation: every item has a latent z ∈ R^latent, and each modality sees
 * a different random linear map of it (its own width) plus Gaussian noise. Trained heads can recover
 * the shared latent; random heads cannot.
 */
export function syntheticPairs({
  count,
  latent = 16,
  dims = { text: 48, image: 64 },
  noise = 0.1,
  seed = 1,
}: {
  count: number;
  latent?: number;
  dims?: Partial<Record<Modality, number>>;
  noise?: number;
  seed?: number;
}): NativePairs {
  const u = mulberry32(seed);
  const gauss = () => {
    let a = 0;
    while (a === 0) a = u();
    return Math.sqrt(-2 * Math.log(a)) * Math.cos(2 * Math.PI * u());
  };
  const z = Array.from({ length: count }, () => Float64Array.from({ length: latent }, gauss));
  const embeddings: NativePairs['embeddings'] = {};
  const modelIds: Partial<Record<Modality, string>> = {};
  const mods = Object.keys(dims) as Modality[];
  for (const m of mods) {
    const width = dims[m] as number;
    const map = Float64Array.from({ length: width * latent }, gauss);
    const offset = Float64Array.from({ length: width }, () => 3 * gauss());
    const data = new Float32Array(count * width);
    for (let i = 0; i < count; i++) {
      for (let r = 0; r < width; r++) {
        let s = offset[r];
        for (let k = 0; k < latent; k++) s += map[r * latent + k] * z[i][k];
        data[i * width + r] = s + noise * Math.sqrt(latent) * gauss();
      }
    }
    embeddings[m] = { rows: count, cols: width, data };
    modelIds[m] = `synthetic/${m}-${width}`;
  }
  const pairs: NativePair[] = [];
  for (let x = 0; x < mods.length; x++) {
    for (let y = x + 1; y < mods.length; y++) {
      for (let i = 0; i < count; i++) pairs.push({ a: mods[x], ai: i, b: mods[y], bi: i });
    }
  }
  return { embeddings, pairs, modelIds };
}
