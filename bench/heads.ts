/**
 * Head-training benchmark: the reference run, 10k text↔image pairs, 768→256 and 2048→256
 * linear heads, 20 epochs (early stopping off), on synthetic pairs with a hidden shared latent.
 * Also times the blocked matmul kernels against the naive triple loop in the same process, which is
 * the ratio to compare across machines. Run: `npm run bench:heads` (add `-- --pairs 2000 --epochs 3`
 * for a quick look).
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { matmul, matmulABT, matmulATB, matmulNaive } from '../encoders/linalg.js';
import { trainHeads } from '../encoders/train-heads.js';
import { syntheticPairs } from '../test/synthetic-pairs.js';

const { values } = parseArgs({
  options: {
    pairs: { type: 'string', default: '10000' },
    epochs: { type: 'string', default: '20' },
    batch: { type: 'string', default: '256' },
    json: { type: 'boolean', default: false },
  },
});
const pairs = Number(values.pairs);
const epochs = Number(values.epochs);
const batchSize = Number(values.batch);

function time<T>(f: () => T): { ms: number; value: T } {
  const t0 = performance.now();
  const value = f();
  return { ms: performance.now() - t0, value };
}

// Kernels on the trainer's largest shape: a 256-row batch through a 2048→256 layer.
const [m, k, n] = [batchSize, 2048, 256];
const rnd = (len: number) => Float32Array.from({ length: len }, (_, i) => Math.sin(i * 12.9898) * 0.5);
const a = rnd(m * k);
const b = rnd(k * n);
const bt = rnd(n * k);
const dy = rnd(m * n);
matmul(a, b, m, k, n); // warm up the JIT before timing
const naive = time(() => matmulNaive(a, b, m, k, n));
const reps = 5;
const blocked = time(() => {
  for (let r = 0; r < reps; r++) matmul(a, b, m, k, n);
});
const abt = time(() => {
  for (let r = 0; r < reps; r++) matmulABT(a, bt, m, k, n);
});
const atb = time(() => {
  for (let r = 0; r < reps; r++) matmulATB(dy, a, m, n, k);
});
const gmac = (ms: number) => (m * k * n) / ms / 1e6;
const kernels = {
  shape: `${m}x${k} · ${k}x${n}`,
  naiveMs: naive.ms,
  blockedMs: blocked.ms / reps,
  abtMs: abt.ms / reps,
  atbMs: atb.ms / reps,
  speedup: naive.ms / (blocked.ms / reps),
  blockedGmacPerS: gmac(blocked.ms / reps),
};

const gen = time(() => syntheticPairs({ count: pairs, latent: 64, dims: { text: 768, image: 2048 }, noise: 0.3, seed: 1 }));
const epochMs: number[] = [];
let last = performance.now();
const train = time(() =>
  trainHeads(gen.value, {
    epochs,
    batchSize,
    seed: 1,
    patience: epochs, // time every epoch: early stopping off
    onEpoch: (e) => {
      const now = performance.now();
      const dt = now - last;
      epochMs.push(dt);
      last = now;
      if (!values.json) process.stderr.write(`epoch ${e.epoch}: ${(dt / 1000).toFixed(1)}s train loss ${e.trainLoss.toFixed(4)} val loss ${e.valLoss?.toFixed(4)}\n`);
    },
  }),
);

const result = {
  machine: { cpus: cpus().length, parallelism: availableParallelism(), model: cpus()[0]?.model, loadAvg1m: loadavg()[0] },
  kernels,
  training: {
    pairs,
    epochs: train.value.history.length,
    batchSize,
    dataGenerationMs: gen.ms,
    totalMs: train.ms,
    meanEpochMs: epochMs.reduce((s, x) => s + x, 0) / epochMs.length,
    heldOutRecallAt1: train.value.validation?.mean.r1 ?? null,
    temperature: train.value.temperature,
  },
};
if (values.json) {
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
} else {
  console.log(`kernels (${kernels.shape}): naive ${kernels.naiveMs.toFixed(0)} ms, blocked A·B ${kernels.blockedMs.toFixed(0)} ms ` +
    `(${kernels.blockedGmacPerS.toFixed(2)} GMAC/s), A·Bᵀ ${kernels.abtMs.toFixed(0)} ms, Aᵀ·B ${kernels.atbMs.toFixed(0)} ms`);
  console.log(`blocked/naive speedup: ${kernels.speedup.toFixed(1)}x`);
  console.log(`training: ${pairs} pairs, 768→256 + 2048→256, ${result.training.epochs} epochs in ${(train.ms / 1000).toFixed(1)} s ` +
    `(${(result.training.meanEpochMs / 1000).toFixed(1)} s/epoch), held-out recall@1 ${result.training.heldOutRecallAt1?.toFixed(3)}`);
  console.log(`load average (1 min) at the end: ${result.machine.loadAvg1m.toFixed(2)} on ${result.machine.cpus} cores`);
}
