/**
 * The options several commands share, each declared once (after pnpm's shared option types) and picked
 * per command, so one option has one name, one help text and one parser everywhere: the model options
 * of every command that embeds, and the number parsers of every numeric flag.
 */
import { Option, type Command } from 'commander';
import { DEVICE_PROVIDERS } from '../../encoders/device.js';
import { DTYPES, resolveDtype } from '../../encoders/dtype.js';
import { MODALITY_REGISTRY } from '../../encoders/registry.js';
import type { Device, Dtype } from '../../encoders/types.js';
import { DEFAULT_DEVICE } from '../core/defaults.js';
import { InvalidOptionError, UsageError } from '../core/errors/index.js';
import { MODALITIES, type Modality } from '../core/types.js';

// ---- numbers: one parser per kind. They only parse (a typo is usage, exit 2); ranges that depend on
// other options are checked once, at the library boundary (e.g. alignVideo's resolver).

/**
 * A number option, optionally at least `min` (and at most `max`).
 *
 * @example
 * cmd.option('--threshold <seconds>', 'largest gap', numberOption('--threshold', { min: 0 }), 0.5);
 */
export function numberOption(name: string, { min, max }: { min?: number; max?: number } = {}): (raw: string) => number {
  const expected = `a number${min !== undefined ? ` >= ${min}` : ''}${max !== undefined ? ` <= ${max}` : ''}`;
  return (raw: string) => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || (min !== undefined && n < min) || (max !== undefined && n > max)) {
      throw new InvalidOptionError(name, raw, expected);
    }
    return n;
  };
}

/**
 * A whole-number option, optionally at least `min`.
 *
 * @example
 * cmd.option('--workers <n>', 'worker processes', integerOption('--workers', { min: 1 }));
 */
export function integerOption(name: string, { min }: { min?: number } = {}): (raw: string) => number {
  const expected = `a whole number${min !== undefined ? ` >= ${min}` : ''}`;
  return (raw: string) => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isSafeInteger(n) || (min !== undefined && n < min)) throw new InvalidOptionError(name, raw, expected);
    return n;
  };
}

/**
 * A fraction: a number from 0 to 1, with 1 itself allowed unless `below1` (a share that must leave
 * something over, such as a held-out share or a dropout rate).
 *
 * @example
 * cmd.option('--split <fraction>', 'train share', fractionOption('--split'), 0.9);
 */
export function fractionOption(name: string, { below1 = false }: { below1?: boolean } = {}): (raw: string) => number {
  const expected = below1 ? 'a number in [0, 1)' : 'a number from 0 to 1';
  return (raw: string) => {
    const n = Number(raw);
    if (raw.trim() === '' || !(n >= 0 && (below1 ? n < 1 : n <= 1))) throw new InvalidOptionError(name, raw, expected);
    return n;
  };
}

// ---- models: which encoders a command embeds with.

/** A dtype for every modality, or per modality; what `--dtype` parses to. */
export type DtypeFlag = Partial<Record<Modality, Dtype>>;

/**
 * `--dtype q8` (every modality), `--dtype text=q8,audio=fp16` (per modality), or both repeated: later
 * values win per modality.
 *
 * @example
 * parseDtypeFlag('text=q8,audio=q8'); // { text: 'q8', audio: 'q8' }
 * parseDtypeFlag('fp16', { text: 'q8' }); // { text: 'fp16', image: 'fp16', audio: 'fp16' }
 */
export function parseDtypeFlag(raw: string, previous: DtypeFlag = {}): DtypeFlag {
  const out: DtypeFlag = { ...previous };
  const parts = raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) throw new InvalidOptionError('--dtype', raw, `a dtype (${DTYPES.join(', ')}) or modality=dtype pairs such as text=q8,audio=q8`);
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq < 0) {
      const d = resolveDtype(part, '--dtype');
      for (const m of MODALITIES) out[m] = d;
      continue;
    }
    const m = part.slice(0, eq).trim();
    if (!(MODALITIES as readonly string[]).includes(m)) throw new InvalidOptionError('--dtype', part, `modality=dtype with a modality among ${MODALITIES.join(', ')}`);
    out[m as Modality] = resolveDtype(part.slice(eq + 1).trim(), `--dtype ${m}`);
  }
  return out;
}

/** The flags {@link addModelOptions} declares, as commander parses them. */
export interface ModelFlags {
  device: Device;
  models?: string;
  textModel?: string;
  imageModel?: string;
  audioModel?: string;
  dtype?: DtypeFlag;
  allowRemote?: boolean;
}

/** The model option of each modality, by flag name: `--text-model` sets `textModel`. */
export const MODEL_FLAG: Readonly<Record<Modality, 'textModel' | 'imageModel' | 'audioModel'>> = Object.freeze({
  text: 'textModel',
  image: 'imageModel',
  audio: 'audioModel',
});

