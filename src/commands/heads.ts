import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { evaluateHeads } from '../../encoders/eval-heads.js';
import { ProjectionHeads } from '../../encoders/heads.js';
import type { NativePairs } from '../../encoders/native-pairs.js';
import { shouldRetrain } from '../../encoders/retrain.js';
import { trainHeads, type HeadsTrainingRecord, type TrainHeadsResult } from '../../encoders/train-heads.js';
import { KnowledgeBase } from '../../index/index.js';
import { nativePairsFromFile, readPairsFile } from '../heads/pairs-sources.js';
import { RETRAIN_DEFAULTS, TRAIN_HEADS_DEFAULTS } from '../core/defaults.js';
import { UsageError } from '../core/errors/index.js';
import { createProgress, type Progress } from '../core/progress.js';
import type { Modality, Warning } from '../core/types.js';
import { addEncoderOptions, addTrainingOptions, trainOptionsOf, type EncoderFlags, type TrainingFlags } from './heads-options.js';
import { printDecision, printEvaluation, printTraining } from './heads-report.js';
import { headsOption, integerOption, modelChoiceOf, numberOption } from './options.js';
import { printWarnings, type CliIo, type RegisterCommand, cliLogger } from './shared.js';

/** The metric recorded in the knowledge base after every training and evaluation. */
export const RETRAIN_METRIC = 'recall@1';

interface TrainFlags extends EncoderFlags, TrainingFlags {
  out: string;
  kb?: string;
  json?: boolean;
}

interface EvalFlags extends EncoderFlags {
  heads: string;
  seed: number;
  by?: string;
  kb?: string;
  json?: boolean;
}

interface WatchFlags extends EncoderFlags, TrainingFlags {
  kb: string;
  heads: string;
  pairs?: string;
  window: number;
  slope: number;
  newFraction: number;
  dryRun?: boolean;
  json?: boolean;
}

/** Native embeddings for PAIRS with the CLI's encoder flags; see {@link nativePairsFromFile}. */
async function loadNativePairs(
  file: string,
  flags: EncoderFlags,
  progress: Progress,
  io: CliIo,
  models: Partial<Record<Modality, string>> = {},
): Promise<{ data: NativePairs; warnings: Warning[] }> {
  const choice = modelChoiceOf({ ...flags, models: flags.models ?? flags.modelsDir });
  return nativePairsFromFile(file, {
    models: { ...models, ...choice.model },
    dtype: choice.dtype,
    allowRemote: choice.allowRemote,
    modelsDir: choice.modelsDir,
    device: choice.device,
    modalities: flags.modalities,
    cacheDir: flags.cache === false ? null : flags.cache,
    progress,
    logger: cliLogger(io),
  });
}

/** The model each head was made for: the encoders to evaluate or retrain them with when no flag names one. */
function headsModels(heads: ProjectionHeads): Partial<Record<Modality, string>> {
  return Object.fromEntries(heads.modalities().flatMap((m) => {
    const id = heads.get(m)?.modelId;
    return id ? [[m, id]] : [];
  }));
}

