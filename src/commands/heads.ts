import { Option, type Command } from 'commander';
import { existsSync } from 'node:fs';
import { DEVICE_PROVIDERS } from '../../encoders/device.js';
import { evaluateHeads, type HeadsEvaluation } from '../../encoders/eval-heads.js';
import { ProjectionHeads } from '../../encoders/heads.js';
import type { NativePairs } from '../../encoders/native-pairs.js';
import { nativePairsFromFile, readPairsFile } from '../../encoders/pairs-source.js';
import { shouldRetrain, type RetrainDecision } from '../../encoders/retrain.js';
import { trainHeads, type HeadsTrainingRecord, type TrainHeadsResult } from '../../encoders/train-heads.js';
import type { Device } from '../../encoders/types.js';
import { KnowledgeBase } from '../../index/kb.js';
import { DEFAULT_DEVICE, RETRAIN_DEFAULTS, TRAIN_HEADS_DEFAULTS } from '../core/defaults.js';
import { InvalidOptionError, UsageError } from '../core/errors/index.js';
import { createProgress, type Progress } from '../core/progress.js';
import { MODALITIES, type Modality, type Warning } from '../core/types.js';
import { parseNumberOption, printJson, printWarnings, type CliIo, type RegisterCommand, cliLogger } from './shared.js';

/** The metric recorded in the knowledge base after every training and evaluation. */
export const RETRAIN_METRIC = 'recall@1';

interface EncoderFlags {
  modelsDir?: string;
  device?: Device;
  textModel?: string;
  imageModel?: string;
  audioModel?: string;
  modalities?: Modality[];
  cache?: string | false;
}

interface TrainFlags extends EncoderFlags {
  out: string;
  threads: number;
  backend: 'auto' | 'onnx' | 'js';
  epochs: number;
  batch: number;
  lr: number;
  hidden: number;
  seed: number;
  val: number;
  patience: number;
  weightDecay: number;
  kb?: string;
  json?: boolean;
}

interface EvalFlags extends EncoderFlags {
  heads: string;
  seed: number;
  kb?: string;
  json?: boolean;
}

interface WatchFlags extends EncoderFlags {
  kb: string;
  threads: number;
  backend: 'auto' | 'onnx' | 'js';
  heads: string;
  pairs?: string;
  window: number;
  slope: number;
  newFraction: number;
  dryRun?: boolean;
  epochs: number;
  batch: number;
  lr: number;
  hidden: number;
  seed: number;
  val: number;
  json?: boolean;
}

function intOption(name: string, min: number): (raw: string) => number {
  return (raw) => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isInteger(n) || n < min) throw new InvalidOptionError(name, raw, `an integer >= ${min}`);
    return n;
  };
}

function fractionOption(name: string): (raw: string) => number {
  return (raw) => {
    const n = Number(raw);
    if (raw.trim() === '' || !(n >= 0 && n < 1)) throw new InvalidOptionError(name, raw, 'a number in [0, 1)');
    return n;
  };
}

function modalitiesOption(raw: string): Modality[] {
  const list = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const m of list) if (!MODALITIES.includes(m as Modality)) throw new InvalidOptionError('--modalities', raw, `a comma-separated subset of ${MODALITIES.join(',')}`);
  if (list.length < 2) throw new InvalidOptionError('--modalities', raw, 'at least two modalities');
  return list as Modality[];
}

function addEncoderOptions(cmd: Command): Command {
  return cmd
    .option('--models-dir <dir>', 'folder of models in transformers.js layout (default: the bundled tiny models)')
    .addOption(new Option('--device <device>', 'where the encoders run').choices(Object.keys(DEVICE_PROVIDERS)).default(DEFAULT_DEVICE))
    .option('--text-model <id>', 'text model id or folder (default: the registry default)')
    .option('--image-model <id>', 'image model id or folder')
    .option('--audio-model <id>', 'audio model id or folder')
    .option('--modalities <list>', 'modalities to pair from pairs.jsonl (default text,image,audio)', modalitiesOption)
    .option('--cache <dir>', 'folder of the native-embedding cache (default: next to PAIRS)')
    .option('--no-cache', 'do not read or write the native-embedding cache');
}

