/**
 * Encoder benchmark on the base-size generated models (BERT-base, ResNet-50, Wav2Vec2-base; seeded
 * weights, real shapes), all in one run so the ratios compare like with like:
 *
 *   1. text: our encoder vs transformers.js `pipeline('feature-extraction')` (mean pooling) on the
 *      same model file, the same mixed-length sentences and the same batch size — target ≥ 1.5×;
 *   2. image: our encoder incl. JPEG decoding vs `pipeline('image-feature-extraction')` on the same
 *      files and batch size — target ≥ 1.3×;
 *   3. audio: Wav2Vec2-base real-time factor on 60 s of audio (decode + windows + model) — target ≤ 0.15;
 *   4. achieved GFLOP/s of each encoder (analytic FLOPs of the useful work, padding excluded) as a
 *      percentage of a MatMul peak measured with onnxruntime in the same process;
 *   5. q8 (onnx/model_quantized.onnx, dynamic int8) against fp32 on the same sentences and the same
 *      audio, alternating (bench/q8.ts) — targets ≥ 2× for text, ≥ 1.5× for audio, min cosine of the
 *      native vectors ≥ 0.99.
 *
 * Run: `npm run bench:encoders` (`-- --quick` for a smoke run with fewer items, `-- --only image`, `-- --json`).
 * The base models are generated once into bench/.data/models (gitignored; ~800 MB, ~40 s).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { env, pipeline } from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { defaultBinary } from '../src/core/ffmpeg/index.js';
import { createEncoder } from '../encoders/encoder.js';
import { buildModels, generatedModelId } from '../encoders/onnx/build.js';
import { GraphBuilder } from '../encoders/onnx/graph.js';
import { DataType } from '../encoders/onnx/proto.js';
import { benchQ8Audio, benchQ8Text, ensureQuantized, Q8_TARGETS } from './q8.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    sentences: { type: 'string' },
    images: { type: 'string' },
    'audio-seconds': { type: 'string' },
    only: { type: 'string', default: 'text,image,audio,q8-text,q8-audio' },
  },
});
const quick = values.quick ?? false;
const N_TEXT = Number(values.sentences ?? (quick ? 96 : 1000));
const N_IMAGES = Number(values.images ?? (quick ? 32 : 200));
const AUDIO_SECONDS = Number(values['audio-seconds'] ?? (quick ? 20 : 60));
const TEXT_BATCH = 32;
const IMAGE_BATCH = 16;
const threads = availableParallelism();
/** What createEncoder picks on cpu with threads = cores (see its overlapDecode option). */
const defaultOverlap = false;

const DATA = fileURLToPath(new URL('./.data/', import.meta.url));
const MODELS = join(DATA, 'models');
const log = (m: string) => process.stderr.write(`${m}\n`);
const quiet = { warn: () => undefined };

// ---------------------------------------------------------------- inputs

async function ensureModels(): Promise<void> {
  const need = (['bert', 'resnet', 'wav2vec2'] as const).filter((f) => !existsSync(join(MODELS, generatedModelId(f, 'base'), 'onnx', 'model.onnx')));
  if (need.length === 0) return;
  log(`generating base models (${need.join(', ')}) into ${MODELS} ...`);
  await buildModels({ preset: 'base', out: MODELS, only: need });
}

/** Deterministic sentences with a long-tailed length mix, like subtitle cues and captions: mostly short, some long. */
async function makeSentences(n: number): Promise<string[]> {
  const vocab = (await readFile(join(MODELS, generatedModelId('bert', 'base'), 'vocab.txt'), 'utf8')).split('\n').filter((w) => /^[a-z]{2,}$/.test(w));
  let s = 12345;
  const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  return Array.from({ length: n }, () => {
    const r = rand();
    const words = r < 0.7 ? 3 + Math.floor(rand() * 12) : r < 0.95 ? 15 + Math.floor(rand() * 25) : 40 + Math.floor(rand() * 80);
    return Array.from({ length: words }, () => vocab[Math.floor(rand() * vocab.length)]).join(' ');
  });
}