async function train(
  file: string,
  flags: EncoderFlags & TrainingFlags,
  progress: Progress,
  io: CliIo,
  log: (s: string) => void,
  models: Partial<Record<Modality, string>> = {},
): Promise<{ result: TrainHeadsResult; warnings: Warning[] }> {
  const { data, warnings } = await loadNativePairs(file, flags, progress, io, models);
  // The split run, then the refit on every pair: up to twice the epochs.
  const bar = progress.stage('train', flags.epochs * (flags.refit && flags.val > 0 ? 2 : 1));
  const result = await trainHeads(data, {
    ...trainOptionsOf(flags, file),
    onEpoch: (e) => {
      bar.tick();
      const held = e.valLoss === null ? '' : `, held-out loss ${e.valLoss.toFixed(4)}`;
      log(`${e.phase === 'refit' ? 'refit ' : ''}epoch ${e.epoch}: train loss ${e.trainLoss.toFixed(4)}${held}, temperature ${e.temperature.toFixed(4)}`);
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

/** Heads with the knowledge-base version they were trained at, so `watch` can count what came after. */
function withKbVersion(heads: ProjectionHeads, kbVersion: number): ProjectionHeads {
  const defs = heads.modalities().map((m) => heads.get(m)!);
  return new ProjectionHeads(defs, { ...heads.metadata, training: { ...heads.metadata.training, kbVersion } });
}

/** `mmalign heads train|eval|watch`: contrastive training of the projection heads and the retrain rule. */
export const registerHeads: RegisterCommand = (program: Command, io: CliIo) => {
  const heads = program.command('heads').description('Train, evaluate and retrain the projection heads into the shared 256-d space.');

  const trainCmd = heads
    .command('train')
    .description('Train projection heads contrastively (symmetric InfoNCE, text as anchor) on aligned pairs.')
    .argument('<pairs>', 'pairs.jsonl of `mmalign align`, a knowledge-base folder, or a native-embeddings JSONL')
    .requiredOption('--out <file>', 'heads file to write (safetensors, atomically)')
    .option('--kb <dir>', 'record the held-out recall@1 in this knowledge base (for heads watch)')
    .option('--json', 'print the training report as JSON on stdout');
  addEncoderOptions(addTrainingOptions(trainCmd))
    .addHelpText(
      'after',
      '\nExamples:\n  mmalign heads train out/pairs.jsonl --out heads.safetensors\n  mmalign heads train words.jsonl --out heads.safetensors --hidden 256 --val-by voice\n' +
        '  mmalign heads train out/pairs.jsonl --out heads.safetensors --temperature learned --input-noise 0 --dropout 0 --no-refit --kb ./kb',
    )
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
        printTraining(io, flags.json, flags.out, out, result);
      } finally {
        progress.stop();
      }
    });

  const evalCmd = heads
    .command('eval')
    .description('Recall@1/5/10 and mean rank in both directions, next to seeded random heads, on held-out pairs.')
    .argument('<pairs>', 'held-out pairs: pairs.jsonl of `mmalign align`, a knowledge-base folder, or a native-embeddings JSONL')
    .addOption(headsOption('heads file to evaluate').makeOptionMandatory())
    .option('--by <field>', 'also score the pairs of each value of this label (e.g. voice, speaker, video, group) on their own')
    .option('--seed <n>', 'seed of the random baseline heads', integerOption('--seed', { min: 0 }), TRAIN_HEADS_DEFAULTS.seed)
    .option('--kb <dir>', 'record the recall@1 in this knowledge base (for heads watch)')
    .option('--json', 'print the evaluation as JSON on stdout');
  addEncoderOptions(evalCmd)
    .addHelpText('after', '\nExamples:\n  mmalign heads eval held-out/pairs.jsonl --heads heads.safetensors\n  mmalign heads eval test-voices.jsonl --heads heads.safetensors --by voice')
    .action(async (file: string, flags: EvalFlags) => {
      const progress = createProgress({ stream: io.stderr, enabled: !flags.json });
      try {
        const loaded = await ProjectionHeads.load(flags.heads);
        const { data, warnings } = await loadNativePairs(file, flags, progress, io, headsModels(loaded));
        printWarnings(io, warnings);
        const evaluation = evaluateHeads(loaded, data, { seed: flags.seed, source: file, by: flags.by ?? null });
        if (flags.kb) await record(flags.kb, evaluation.heads.mean.r1, data.pairs.length, loaded.metadata.version);
        printEvaluation(io, flags.json, { file: flags.heads, kind: loaded.metadata.kind, version: loaded.metadata.version, pairs: data.pairs.length }, evaluation);
      } finally {
        progress.stop();
      }
    });

  const watchCmd = heads
    .command('watch')
    .description('Apply the retrain rule to the evaluations recorded in a knowledge base, and retrain when it fires.')
    .requiredOption('--kb <dir>', 'knowledge base with recorded evaluations')
    .addOption(headsOption('current heads (replaced atomically when retrained)').makeOptionMandatory())
    .option('--pairs <file>', 'pairs to retrain on (pairs.jsonl, knowledge-base folder or native JSONL); without it, only the decision is printed')
    .option('--window <n>', 'evaluations the slope is fitted to', integerOption('--window', { min: 2 }), RETRAIN_DEFAULTS.window)
    .option('--slope <x>', 'retrain when the recall@1 slope per evaluation falls below this', numberOption('--slope'), RETRAIN_DEFAULTS.slopeThreshold)
    .option('--new-fraction <f>', 'retrain when new pairs exceed this share of the training set', numberOption('--new-fraction', { min: 0 }), RETRAIN_DEFAULTS.newFraction)
    .option('--dry-run', 'print the decision without retraining')
    .option('--json', 'print the decision (and training report) as JSON on stdout');
  addEncoderOptions(addTrainingOptions(watchCmd, { hiddenDefault: false }))
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
          const hidden = flags.hidden ?? training?.hidden;
          // Retrained for the models the current heads serve, unless the flags name others.
          const { result, warnings } = await train(flags.pairs, { ...flags, hidden }, progress, io, () => {}, current ? headsModels(current) : {});
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
