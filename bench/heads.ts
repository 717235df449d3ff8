/**
 * Head-training benchmark: the issue's reference run, 10k text↔image pairs, 768→256 and 2048→256
 * linear heads, 20 epochs (early stopping off), on synthetic pairs with a hidden shared latent.
 *
 * Baselines measured in the same run: the naive triple-loop matmul against the blocked TypeScript
 * kernels and onnxruntime's Gemm on the trainer's largest shape, and one training epoch on the
 * TypeScript backend against the same epoch on onnxruntime (the second of two, so setup is not in it).
 *
 * Realism row: many pairs per item and a shifted test distribution, as spoken words are. 300 "words"
 * (one text vector each) heard in 8 training "voices"; each voice is its own random distortion of a
 * non-linear audio map. The test hears 4 new voices with stronger distortions. Audio→text recall@1 over
 * the 300 words for the trainer's defaults, next to a small grid of other settings trained in the same
 * run, and the defaults' ratio to the best of them.
 *
 * Run: `npm run bench:heads` (add `-- --pairs 2000 --epochs 3` for a quick look, `--backend js`
 * to time the whole run on the TypeScript kernels, `--only realism` or `--only speed` for one part).
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { matmul, matmulABT, matmulATB, matmulNaive } from '../encoders/linalg.js';
import { onnxKernels } from '../encoders/ort-kernels.js';
import { evaluateHeads } from '../encoders/eval-heads.js';
import { trainHeads, type TrainHeadsOptions, type TrainHeadsResult } from '../encoders/train-heads.js';
import { syntheticPairs, syntheticViews } from '../test/helpers/synthetic-pairs.js';

const { values } = parseArgs({
  options: {
    pairs: { type: 'string', default: '10000' },
    epochs: { type: 'string', default: '20' },
    batch: { type: 'string', default: '256' },
    backend: { type: 'string', default: 'onnx' },
    threads: { type: 'string', default: String(availableParallelism()) },
    json: { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});
if (values.only !== undefined && !['speed', 'realism'].includes(values.only)) throw new Error(`--only takes speed or realism, not ${values.only}`);
const pairs = Number(values.pairs);
const epochs = Number(values.epochs);
const batchSize = Number(values.batch);
const threads = Number(values.threads);
const backend = values.backend as 'onnx' | 'js';
const say = (s: string) => {
  if (!values.json) process.stderr.write(`${s}\n`);
};

async function time<T>(f: () => T | Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await f();
  return { ms: performance.now() - t0, value };
}

async function speedRows() {
  // Kernels on the trainer's largest shape: a batch through a 2048→256 layer.
  const [m, k, n] = [batchSize, 2048, 256];
  const rnd = (len: number) => Float32Array.from({ length: len }, (_, i) => Math.sin(i * 12.9898) * 0.5);
  const a = rnd(m * k);
  const b = rnd(k * n);
  const bt = rnd(n * k);
  const dy = rnd(m * n);
  const reps = 5;
  matmul(a, b, m, k, n); // warm up the JIT before timing
  const naive = await time(() => matmulNaive(a, b, m, k, n));
  const blocked = await time(() => {
    for (let r = 0; r < reps; r++) matmul(a, b, m, k, n);
  });
  const abt = await time(() => {
    for (let r = 0; r < reps; r++) matmulABT(a, bt, m, k, n);
  });
  const atb = await time(() => {
    for (let r = 0; r < reps; r++) matmulATB(dy, a, m, n, k);
  });
  const ort = await onnxKernels({ threads });
  await ort.abt(a, bt, m, k, n);
  const ortAbt = await time(async () => {
    for (let r = 0; r < reps; r++) await ort.abt(a, bt, m, k, n);
  });
  const ortAtb = await time(async () => {
    for (let r = 0; r < reps; r++) await ort.atb(dy, a, m, n, k);
  });
  await ort.dispose();
  const gmac = (ms: number) => (m * k * n) / ms / 1e6;
  const kernels = {
    shape: `${m}x${k} · ${k}x${n}`,
    naiveMs: naive.ms,
    blockedMs: blocked.ms / reps,
    abtMs: abt.ms / reps,
    atbMs: atb.ms / reps,
    onnxAbtMs: ortAbt.ms / reps,
    onnxAtbMs: ortAtb.ms / reps,
    blockedVsNaive: naive.ms / (blocked.ms / reps),
    onnxVsBlocked: abt.ms / ortAbt.ms,
    blockedGmacPerS: gmac(blocked.ms / reps),
    onnxGmacPerS: gmac(ortAbt.ms / reps),
  };
  say(`kernels (${kernels.shape}): naive ${kernels.naiveMs.toFixed(0)} ms, blocked A·B ${kernels.blockedMs.toFixed(0)} ms, ` +
    `A·Bᵀ ${kernels.abtMs.toFixed(0)} ms, Aᵀ·B ${kernels.atbMs.toFixed(0)} ms; onnx A·Bᵀ ${kernels.onnxAbtMs.toFixed(1)} ms, Aᵀ·B ${kernels.onnxAtbMs.toFixed(1)} ms`);

  const gen = await time(() => syntheticPairs({ count: pairs, latent: 64, dims: { text: 768, image: 2048 }, noise: 0.3, seed: 1 }));

  async function run(on: 'onnx' | 'js', epochCount: number, log: boolean): Promise<{ ms: number; epochMs: number[]; result: TrainHeadsResult }> {
    const epochMs: number[] = [];
    let last = performance.now();
    const t = await time(() =>
      trainHeads(gen.value, {
        epochs: epochCount,
        batchSize,
        seed: 1,
        backend: on,
        threads,
        // The reference run as it was measured before: linear heads, every epoch timed, no refit.
        hidden: 0,
        refit: false,
        patience: null,
        onEpoch: (e) => {
          const now = performance.now();
          epochMs.push(now - last);
          if (log) say(`epoch ${e.epoch} (${on}): ${((now - last) / 1000).toFixed(1)} s, train loss ${e.trainLoss.toFixed(4)}, held-out loss ${e.valLoss?.toFixed(4)}`);
          last = now;
        },
      }),
    );
    return { ms: t.ms, epochMs, result: t.value };
  }

  // Two epochs on each backend, same data and seed; the second epoch (no setup in it) gives the ratio.
  const twoJs = await run('js', 2, false);
  const twoOnnx = await run('onnx', 2, false);
  const jsEpoch = twoJs.epochMs[1];
  const onnxEpoch = twoOnnx.epochMs[1];
  say(`one epoch: js ${(jsEpoch / 1000).toFixed(1)} s, onnx ${(onnxEpoch / 1000).toFixed(1)} s`);
  const full = await run(backend, epochs, true);

  const result = {
    machine: { cpus: cpus().length, model: cpus()[0]?.model, loadAvg1m: loadavg()[0] },
    kernels,
    oneEpoch: { jsMs: jsEpoch, onnxMs: onnxEpoch, onnxVsJs: jsEpoch / onnxEpoch },
    training: {
      backend: full.result.backend,
      threads,
      pairs,
      dims: '768→256 + 2048→256',
      epochs: full.result.history.length,
      batchSize,
      dataGenerationMs: gen.ms,
      totalMs: full.ms,
      meanEpochMs: full.epochMs.reduce((s, x) => s + x, 0) / full.epochMs.length,
      heldOutRecallAt1: full.result.validation?.mean.r1 ?? null,
      temperature: full.result.temperature,
    },
  };
  return result;
}

/** The realism row: defaults against a grid of other settings, on words heard in new voices. */
async function realismRow() {
  const { train, test } = syntheticViews({ items: 300, trainViews: 8, testViews: 4, noise: 0.7, voiceShift: 0.7, testShift: 1, seed: 7 });
  const grid: [string, TrainHeadsOptions][] = [
    ['defaults', {}],
    ['learned temperature', { temperature: 'learned' }],
    ['no input noise', { inputNoise: 0 }],
    ['input noise 1', { inputNoise: 1 }],
    ['no dropout', { dropout: 0 }],
    ['linear heads', { hidden: 0 }],
    ['dropout 0.2', { dropout: 0.2 }],
    ['hidden 256', { hidden: 256 }],
    ['the pre-issue-17 trainer (learned τ, no noise/dropout, 20 epochs, patience 3, no refit)', { temperature: 'learned', inputNoise: 0, dropout: 0, epochs: 20, patience: 3, refit: false, valFraction: 0.1, hidden: 0 }],
  ];
  const rows = [];
  for (const [name, options] of grid) {
    const t0 = performance.now();
    // valFraction 0 gives the very heads the default held-out split + refit returns, in half the time.
    const r = await trainHeads(train, { seed: 1, backend, threads, valFraction: 0, ...options });
    const e = evaluateHeads(r.heads, test, { baseline: false }).heads.kinds[0];
    rows.push({ name, options, audioToTextR1: e.bToA.r1, textToAudioR1: e.aToB.r1, heldOutR1: r.validation?.mean.r1 ?? null, epochs: r.history.length, seconds: (performance.now() - t0) / 1000 });
    say(`realism: ${name}: audio→text R@1 ${e.bToA.r1.toFixed(3)} on new voices (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
  const best = rows.slice(1).reduce((b, r) => (r.audioToTextR1 > b.audioToTextR1 ? r : b));
  return { words: 300, trainVoices: 8, testVoices: 4, rows, best: best.name, defaultsVsBest: rows[0].audioToTextR1 / best.audioToTextR1 };
}

const speed = values.only === 'realism' ? null : await speedRows();
const realism = values.only === 'speed' ? null : await realismRow();
const result = { ...(speed ?? {}), realism };
if (values.json) {
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
} else if (speed) {
  const { kernels } = speed;
  console.log(`blocked TypeScript matmul vs naive triple loop: ${kernels.blockedVsNaive.toFixed(1)}x (${kernels.blockedGmacPerS.toFixed(2)} GMAC/s)`);
  console.log(`onnxruntime Gemm vs blocked TypeScript (A·Bᵀ): ${kernels.onnxVsBlocked.toFixed(1)}x (${kernels.onnxGmacPerS.toFixed(1)} GMAC/s)`);
  console.log(`one training epoch, onnx vs js backend: ${speed.oneEpoch.onnxVsJs.toFixed(1)}x`);
  console.log(`training: ${pairs} pairs, 768→256 + 2048→256, ${speed.training.epochs} epochs on ${speed.training.backend} in ` +
    `${(speed.training.totalMs / 1000).toFixed(1)} s (${(speed.training.meanEpochMs / 1000).toFixed(1)} s/epoch), held-out recall@1 ${speed.training.heldOutRecallAt1?.toFixed(3)}`);
}
if (!values.json && realism) {
  console.log(`realism (${realism.words} words, ${realism.trainVoices} training voices, ${realism.testVoices} new voices), audio→text R@1:`);
  for (const r of realism.rows) console.log(`  ${r.name.padEnd(40)} ${r.audioToTextR1.toFixed(3)}`);
  console.log(`  defaults vs best other setting (${realism.best}): ${realism.defaultsVsBest.toFixed(2)}x`);
}
if (!values.json) console.log(`load average (1 min) at the end: ${loadavg()[0].toFixed(2)} on ${cpus().length} cores`);