/** Native embeddings for PAIRS with the CLI's encoder flags; see {@link nativePairsFromFile}. */
async function loadNativePairs(
  file: string,
  flags: EncoderFlags,
  progress: Progress,
  io: CliIo,
  models: Partial<Record<Modality, string>> = {},
): Promise<{ data: NativePairs; warnings: Warning[] }> {
  return nativePairsFromFile(file, {
    models: { ...models, ...definedOnly({ text: flags.textModel, image: flags.imageModel, audio: flags.audioModel }) },
    modelsDir: flags.modelsDir,
    device: flags.device,
    modalities: flags.modalities,
    cacheDir: flags.cache === false ? null : flags.cache,
    progress,
    logger: cliLogger(io),
  });
}

function definedOnly<T>(r: Partial<Record<Modality, T | undefined>>): Partial<Record<Modality, T>> {
  return Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as Partial<Record<Modality, T>>;
}

function summary(e: HeadsEvaluation): string {
  const rows = e.kinds.flatMap((k) => {
    const [a, b] = k.kind.split('-');
    return [
      [`${a}→${b}`, k.aToB],
      [`${b}→${a}`, k.bToA],
    ] as const;
  });
  return rows
    .map(([dir, s]) => `  ${dir.padEnd(13)} R@1 ${s.r1.toFixed(3)}  R@5 ${s.r5.toFixed(3)}  R@10 ${s.r10.toFixed(3)}  mean rank ${s.meanRank.toFixed(1)} of ${s.gallery}`)
    .join('\n');
}

async function train(
  file: string,
  flags: Omit<TrainFlags, 'out' | 'kb' | 'json'>,
  progress: Progress,
  io: CliIo,
  log: (s: string) => void,
): Promise<{ result: TrainHeadsResult; warnings: Warning[] }> {
  const { data, warnings } = await loadNativePairs(file, flags, progress, io);
  const bar = progress.stage('train', flags.epochs);
  const result = await trainHeads(data, {
    epochs: flags.epochs,
    batchSize: flags.batch,
    lr: flags.lr,
    hidden: flags.hidden,
    seed: flags.seed,
    valFraction: flags.val,
    patience: flags.patience,
    weightDecay: flags.weightDecay,
    threads: flags.threads,
    backend: flags.backend,
    source: file,
    onEpoch: (e) => {
      bar.tick();
      log(`epoch ${e.epoch}: train loss ${e.trainLoss.toFixed(4)}${e.valLoss === null ? '' : `, held-out loss ${e.valLoss.toFixed(4)}`}, temperature ${e.temperature.toFixed(4)}`);
    },
  });
  bar.done();
  return { result, warnings };
}

/** Records the held-out recall@1 of new heads so `heads watch` can follow the trend. */
async function record(kbDir: string, value: number, pairs: number, headsVersion: string): Promise<number> {
  const kb = await KnowledgeBase.open(kbDir);
  try {
    kb.recordEvaluation({ metric: RETRAIN_METRIC, value, pairs, headsVersion });
    return kb.currentVersion;
  } finally {
    await kb.close();
  }
}

async function currentKbVersion(kbDir: string): Promise<number> {
  const kb = await KnowledgeBase.open(kbDir, { readonly: true });
  try {
    return kb.currentVersion;
  } finally {
    await kb.close();
  }
}

