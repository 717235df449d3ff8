/**
 * q8 against fp32, part of `npm run bench:encoders`: the same encoder class, the same items, the same
 * run, only the ONNX file differs (onnx/model_quantized.onnx vs onnx/model.onnx). Times alternate
 * between the two sides so a shared machine's drifting load falls on both; accuracy is the cosine
 * between the q8 and fp32 native (pooled, pre-head) vectors of the same inputs.
 *
 * Targets (issue 15): text ≥ 2× throughput, audio ≥ 1.5×, min cosine ≥ 0.99.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createEncoder } from '../encoders/encoder.js';
import { generatedModelId } from '../encoders/onnx/build.js';
import { QUANTIZED_ONNX_FILE, quantizeModelDir } from '../encoders/onnx/quantize.js';
import { similarity as cosine } from '../encoders/similarity.js';

const quiet = { warn: () => undefined };
const log = (m: string) => process.stderr.write(`${m}\n`);

export const Q8_TARGETS = Object.freeze({ text: 2, audio: 1.5, cosine: 0.99 });

export interface Q8Result {
  items: number;
  /** How many of them the cosines were taken on. */
  compared: number;
  fp32PerSec: number;
  q8PerSec: number;
  ratio: number;
  minCosine: number;
  meanCosine: number;
  fp32Bytes: number;
  q8Bytes: number;
}


/** Older bench data folders (built before q8 existed) get their q8 files made from the same fp32 files. */
export async function ensureQuantized(models: string, families: readonly ('bert' | 'wav2vec2')[]): Promise<void> {
  for (const family of families) {
    const dir = join(models, generatedModelId(family, 'base'));
    if (existsSync(join(dir, 'onnx', QUANTIZED_ONNX_FILE))) continue;
    log(`quantizing ${dir} ...`);
    await quantizeModelDir(dir);
  }
}

async function fileBytes(dir: string, file: string): Promise<number> {
  return (await readFile(join(dir, 'onnx', file))).byteLength;
}

/** Runs both sides once per round, in alternating order (A B, B A, ...); seconds per side. */
async function alternate(rounds: number, sides: Record<'fp32' | 'q8', (round: number) => Promise<void>>): Promise<Record<'fp32' | 'q8', number>> {
  const total = { fp32: 0, q8: 0 };
  for (let r = 0; r < rounds; r++) {
    for (const side of r % 2 === 0 ? (['fp32', 'q8'] as const) : (['q8', 'fp32'] as const)) {
      const t0 = performance.now();
      await sides[side](r);
      total[side] += (performance.now() - t0) / 1000;
    }
  }
  return total;
}

const cosines = (a: Float32Array[], b: Float32Array[]) => a.map((v, i) => cosine(v, b[i]));
const summary = (c: number[]) => ({ minCosine: Math.min(...c), meanCosine: c.reduce((s, x) => s + x, 0) / c.length });

/**
 * BERT-base, fp32 vs q8, on the benchmark's sentences in batches of `batch`.
 *
 * @example
 * const r = await benchQ8Text('bench/.data/models', sentences, 32);
 */
