import { createHash } from 'node:crypto';
import type { Embedder, EmbedderProvider } from '../../index/index.js';
import { mulberry32 } from '../../src/core/random.js';
import type { Modality } from '../../src/core/types.js';

/** Deterministic unit vector for a string: the same input always gives the same direction. */
export function vectorFor(input: string, dims = 256): Float32Array {
  const rand = mulberry32(createHash('sha256').update(input).digest().readUInt32LE(0));
  const v = new Float32Array(dims);
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    v[i] = rand() - 0.5;
    norm += v[i] * v[i];
  }
  const n = Math.sqrt(norm);
  for (let i = 0; i < dims; i++) v[i] /= n;
  return v;
}

export interface FakeEmbedders {
  provider: EmbedderProvider;
  /** Every input sent to an encoder, per modality, in order. */
  inputs: Record<Modality, string[]>;
  /** Number of embed() calls. */
  calls: number;
}

/**
 * Embedders that hash their input into a vector (file inputs hash the path's content name, so tests stay
 * fast and need no ONNX). `version` plays the model@heads version; `delayMs` slows each call.
 */
export function fakeEmbedders({ version = 'fake@1', delayMs = 0, fail }: { version?: string; delayMs?: number; fail?: (input: string) => boolean } = {}): FakeEmbedders {
  const state: FakeEmbedders = {
    inputs: { text: [], image: [], audio: [] },
    calls: 0,
    provider: async (modality: Modality): Promise<Embedder> => ({
      version: `${modality}-${version}`,
      async embed(batch) {
        state.calls++;
        if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
        for (const b of batch) if (fail?.(b)) throw new Error(`cannot embed ${b}`);
        state.inputs[modality].push(...batch);
        return batch.map((b) => vectorFor(`${modality}:${b}`));
      },
    }),
  };
  return state;
}