/** `mmalign heads train|eval|watch`: contrastive training of the projection heads and the retrain rule. */
export const registerHeads: RegisterCommand = (program: Command, io: CliIo) => {
  const heads = program.command('heads').description('Train, evaluate and retrain the projection heads into the shared 256-d space.');

  const trainCmd = heads
    .command('train')
    .description('Train projection heads contrastively (symmetric InfoNCE, text as anchor) on aligned pairs.')
    .argument('<pairs>', 'pairs.jsonl of `mmalign align`, a knowledge-base folder, or a native-embeddings JSONL')
    .requiredOption('--out <file>', 'heads file to write (safetensors, atomically)')
    .option('--epochs <n>', 'most epochs (early stopping may end sooner)', intOption('--epochs', 1), TRAIN_HEADS_DEFAULTS.epochs)
    .option('--batch <n>', 'pairs per contrastive batch', intOption('--batch', 2), TRAIN_HEADS_DEFAULTS.batchSize)
    .option('--lr <x>', 'Adam learning rate', parseNumberOption('--lr', 0), TRAIN_HEADS_DEFAULTS.lr)
    .option('--weight-decay <x>', 'AdamW weight decay', parseNumberOption('--weight-decay', 0), TRAIN_HEADS_DEFAULTS.weightDecay)
    .option('--hidden <n>', 'width of a hidden ReLU layer (0: linear heads)', intOption('--hidden', 0), TRAIN_HEADS_DEFAULTS.hidden)
    .option('--seed <n>', 'seed for initialisation, split and batch order', intOption('--seed', 0), TRAIN_HEADS_DEFAULTS.seed)
    .option('--val <f>', 'share of anchor items held out for early stopping and metrics', fractionOption('--val'), TRAIN_HEADS_DEFAULTS.valFraction)
    .option('--patience <n>', 'epochs without held-out improvement before stopping', intOption('--patience', 1), TRAIN_HEADS_DEFAULTS.patience)
    .option('--threads <n>', 'threads for the matrix products (reruns with the same seed and thread count give identical heads)', intOption('--threads', 1), TRAIN_HEADS_DEFAULTS.threads)
    .addOption(new Option('--backend <name>', 'matrix products on onnxruntime or in TypeScript').choices(['auto', 'onnx', 'js']).default(TRAIN_HEADS_DEFAULTS.backend))
    .option('--kb <dir>', 'record the held-out recall@1 in this knowledge base (for heads watch)')
    .option('--json', 'print the training report as JSON on stdout');
  addEncoderOptions(trainCmd)
    .addHelpText('after', '\nExamples:\n  mmalign heads train out/pairs.jsonl --out heads.safetensors\n  mmalign heads train out/pairs.jsonl --out heads.safetensors --epochs 40 --hidden 512 --kb ./kb')
    .action(async (file: string, flags: TrainFlags) => {
      const progress = createProgress({ stream: io.stderr, enabled: !flags.json });
      const log = flags.json || io.stderr.isTTY ? () => {} : (s: string) => io.stderr.write(`${s}\n`);
      try {
        const { result, warnings } = await train(file, flags, progress, io, log);
        printWarnings(io, warnings);
        let out = result.heads;
        if (flags.kb) {
          // Opened writable so a new knowledge base is created; its version dates the training.
          const kb = await KnowledgeBase.open(flags.kb);
          try {
            out = withKbVersion(result.heads, kb.currentVersion);
            await out.save(flags.out);
            if (result.validation) kb.recordEvaluation({ metric: RETRAIN_METRIC, value: result.validation.mean.r1, pairs: result.split.train, headsVersion: out.metadata.version });
          } finally {
            await kb.close();
          }
        } else {
          await out.save(flags.out);
        }
        report(io, flags.json, flags.out, out, result);
      } finally {
        progress.stop();
      }
    });

  const evalCmd = heads
    .command('eval')
    .description('Recall@1/5/10 and mean rank in both directions, next to seeded random heads, on held-out pairs.')
    .argument('<pairs>', 'held-out pairs: pairs.jsonl of `mmalign align`, a knowledge-base folder, or a native-embeddings JSONL')
    .requiredOption('--heads <file>', 'heads file to evaluate')
    .option('--seed <n>', 'seed of the random baseline heads', intOption('--seed', 0), TRAIN_HEADS_DEFAULTS.seed)
    .option('--kb <dir>', 'record the recall@1 in this knowledge base (for heads watch)')
    .option('--json', 'print the evaluation as JSON on stdout');
  addEncoderOptions(evalCmd)
    .addHelpText('after', '\nExample:\n  mmalign heads eval held-out/pairs.jsonl --heads heads.safetensors')
    .action(async (file: string, flags: EvalFlags) => {
      const progress = createProgress({ stream: io.stderr, enabled: !flags.json });
      try {
        const loaded = await ProjectionHeads.load(flags.heads);
        const models = Object.fromEntries(loaded.modalities().map((m) => [m, loaded.get(m)?.modelId]));
        const { data, warnings } = await loadNativePairs(file, flags, progress, io, models);
        printWarnings(io, warnings);
        const evaluation = evaluateHeads(loaded, data, { seed: flags.seed, source: file });
        if (flags.kb) await record(flags.kb, evaluation.heads.mean.r1, data.pairs.length, loaded.metadata.version);
        if (flags.json) {
          printJson(io, { file: flags.heads, kind: loaded.metadata.kind, version: loaded.metadata.version, pairs: data.pairs.length, heads: evaluation.heads, baseline: evaluation.baseline });
        } else {
          io.stdout.write(`${flags.heads} (${loaded.metadata.kind}, ${loaded.metadata.version}) on ${data.pairs.length} pairs:\n${summary(evaluation.heads)}\n`);
          if (evaluation.baseline) io.stdout.write(`seeded random heads, same pairs:\n${summary(evaluation.baseline)}\n`);
        }
      } finally {
        progress.stop();
      }
    });

  const watchCmd = heads
    .command('watch')
    .description('Apply the retrain rule to the evaluations recorded in a knowledge base, and retrain when it fires.')
    .requiredOption('--kb <dir>', 'knowledge base with recorded evaluations')
    .requiredOption('--heads <file>', 'current heads (replaced atomically when retrained)')
    .option('--pairs <file>', 'pairs to retrain on (pairs.jsonl, knowledge-base folder or native JSONL); without it, only the decision is printed')
    .option('--window <n>', 'evaluations the slope is fitted to', intOption('--window', 2), RETRAIN_DEFAULTS.window)
    .option('--slope <x>', 'retrain when the recall@1 slope per evaluation falls below this', (raw: string) => {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw new InvalidOptionError('--slope', raw, 'a number');
      return n;
    }, RETRAIN_DEFAULTS.slopeThreshold)
    .option('--new-fraction <f>', 'retrain when new pairs exceed this share of the training set', parseNumberOption('--new-fraction', 0), RETRAIN_DEFAULTS.newFraction)
    .option('--dry-run', 'print the decision without retraining')
    .option('--epochs <n>', 'most epochs when retraining', intOption('--epochs', 1), TRAIN_HEADS_DEFAULTS.epochs)
    .option('--batch <n>', 'pairs per batch when retraining', intOption('--batch', 2), TRAIN_HEADS_DEFAULTS.batchSize)
    .option('--lr <x>', 'learning rate when retraining', parseNumberOption('--lr', 0), TRAIN_HEADS_DEFAULTS.lr)
    .option('--hidden <n>', 'hidden width when retraining (default: as the current heads)', intOption('--hidden', 0))
    .option('--seed <n>', 'seed when retraining', intOption('--seed', 0), TRAIN_HEADS_DEFAULTS.seed)
    .option('--val <f>', 'held-out share when retraining', fractionOption('--val'), TRAIN_HEADS_DEFAULTS.valFraction)
    .option('--threads <n>', 'threads for the matrix products (reruns with the same seed and thread count give identical heads)', intOption('--threads', 1), TRAIN_HEADS_DEFAULTS.threads)
    .addOption(new Option('--backend <name>', 'matrix products on onnxruntime or in TypeScript').choices(['auto', 'onnx', 'js']).default(TRAIN_HEADS_DEFAULTS.backend))
    .option('--json', 'print the decision (and training report) as JSON on stdout');
  addEncoderOptions(watchCmd)
    .addHelpText('after', '\nExamples:\n  mmalign heads watch --kb ./kb --heads heads.safetensors --dry-run\n  mmalign heads watch --kb ./kb --heads heads.safetensors --pairs out/pairs.jsonl')
    .action(async (flags: WatchFlags) => {
      const progress = createProgress({ stream: io.stderr, enabled: !flags.json });
      try {
        const current = existsSync(flags.heads) ? await ProjectionHeads.load(flags.heads) : null;
        const training = (current?.metadata.training ?? null) as (Partial<HeadsTrainingRecord> & { kbVersion?: number }) | null;
        const trainSize = training?.pairs?.train ?? 0;
        const kb = await KnowledgeBase.open(flags.kb, { readonly: true });
        let history: number[];
        let newPairs: number;
        try {
          history = kb.listEvaluations({ metric: RETRAIN_METRIC }).map((e) => e.value);
          if (flags.pairs) {
            const src = await readPairsFile(flags.pairs, { modalities: flags.modalities });
            const total = src.kind === 'native' ? src.data.pairs.length : src.raw.pairs.length;
            newPairs = Math.max(0, total - (training?.pairs?.total ?? 0));
          } else {
            newPairs = kb.countChangesSince(training?.kbVersion ?? 0).added;
          }
        } finally {
          await kb.close();
        }
        const decision = shouldRetrain(history, { window: flags.window, slopeThreshold: flags.slope, newPairs, trainSize, newFraction: flags.newFraction });
        let trained: { file: string; version: string; recall1: number | null } | null = null;
        if (decision.retrain && !flags.dryRun) {
          if (!flags.pairs) throw new UsageError(`retrain rule fired (${decision.reason}) but no --pairs to train on; add --pairs FILE or --dry-run`);
          const hidden = flags.hidden ?? (training?.hidden ?? 0);
          const { result, warnings } = await train(flags.pairs, { ...flags, hidden, patience: 3, weightDecay: 0.01 }, progress, io, () => {});
          printWarnings(io, warnings);
          const out = withKbVersion(result.heads, await currentKbVersion(flags.kb));
          await out.save(flags.heads);
          if (result.validation) await record(flags.kb, result.validation.mean.r1, result.split.train, out.metadata.version);
          trained = { file: flags.heads, version: out.metadata.version, recall1: result.validation?.mean.r1 ?? null };
        }
        printDecision(io, flags.json, decision, history.length, trained, flags.dryRun === true);
      } finally {
        progress.stop();
      }
    });
};