async function makeImages(n: number): Promise<string[]> {
  const dir = join(DATA, 'images');
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < n; i++) {
    const file = join(dir, `img-${String(i).padStart(4, '0')}.jpg`);
    files.push(file);
    if (existsSync(file)) continue;
    const [w, h] = i % 3 === 0 ? [480, 640] : [640, 480];
    const px = Buffer.alloc(w * h * 3);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const k = (y * w + x) * 3;
        px[k] = (x * (i + 3) + y) & 255;
        px[k + 1] = (128 + 127 * Math.sin((x + i * 7) / 17) * Math.cos(y / 23)) | 0;
        px[k + 2] = ((x ^ y) + i * 13) & 255;
      }
    }
    await sharp(px, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 85 }).toFile(file);
  }
  return files;
}

async function makeAudio(seconds: number): Promise<string> {
  const file = join(DATA, `speechlike-${seconds}s.wav`);
  if (existsSync(file)) return file;
  const rate = 16_000;
  const samples = new Float32Array(seconds * rate);
  let s = 7;
  for (let i = 0; i < samples.length; i++) {
    const t = i / rate;
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const syllable = 0.5 + 0.5 * Math.sin(2 * Math.PI * 4 * t);
    samples[i] = syllable * (0.3 * Math.sin(2 * Math.PI * (140 + 30 * Math.sin(t)) * t) + 0.1 * Math.sin(2 * Math.PI * 1200 * t)) + 0.02 * (s / 2 ** 32 - 0.5);
  }
  const raw = `${file}.f32`;
  await writeFile(raw, Buffer.from(samples.buffer));
  await promisify(execFile)(defaultBinary('ffmpeg').path, ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'f32le', '-ar', '16000', '-ac', '1', '-i', raw, '-c:a', 'pcm_s16le', file]);
  return file;
}

// ---------------------------------------------------------------- FLOP counts (multiply-add = 2)

interface TransformerShape {
  layers: number;
  hidden: number;
  ff: number;
}
/** One encoder stack over a sequence of n positions: projections, attention scores/weighted sum, FFN. */
function transformerFlops({ layers, hidden: d, ff }: TransformerShape, n: number): number {
  return layers * (2 * n * (4 * d * d + 2 * d * ff) + 4 * n * n * d);
}

function bertFlops(config: Record<string, number>, tokens: readonly number[]): number {
  const shape = { layers: config.num_hidden_layers, hidden: config.hidden_size, ff: config.intermediate_size };
  return tokens.reduce((sum, n) => sum + transformerFlops(shape, n), 0);
}

/** ResNet-50 at 224×224: 4.09 GMACs (the standard count), only when the config is ResNet-50's. */
function resnetFlopsPerImage(config: { depths: number[]; hidden_sizes: number[] }): number | null {
  const isR50 = config.depths.join() === '3,4,6,3' && config.hidden_sizes.join() === '256,512,1024,2048';
  return isR50 ? 2 * 4.09e9 : null;
}

function wav2vec2Flops(config: Record<string, number | number[]>, samples: number): number {
  const dims = config.conv_dim as number[];
  const kernels = config.conv_kernel as number[];
  const strides = config.conv_stride as number[];
  let len = samples;
  let inCh = 1;
  let flops = 0;
  dims.forEach((outCh, i) => {
    len = Math.floor((len - kernels[i]) / strides[i]) + 1;
    flops += 2 * len * kernels[i] * inCh * outCh;
    inCh = outCh;
  });
  const d = config.hidden_size as number;
  flops += 2 * len * inCh * d; // feature projection
  const groups = config.num_conv_pos_embedding_groups as number;
  flops += 2 * len * (config.num_conv_pos_embeddings as number) * (d / groups) * d; // positional conv
  flops += transformerFlops({ layers: config.num_hidden_layers as number, hidden: d, ff: config.intermediate_size as number }, len);
  return flops;
}

// ---------------------------------------------------------------- MatMul peak

const peakSamples: number[] = [];
let peakSession: ort.InferenceSession | null = null;
let peakFeeds: Record<string, ort.Tensor> = {};
const PEAK_N = 1536;

/**
 * Best MatMul GFLOP/s onnxruntime reaches here with the encoders' thread count. Measured several times
 * during the run (the best sample counts): on a shared machine a single early sample can land in a
 * busy moment and make the encoders look faster than "peak".
 */