/** Every shared model option, declared once; commands pick theirs with {@link addModelOptions}. */
const MODEL_OPTIONS = Object.freeze({
  device: (help: string) => new Option('--device <device>', help).choices(Object.keys(DEVICE_PROVIDERS)).default(DEFAULT_DEVICE),
  models: () => modelsDirOption(),
  textModel: () => modelOption('text'),
  imageModel: () => modelOption('image'),
  audioModel: () => modelOption('audio'),
  dtype: () =>
    new Option('--dtype <dtype>', `ONNX variant to load, for all modalities (q8) or per modality (text=q8,audio=q8; repeatable): ${DTYPES.join(', ')} (default fp32; q8 loads onnx/model_quantized.onnx)`).argParser(
      (raw: string, previous?: DtypeFlag) => parseDtypeFlag(raw, previous),
    ),
  allowRemote: () =>
    new Option('--allow-remote', 'download a model found nowhere locally from $HF_ENDPOINT (default https://huggingface.co) into the cache (~/.cache/mmalign/models, or $XDG_CACHE_HOME/mmalign/models); without it nothing is downloaded'),
});

/**
 * `--models DIR`, the one name of a folder of `<org>/<name>` model folders in every command (the heads
 * commands also take their old `--models-dir`, hidden); `help` words it for commands that write there.
 *
 * @example
 * program.command('pull').addOption(modelsDirOption('models folder to pull into'));
 */
export function modelsDirOption(help = 'a folder of <org>/<name> model folders, searched first (default: $MMALIGN_MODELS; then the cache and the embedded models)'): Option {
  return new Option('--models <dir>', help);
}

function modelOption(modality: Modality): Option {
  const spec = MODALITY_REGISTRY[modality];
  return new Option(
    `--${modality}-model <id|dir>`,
    `${modality} model: a hub id (e.g. ${spec.defaultModel}) or a model folder (default: the embedded ${spec.embeddedModel}, not semantic)`,
  );
}

/**
 * Declares the model options of a command that embeds: `--device`, `--models DIR`, `--text-model`,
 * `--image-model`, `--audio-model`, `--dtype`, `--allow-remote`. `device` words its help for the command.
 *
 * @example
 * addModelOptions(program.command('search'), { device: 'where the query encoder runs' });
 */
export function addModelOptions(cmd: Command, { device = 'where the encoders run' }: { device?: string } = {}): Command {
  cmd.addOption(MODEL_OPTIONS.device(device));
  for (const name of ['models', 'textModel', 'imageModel', 'audioModel', 'dtype', 'allowRemote'] as const) cmd.addOption(MODEL_OPTIONS[name]());
  return cmd;
}

/** The `--heads FILE` of commands that embed with given heads (its help says what the file must match). */
export function headsOption(help = 'projection heads file, e.g. from `mmalign heads train` (default: seeded heads; cross-modal scores mean nothing until trained)'): Option {
  return new Option('--heads <file>', help);
}

/** What the model flags ask for, in the shape `createEncoder`, `alignVideo` and the knowledge base take. */
export interface ModelChoiceFlags {
  /** Model per modality; a modality left out uses its embedded tiny model. */
  model: Partial<Record<Modality, string>>;
  dtype: Partial<Record<Modality, Dtype>>;
  device: Device;
  modelsDir: string | undefined;
  allowRemote: boolean;
}

/**
 * The encoder choice of parsed model flags.
 *
 * @example
 * const kb = await KnowledgeBase.open(dir, { encoderOptions: { ...modelChoiceOf(flags), heads: flags.heads, logger } });
 */
export function modelChoiceOf(flags: ModelFlags): ModelChoiceFlags {
  const model: Partial<Record<Modality, string>> = {};
  for (const m of MODALITIES) {
    const id = flags[MODEL_FLAG[m]];
    if (id !== undefined) {
      if (id.trim() === '') throw new InvalidOptionError(`--${m}-model`, id, 'a hub id or a model folder');
      model[m] = id;
    }
  }
  return { model, dtype: { ...flags.dtype }, device: flags.device, modelsDir: flags.models, allowRemote: flags.allowRemote === true };
}

/**
 * `embed --model X` is the model of the one modality embedded: the same as `--<modality>-model X`.
 * Both at once must agree.
 *
 * @example
 * withModelAlias(flags, 'image', flags.model); // flags with imageModel set
 */
export function withModelAlias<F extends ModelFlags>(flags: F, modality: Modality, alias: string | undefined): F {
  if (alias === undefined) return flags;
  const own = flags[MODEL_FLAG[modality]];
  if (own !== undefined && own !== alias) throw new UsageError(`--model ${alias} and --${modality}-model ${own} disagree; give one of them`);
  return { ...flags, [MODEL_FLAG[modality]]: alias };
}
