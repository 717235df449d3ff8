import type { NativePair, NativePairs } from '../../encoders/native-pairs.js';
import { mulberry32 } from '../../src/core/random.js';
import type { Modality } from '../../src/core/types.js';

function normal(u: () => number): () => number {
  return () => {
    let a = 0;
    while (a === 0) a = u();
    return Math.sqrt(-2 * Math.log(a)) * Math.cos(2 * Math.PI * u());
  };
}

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
  const gauss = normal(mulberry32(seed));
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

/**
 * Many pairs per item, as spoken words are: `items` texts (one vector each) and, per item, one audio
 * clip for each of `views` "voices". A voice is its own random distortion of the audio map (a
 * perturbation of strength `voiceShift`) plus a constant offset, then noise; the audio the heads must
 * generalise to comes from voices never seen in training. Pairs carry `labels.voice`, and every pair of
 * an item shares its text row (its item id).
 *
 * @example
 * const { train, test } = syntheticViews({ items: 300, trainViews: 8, testViews: 4 });
 */
export function syntheticViews({
  items,
  trainViews,
  testViews,
  latent = 24,
  dims = { text: 100, audio: 192 },
  noise = 0.3,
  voiceShift = 0.5,
  testShift = voiceShift,
  nonlinear = true,
  seed = 1,
}: {
  items: number;
  trainViews: number;
  testViews: number;
  latent?: number;
  dims?: { text: number; audio: number };
  noise?: number;
  /** Strength of each training voice's own distortion of the audio map. */
  voiceShift?: number;
  /** Strength of each test voice's distortion: above voiceShift, the test distribution is further away. */
  testShift?: number;
  /** Pass the audio map through tanh, so linear heads cannot undo it exactly. */
  nonlinear?: boolean;
  seed?: number;
}): { train: NativePairs; test: NativePairs } {
  const gauss = normal(mulberry32(seed));
  const z = Array.from({ length: items }, () => Float64Array.from({ length: latent }, gauss));
  const textMap = Float64Array.from({ length: dims.text * latent }, gauss);
  const text = new Float32Array(items * dims.text);
  for (let i = 0; i < items; i++) {
    for (let r = 0; r < dims.text; r++) {
      let s = 0;
      for (let k = 0; k < latent; k++) s += textMap[r * latent + k] * z[i][k];
      text[i * dims.text + r] = s / Math.sqrt(latent);
    }
  }
  const audioMap = Float64Array.from({ length: dims.audio * latent }, gauss);
  const voice = (shift: number) => ({
    map: Float64Array.from(audioMap, (w) => w + shift * gauss()),
    offset: Float64Array.from({ length: dims.audio }, () => shift * gauss()),
  });
  const build = (views: number, shift: number, name: string): NativePairs => {
    const audio = new Float32Array(items * views * dims.audio);
    const pairs: NativePair[] = [];
    for (let v = 0; v < views; v++) {
      const { map, offset } = voice(shift);
      for (let i = 0; i < items; i++) {
        const row = v * items + i;
        for (let r = 0; r < dims.audio; r++) {
          let s = 0;
          for (let k = 0; k < latent; k++) s += map[r * latent + k] * z[i][k];
          s = s / Math.sqrt(latent) + offset[r];
          audio[row * dims.audio + r] = (nonlinear ? Math.tanh(s) : s) + noise * gauss();
        }
        pairs.push({ a: 'text', ai: i, b: 'audio', bi: row, labels: { voice: `${name}${v}` } });
      }
    }
    return {
      embeddings: { text: { rows: items, cols: dims.text, data: text }, audio: { rows: items * views, cols: dims.audio, data: audio } },
      pairs,
      modelIds: { text: `synthetic/text-${dims.text}`, audio: `synthetic/audio-${dims.audio}` },
    };
  };
  return { train: build(trainViews, voiceShift, 'train-'), test: build(testViews, testShift, 'test-') };
}