async function samplePeak(): Promise<number> {
  const n = PEAK_N;
  if (!peakSession) {
    const file = join(DATA, `matmul-${n}.onnx`);
    if (!existsSync(file)) {
      const g = new GraphBuilder('matmul_peak');
      g.input('A', DataType.FLOAT, [n, n]);
      g.input('B', DataType.FLOAT, [n, n]);
      g.op1('MatMul', ['A', 'B'], {}, 'Y');
      g.output('Y', DataType.FLOAT, [n, n]);
      await g.write(file, { seed: 0 });
    }
    peakSession = await ort.InferenceSession.create(file, { executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1 });
    peakFeeds = {
      A: new ort.Tensor('float32', Float32Array.from({ length: n * n }, (_, i) => Math.sin(i)), [n, n]),
      B: new ort.Tensor('float32', Float32Array.from({ length: n * n }, (_, i) => Math.cos(i)), [n, n]),
    };
    await peakSession.run(peakFeeds); // warm up
  }
  let best = Infinity;
  for (let r = 0; r < 4; r++) {
    const t0 = performance.now();
    await peakSession.run(peakFeeds);
    best = Math.min(best, performance.now() - t0);
  }
  const gflops = (2 * n ** 3) / (best / 1000) / 1e9;
  peakSamples.push(gflops);
  return gflops;
}

// ---------------------------------------------------------------- runs

async function timed<T>(f: () => Promise<T>): Promise<{ s: number; value: T }> {
  const t0 = performance.now();
  const value = await f();
  return { s: (performance.now() - t0) / 1000, value };
}

/**
 * Times baseline and ours on the same items in alternating rounds (A B B A ...) and sums each side: on a shared machine the load drifts, and alternating spreads the
 * drift over both sides instead of handing it to whichever ran second.
 */
