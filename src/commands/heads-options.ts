import { Option, type Command } from 'commander';
import type { TrainHeadsOptions } from '../../encoders/train-heads.js';
import { TRAIN_HEADS_DEFAULTS } from '../core/defaults.js';
import { InvalidOptionError } from '../core/errors/index.js';
import { MODALITIES, type Modality } from '../core/types.js';
import { addModelOptions, fractionOption, integerOption, numberOption, type ModelFlags } from './options.js';

// The options of `mmalign heads train|eval|watch`, declared once with their defaults from TRAIN_HEADS_DEFAULTS.

export interface EncoderFlags extends ModelFlags {
  /** Deprecated spelling of --models, still accepted. */
  modelsDir?: string;
  modalities?: Modality[];
  cache?: string | false;
}

export interface TrainingFlags {
  threads: number;
  backend: 'auto' | 'onnx' | 'js';
  epochs: number;
  batch: number;
  lr: number;
  hidden?: number;
  seed: number;
  val: number;
  valBy?: string;
  patience?: number;
  weightDecay: number;
  temperature: number | 'learned';
  inputNoise: number;
  dropout: number;
  refit: boolean;
}

function temperatureOption(raw: string): number | 'learned' {
  if (raw === 'learned') return raw;
  const n = Number(raw);
  const min = 1 / TRAIN_HEADS_DEFAULTS.maxLogitScale;
  if (raw.trim() === '' || !(n >= min && n <= 1)) throw new InvalidOptionError('--temperature', raw, `'learned' or a number in [${min}, 1]`);
  return n;
}

function modalitiesOption(raw: string): Modality[] {
  const list = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const m of list) if (!MODALITIES.includes(m as Modality)) throw new InvalidOptionError('--modalities', raw, `a comma-separated subset of ${MODALITIES.join(',')}`);
  if (list.length < 2) throw new InvalidOptionError('--modalities', raw, 'at least two modalities');
  return list as Modality[];
}

/** Options that choose and run the encoders for PAIRS that still need embedding: the shared model options. */
export function addEncoderOptions(cmd: Command): Command {
  return addModelOptions(cmd)
    .addOption(new Option('--models-dir <dir>', 'deprecated spelling of --models').hideHelp())
    .option('--modalities <list>', 'modalities to pair from pairs.jsonl (default text,image,audio)', modalitiesOption)
    .option('--cache <dir>', 'folder of the native-embedding cache (default: next to PAIRS)')
    .option('--no-cache', 'do not read or write the native-embedding cache');
}

/** The trainer's options; `hiddenDefault: false` leaves --hidden unset (watch takes the current heads' width). */
export function addTrainingOptions(cmd: Command, { hiddenDefault = true }: { hiddenDefault?: boolean } = {}): Command {
  const d = TRAIN_HEADS_DEFAULTS;
  cmd
    .option('--epochs <n>', 'most epochs (early stopping may end sooner)', integerOption('--epochs', { min: 1 }), d.epochs)
    .option('--batch <n>', 'pairs per contrastive batch', integerOption('--batch', { min: 2 }), d.batchSize)
    .option('--lr <x>', 'Adam learning rate', numberOption('--lr', { min: 0 }), d.lr)
    .option('--weight-decay <x>', 'AdamW weight decay', numberOption('--weight-decay', { min: 0 }), d.weightDecay);
  if (hiddenDefault) cmd.option('--hidden <n>', 'width of a hidden ReLU layer (0: linear heads)', integerOption('--hidden', { min: 0 }), d.hidden);
  else cmd.option('--hidden <n>', 'hidden width (default: as the current heads)', integerOption('--hidden', { min: 0 }));
  return cmd
    .option('--temperature <t>', "softmax temperature: a number keeps it fixed, 'learned' trains it (CLIP)", temperatureOption, d.temperature)
    .option('--input-noise <s>', 'Gaussian noise (std) on the standardised inputs of training batches', numberOption('--input-noise', { min: 0 }), d.inputNoise)
    .option('--dropout <p>', 'dropout on the hidden layer while training', fractionOption('--dropout', { below1: true }), d.dropout)
    .option('--seed <n>', 'seed for initialisation, split, batch order, noise and dropout', integerOption('--seed', { min: 0 }), d.seed)
    .option('--val <f>', 'share of groups (else of connected items) held out for early stopping and metrics', fractionOption('--val', { below1: true }), d.valFraction)
    .option('--val-by <field>', 'hold out by this label of the pairs (e.g. voice, video) instead of their "group"')
    .option('--patience <n>', 'early stopping: stop after n epochs without held-out improvement and keep the best (default: off, every epoch runs)', integerOption('--patience', { min: 1 }))
    .option('--no-refit', 'return the best held-out epoch instead of retraining on every pair for that many epochs')
    .option('--threads <n>', 'threads for the matrix products (reruns with the same seed and thread count give identical heads)', integerOption('--threads', { min: 1 }), d.threads)
    .addOption(new Option('--backend <name>', 'matrix products on onnxruntime or in TypeScript').choices(['auto', 'onnx', 'js']).default(d.backend));
}

/** CLI flags → trainer options. */
export function trainOptionsOf(flags: TrainingFlags, source: string): TrainHeadsOptions {
  return {
    epochs: flags.epochs,
    batchSize: flags.batch,
    lr: flags.lr,
    hidden: flags.hidden,
    seed: flags.seed,
    valFraction: flags.val,
    valBy: flags.valBy ?? null,
    patience: flags.patience ?? null,
    weightDecay: flags.weightDecay,
    temperature: flags.temperature,
    inputNoise: flags.inputNoise,
    dropout: flags.dropout,
    refit: flags.refit,
    threads: flags.threads,
    backend: flags.backend,
    source,
  };
}