/** Heads with the knowledge-base version they were trained at, so `watch` can count what came after. */
function withKbVersion(heads: ProjectionHeads, kbVersion: number): ProjectionHeads {
  const defs = heads.modalities().map((m) => heads.get(m)!);
  return new ProjectionHeads(defs, { ...heads.metadata, training: { ...heads.metadata.training, kbVersion } });
}

function report(io: CliIo, json: boolean | undefined, file: string, heads: ProjectionHeads, r: TrainHeadsResult): void {
  if (json) {
    printJson(io, {
      heads: file,
      version: heads.metadata.version,
      pairs: r.split,
      epochs: r.history.length,
      bestEpoch: r.bestEpoch,
      temperature: r.temperature,
      backend: r.backend,
      modelIds: (heads.metadata.training as { modelIds?: unknown }).modelIds,
      validation: r.validation,
      history: r.history,
    });
    return;
  }
  io.stdout.write(
    `wrote ${file} (${heads.metadata.version}): ${r.split.train} training pairs, ${r.split.val} held out, ` +
      `best epoch ${r.bestEpoch} of ${r.history.length}, temperature ${r.temperature.toFixed(4)}\n`,
  );
  if (r.validation) io.stdout.write(`held-out retrieval:\n${summary(r.validation)}\n`);
}

function printDecision(
  io: CliIo,
  json: boolean | undefined,
  d: RetrainDecision,
  evaluations: number,
  trained: { file: string; version: string; recall1: number | null } | null,
  dryRun: boolean,
): void {
  if (json) {
    printJson(io, { ...d, evaluations, dryRun, trained });
    return;
  }
  io.stdout.write(`${d.retrain ? 'retrain' : 'keep'}: ${d.reason}\n`);
  if (trained) io.stdout.write(`retrained ${trained.file} (${trained.version}), held-out recall@1 ${trained.recall1?.toFixed(3) ?? 'n/a'}\n`);
  else if (d.retrain && dryRun) io.stdout.write('dry run: nothing retrained\n');
}