async function interleaved<T, K extends string>(items: readonly T[], roundSize: number, run: Record<K, (slice: T[]) => Promise<void>>): Promise<Record<K, { s: number }>> {
  const sides = Object.keys(run) as K[];
  const total = Object.fromEntries(sides.map((k) => [k, { s: 0 }])) as Record<K, { s: number }>;
  for (let start = 0, r = 0; start < items.length; start += roundSize, r++) {
    const slice = items.slice(start, start + roundSize);
    for (const side of r % 2 === 0 ? sides : [...sides].reverse()) total[side].s += (await timed(() => run[side](slice))).s;
  }
  return total;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function benchText() {
  const id = generatedModelId('bert', 'base');
  const config = JSON.parse(await readFile(join(MODELS, id, 'config.json'), 'utf8'));
  const sentences = await makeSentences(N_TEXT);
  const enc = await createEncoder('text', { model: id, modelsDir: MODELS, device: 'cpu', batchSize: TEXT_BATCH, logger: quiet });
  env.localModelPath = MODELS + '/';
  env.allowRemoteModels = false;
  // Same intra-op thread count as ours, so the ratio measures the encoder, not a thread setting.
  const extractor = await pipeline('feature-extraction', id, { dtype: 'fp32', device: 'cpu', session_options: { intraOpNumThreads: threads } });
  const tokenizer = extractor.tokenizer;
  const tokens = sentences.map((t) => tokenizer.encode(t).length);
  // Warm up both, and check they compute the same thing.
  for (let r = 0; r < 2; r++) {
    await enc.embed(sentences.slice(0, TEXT_BATCH));
    (await extractor(sentences.slice(0, TEXT_BATCH), { pooling: 'mean', normalize: false })).dispose?.();
  }
  const probe = sentences.slice(0, 4);
  const [oursProbe, refProbe] = [await enc.embedNative(probe), await extractor(probe, { pooling: 'mean', normalize: false })];
  const h = enc.nativeDims();
  const agree = Math.max(...oursProbe.map((v, i) => maxAbsDiff(v, (refProbe.data as Float32Array).subarray(i * h, (i + 1) * h))));

  log(`text: ${sentences.length} sentences, ${tokens.reduce((a, b) => a + b, 0)} tokens (max ${Math.max(...tokens)}) ...`);
  // Rounds of 8 batches: enough for length sorting to matter as it does in one big call.
  const { base, ours } = await interleaved(sentences, TEXT_BATCH * 8, {
    base: async (slice) => {
      for (let i = 0; i < slice.length; i += TEXT_BATCH) (await extractor(slice.slice(i, i + TEXT_BATCH), { pooling: 'mean', normalize: false })).dispose?.();
    },
    ours: async (slice) => void (await enc.embed(slice)),
  });
  await enc.dispose();
  await extractor.dispose();
  const flops = bertFlops(config, tokens);
  return {
    items: sentences.length,
    oursPerSec: sentences.length / ours.s,
    basePerSec: sentences.length / base.s,
    ratio: base.s / ours.s,
    gflops: flops / ours.s / 1e9,
    maxNativeDiff: agree,
  };
}

async function benchImage() {
  const id = generatedModelId('resnet', 'base');
  const config = JSON.parse(await readFile(join(MODELS, id, 'config.json'), 'utf8'));
  const files = await makeImages(N_IMAGES);
  const enc = await createEncoder('image', { model: id, modelsDir: MODELS, device: 'cpu', batchSize: IMAGE_BATCH, logger: quiet });
  const other = await createEncoder('image', { model: id, modelsDir: MODELS, device: 'cpu', batchSize: IMAGE_BATCH, logger: quiet, overlapDecode: !defaultOverlap });
  env.localModelPath = MODELS + '/';
  env.allowRemoteModels = false;
  const extractor = await pipeline('image-feature-extraction', id, { dtype: 'fp32', device: 'cpu', session_options: { intraOpNumThreads: threads } });
  // Warm up every side with a full batch: onnxruntime's first runs at a new shape are slow.
  for (let r = 0; r < 2; r++) {
    await enc.embed(files.slice(0, IMAGE_BATCH));
    await other.embed(files.slice(0, IMAGE_BATCH));
    (await extractor(files.slice(0, IMAGE_BATCH))).dispose?.();
  }
  log(`image: ${files.length} JPEGs ...`);
  const { base, ours, otherMode } = await interleaved(files, IMAGE_BATCH * (quick ? 1 : 4), {
    base: async (slice) => {
      for (let i = 0; i < slice.length; i += IMAGE_BATCH) (await extractor(slice.slice(i, i + IMAGE_BATCH))).dispose?.();
    },
    ours: async (slice) => void (await enc.embed(slice)),
    otherMode: async (slice) => void (await other.embed(slice)),
  });
  await enc.dispose();
  await other.dispose();
  await extractor.dispose();
  const perImage = resnetFlopsPerImage(config);
  const flops = perImage === null ? null : perImage * files.length;
  return {
    items: files.length,
    oursPerSec: files.length / ours.s,
    basePerSec: files.length / base.s,
    ratio: base.s / ours.s,
    // > 1: decoding during inference is faster than decoding in between.
    overlapGain: defaultOverlap ? otherMode.s / ours.s : ours.s / otherMode.s,
    defaultOverlap,
    gflops: flops === null ? null : flops / ours.s / 1e9,
  };
}

async function benchAudio() {
  const id = generatedModelId('wav2vec2', 'base');
  const config = JSON.parse(await readFile(join(MODELS, id, 'config.json'), 'utf8'));
  const file = await makeAudio(AUDIO_SECONDS);
  const enc = await createEncoder('audio', { model: id, modelsDir: MODELS, device: 'cpu', logger: quiet });
  // Warm up at the real window shape (10 s).
  await enc.embed([{ samples: Float32Array.from({ length: 160_000 }, (_, i) => Math.sin(i / 9)), sampleRate: 16_000 }]);
  log(`audio: ${AUDIO_SECONDS} s ...`);
  const ours = await timed(() => enc.embed([file]));
  await enc.dispose();
  const windows = Math.floor(AUDIO_SECONDS / 10);
  const flops = windows * wav2vec2Flops(config, 160_000) + (AUDIO_SECONDS % 10 ? wav2vec2Flops(config, (AUDIO_SECONDS % 10) * 16_000) : 0);
  return { seconds: AUDIO_SECONDS, s: ours.s, rtf: ours.s / AUDIO_SECONDS, gflops: flops / ours.s / 1e9 };
}

// ---------------------------------------------------------------- main

await mkdir(DATA, { recursive: true });
await ensureModels();
log(`measuring MatMul peak (${threads} threads) ...`);
const only = new Set((values.only ?? '').split(',').map((x) => x.trim()));
const PARTS = ['text', 'image', 'audio', 'q8-text', 'q8-audio'];
for (const part of only) if (!PARTS.includes(part)) throw new Error(`--only: unknown part ${part} (${PARTS.join(', ')})`);
await ensureQuantized(MODELS, ['bert', 'wav2vec2']);
await samplePeak();
const text = only.has('text') ? await benchText() : null;
await samplePeak();
const image = only.has('image') ? await benchImage() : null;
await samplePeak();
const audio = only.has('audio') ? await benchAudio() : null;
await samplePeak();
const q8Text = only.has('q8-text') ? await benchQ8Text(MODELS, await makeSentences(N_TEXT), TEXT_BATCH) : null;
const q8Audio = only.has('q8-audio') ? await benchQ8Audio(MODELS, await makeAudio(AUDIO_SECONDS), AUDIO_SECONDS) : null;
await (peakSession as ort.InferenceSession | null)?.release();
const peak = Math.max(...peakSamples);
const pct = (g: number | null) => (g === null ? null : (100 * g) / peak);

const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
const f = (x: number | null, d = 2) => (x === null ? 'n/a' : x.toFixed(d));
const rows: string[][] = [['benchmark', 'ours', 'baseline', 'ratio', 'target', 'result']];
if (text) rows.push([`text (${text.items} sentences/s)`, f(text.oursPerSec, 1), f(text.basePerSec, 1), `${f(text.ratio)}×`, '≥ 1.5×', verdict(text.ratio >= 1.5)]);
if (image) {
  rows.push([`image (${image.items} JPEGs/s)`, f(image.oursPerSec, 2), f(image.basePerSec, 2), `${f(image.ratio)}×`, '≥ 1.3×', verdict(image.ratio >= 1.3)]);
  rows.push([`image: overlapped vs in-turn decode`, `${f(image.overlapGain)}×`, '-', '-', '-', `default: ${image.defaultOverlap ? 'overlap' : 'in turn'}`]);
}
if (audio) rows.push([`audio RTF (${audio.seconds} s)`, f(audio.rtf, 3), '-', '-', '≤ 0.15', verdict(audio.rtf <= 0.15)]);
if (q8Text) rows.push([`text q8 vs fp32 (${q8Text.items} sentences/s)`, f(q8Text.q8PerSec, 1), f(q8Text.fp32PerSec, 1), `${f(q8Text.ratio)}×`, `≥ ${Q8_TARGETS.text}×`, verdict(q8Text.ratio >= Q8_TARGETS.text)]);
if (q8Audio) rows.push([`audio q8 vs fp32 (audio s/s, ${AUDIO_SECONDS} s)`, f(q8Audio.q8PerSec, 1), f(q8Audio.fp32PerSec, 1), `${f(q8Audio.ratio)}×`, `≥ ${Q8_TARGETS.audio}×`, verdict(q8Audio.ratio >= Q8_TARGETS.audio)]);
for (const [name, part] of [['text', q8Text], ['audio', q8Audio]] as const) {
  if (part) rows.push([`${name} q8: min cosine to fp32 (${part.compared} ${name === 'text' ? 'sentences' : '10 s windows'})`, f(part.minCosine, 4), '-', '-', `≥ ${Q8_TARGETS.cosine}`, verdict(part.minCosine >= Q8_TARGETS.cosine)]);
}
rows.push([`MatMul peak GFLOP/s (best of ${peakSamples.length})`, f(peak, 1), '-', '-', '-', '-']);
for (const [name, part] of [['text', text], ['image', image], ['audio', audio]] as const) {
  if (part) rows.push([`${name} GFLOP/s (% of peak)`, `${f(part.gflops, 1)} (${f(pct(part.gflops), 0)}%)`, '-', '-', '-', '-']);
}
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
const load = loadavg().map((x) => x.toFixed(2)).join(' ');
const header = `mmalign encoders benchmark${quick ? ' (--quick)' : ''} — ${cpus()[0]?.model ?? 'cpu'} × ${threads}, load avg ${load}; base-size generated models, cpu provider, ${threads} intra-op threads on both sides`;
if (values.json) {
  process.stdout.write(JSON.stringify({ quick, threads, loadavg: loadavg(), peakGflops: peak, peakSamples, text, image, audio, q8Text, q8Audio }, null, 2) + '\n');
} else {
  process.stdout.write(`${header}\n`);
  for (const r of rows) process.stdout.write(`| ${r.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |\n`);
  if (text) process.stdout.write(`text: our native vectors vs the pipeline's, max |diff| ${text.maxNativeDiff.toExponential(1)} (same model, same pooling)\n`);
  for (const [name, part] of [['text', q8Text], ['audio', q8Audio]] as const) {
    if (part) process.stdout.write(`${name} q8: ${(part.q8Bytes / 1e6).toFixed(0)} MB vs ${(part.fp32Bytes / 1e6).toFixed(0)} MB fp32; cosine to fp32 min ${part.minCosine.toFixed(5)}, mean ${part.meanCosine.toFixed(5)}\n`);
  }
}