export async function benchQ8Text(models: string, sentences: readonly string[], batch: number): Promise<Q8Result> {
  const id = generatedModelId('bert', 'base');
  const make = (dtype: 'fp32' | 'q8') => createEncoder('text', { model: id, modelsDir: models, device: 'cpu', dtype, batchSize: batch, logger: quiet });
  const enc = { fp32: await make('fp32'), q8: await make('q8') };
  for (const e of Object.values(enc)) await e.embed(sentences.slice(0, batch)); // warm up
  const probe = sentences.slice(0, Math.min(sentences.length, 256));
  const c = cosines(await enc.fp32.embedNative(probe), await enc.q8.embedNative(probe));
  log(`text q8: ${sentences.length} sentences, fp32 and q8 alternating ...`);
  // Rounds of 8 batches, as the fp32 comparison uses: enough for length sorting to matter.
  const per = batch * 8;
  const rounds = Math.ceil(sentences.length / per);
  const slice = (r: number) => sentences.slice(r * per, (r + 1) * per);
  const t = await alternate(rounds, {
    fp32: async (r) => void (await enc.fp32.embed(slice(r))),
    q8: async (r) => void (await enc.q8.embed(slice(r))),
  });
  await enc.fp32.dispose();
  await enc.q8.dispose();
  const dir = join(models, id);
  return {
    items: sentences.length,
    compared: probe.length,
    fp32PerSec: sentences.length / t.fp32,
    q8PerSec: sentences.length / t.q8,
    ratio: t.fp32 / t.q8,
    ...summary(c),
    fp32Bytes: await fileBytes(dir, 'model.onnx'),
    q8Bytes: await fileBytes(dir, QUANTIZED_ONNX_FILE),
  };
}

/**
 * Wav2Vec2-base, fp32 vs q8, on one audio file (decode + 10 s windows + model), and the cosines of
 * the two sides' vectors for each 10 s window of it.
 */
export async function benchQ8Audio(models: string, file: string, seconds: number): Promise<Q8Result> {
  const id = generatedModelId('wav2vec2', 'base');
  const make = (dtype: 'fp32' | 'q8') => createEncoder('audio', { model: id, modelsDir: models, device: 'cpu', dtype, logger: quiet });
  const enc = { fp32: await make('fp32'), q8: await make('q8') };
  const warm = [{ samples: Float32Array.from({ length: 160_000 }, (_, i) => Math.sin(i / 9)), sampleRate: 16_000 }];
  for (const e of Object.values(enc)) await e.embed(warm);
  const [w32, w8] = [(await enc.fp32.embedWindows([file]))[0], (await enc.q8.embedWindows([file]))[0]];
  // Window vectors are projected; the native ones are what the brief compares, so embed each window's samples natively.
  const samples = await readWavMono16k(file);
  const windows = w32.map((w) => ({ samples: samples.subarray(Math.round(w.start * 16_000), Math.round(w.end * 16_000)), sampleRate: 16_000 }));
  const c = cosines(await enc.fp32.embedNative(windows), await enc.q8.embedNative(windows));
  if (w8.length !== w32.length) throw new Error(`q8 cut ${w8.length} windows, fp32 ${w32.length}`);
  log(`audio q8: ${seconds} s, fp32 and q8 alternating ...`);
  const t = await alternate(2, { fp32: async () => void (await enc.fp32.embed([file])), q8: async () => void (await enc.q8.embed([file])) });
  await enc.fp32.dispose();
  await enc.q8.dispose();
  const dir = join(models, id);
  return {
    items: windows.length,
    compared: windows.length,
    // Audio seconds per second; each side embedded the file twice.
    fp32PerSec: (2 * seconds) / t.fp32,
    q8PerSec: (2 * seconds) / t.q8,
    ratio: t.fp32 / t.q8,
    ...summary(c),
    fp32Bytes: await fileBytes(dir, 'model.onnx'),
    q8Bytes: await fileBytes(dir, QUANTIZED_ONNX_FILE),
  };
}

/** The samples of a 16 kHz mono s16 WAV (the benchmark's own files). */
async function readWavMono16k(file: string): Promise<Float32Array> {
  const buf = await readFile(file);
  let pos = 12;
  while (pos + 8 <= buf.length) {
    const id = buf.toString('ascii', pos, pos + 4);
    const size = buf.readUInt32LE(pos + 4);
    if (id === 'data') {
      const n = Math.floor(Math.min(size, buf.length - pos - 8) / 2);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = buf.readInt16LE(pos + 8 + 2 * i) / 32768;
      return out;
    }
    pos += 8 + size + (size % 2);
  }
  throw new Error(`${file}: no data chunk`);
}
