import { Option, type Command } from 'commander';
import { performance } from 'node:perf_hooks';
import { listModels } from '../../encoders/model-list.js';
import { defaultPullDir } from '../../encoders/model-places.js';
import { pullModel } from '../../encoders/pull.js';
import { buildModels, DEFAULT_SEED, generatedModelId, MODEL_FAMILIES, MODEL_PRESETS, QUANTIZED_FAMILIES, type ModelFamily, type ModelPreset } from '../../encoders/onnx/build.js';
import type { Dtype } from '../../encoders/types.js';
import { MODEL_REVISION } from '../core/defaults.js';
import { InvalidOptionError } from '../core/errors/index.js';
import { createProgress, type StageProgress } from '../core/progress.js';
import { registerModelsQuantize } from './models-quantize.js';
import { integerOption, modelsDirOption } from './options.js';
import { printJson, type CliIo, type RegisterCommand } from './shared.js';

interface ListFlags { json?: boolean; models?: string }
interface BuildFlags { preset: ModelPreset; only?: ModelFamily[]; seed: number; out: string; quantize: boolean; json?: boolean }
interface PullFlags { mirror?: string; models?: string; revision: string; dtype?: Dtype[]; json?: boolean }

/** `--only bert,resnet` (or repeated `--only`) → validated families. */
function parseFamilies(raw: string, previous: ModelFamily[] | undefined): ModelFamily[] {
  const out = [...(previous ?? [])];
  for (const part of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!(MODEL_FAMILIES as readonly string[]).includes(part)) throw new InvalidOptionError('--only', part, `one of ${MODEL_FAMILIES.join(', ')}`);
    if (!out.includes(part as ModelFamily)) out.push(part as ModelFamily);
  }
  return out;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(bytes < 1e6 ? 2 : 1)} MB`;

/** `mmalign models list|build|pull|quantize`: see, generate, download and quantize the encoders' ONNX models. */
export const registerModels: RegisterCommand = (program: Command, io: CliIo) => {
  const models = program
    .command('models')
    .description('List, generate (build), download (pull) and quantize the ONNX models the encoders use.');

  models
    .command('list')
    .description('Show each modality\'s model family, default and embedded model, and the models present locally.')
    .addOption(modelsDirOption('a folder of <org>/<name> model folders to include (default: $MMALIGN_MODELS)'))
    .option('--json', 'print the listing as JSON on stdout')
    .action(async (flags: ListFlags) => {
      const rows = await listModels({ modelsDir: flags.models });
      if (flags.json) {
        printJson(io, rows);
        return;
      }
      for (const r of rows) {
        io.stdout.write(`${r.modality} (${r.family})\n  default:  ${r.defaultModel}\n  embedded: ${r.embeddedModel} (generated, not semantic)\n`);
        io.stdout.write(r.local.length ? r.local.map((m) => `  local:    ${m.id}  [${m.source}${m.generated ? ', generated' : ''}] ${m.dir}\n`).join('') : '  local:    none\n');
      }
      io.stderr.write(`pulled models go to ${defaultPullDir()}\n`);
    });

  models
    .command('build')
    .description('Generate BERT/ResNet/Wav2Vec2 ONNX models with seeded weights (architecture-faithful, not semantic) into DIR/mmalign/<preset>-<family>.')
    .addOption(new Option('--preset <preset>', 'tiny (tests, < 1 MB each) or base (real dimensions, ~100-400 MB each)').choices([...MODEL_PRESETS]).default('tiny'))
    .option('--only <families>', `build only these (comma-separated: ${MODEL_FAMILIES.join(', ')})`, parseFamilies)
    .option('--seed <n>', 'weight seed; the same preset and seed give byte-identical files', integerOption('--seed', { min: 0 }), DEFAULT_SEED)
    .requiredOption('--out <dir>', 'models folder to write into (usable as MMALIGN_MODELS afterwards)')
    .option('--no-quantize', `skip the int8 onnx/model_quantized.onnx (dtype q8) written for ${QUANTIZED_FAMILIES.join(' and ')}`)
    .option('--json', 'print what was built as JSON on stdout')
    .addHelpText('after', '\nExamples:\n  mmalign models build --preset base --out ./models-base\n  mmalign models build --preset tiny --only bert --seed 7 --out /tmp/models --json')
    .action(async (flags: BuildFlags) => {
      const progress = createProgress({ stream: io.stderr, enabled: !flags.json });
      const stages = new Map<ModelFamily, StageProgress>();
      const started = new Map<ModelFamily, number>();
      const seconds = new Map<ModelFamily, number>();
      const q8Stages = new Map<string, StageProgress>();
      const families = flags.only ?? [...MODEL_FAMILIES];
      let built;
      try {
        built = await buildModels({
          preset: flags.preset,
          seed: flags.seed,
          out: flags.out,
          only: families,
          quantize: flags.quantize,
          onQuantizeProgress: (family, done, total) => {
            const key = `${family} q8`;
            let stage = q8Stages.get(key);
            if (!stage) q8Stages.set(key, (stage = progress.stage(key, total)));
            stage.tick();
            if (done === total) stage.done();
          },
          onProgress: (family, done, total) => {
            if (!started.has(family)) started.set(family, performance.now());
            let stage = stages.get(family);
            if (!stage) stages.set(family, (stage = progress.stage(family, total)));
            stage.tick();
            if (done === total) {
              stage.done();
              seconds.set(family, (performance.now() - started.get(family)!) / 1000);
            }
          },
        });
      } finally {
        progress.stop();
      }
      const rows = built.map((m) => ({
        id: generatedModelId(m.family, m.preset),
        family: m.family,
        preset: m.preset,
        seed: m.seed,
        dir: m.dir,
        files: m.files,
        onnxBytes: m.onnx.bytes,
        parameters: m.onnx.parameters,
        sha256: m.onnx.sha256,
        quantized: m.quantized && { bytes: m.quantized.bytes, sha256: m.quantized.sha256, ops: m.quantized.quantized },
        nativeDims: m.nativeDims,
        seconds: Number((seconds.get(m.family) ?? 0).toFixed(2)),
      }));
      if (flags.json) {
        printJson(io, rows);
        return;
      }
      for (const r of rows) {
        const q8 = r.quantized ? `, q8 ${mb(r.quantized.bytes)}` : '';
        io.stdout.write(`${r.id}: ${r.dir} (onnx ${mb(r.onnxBytes)}${q8}, ${(r.parameters / 1e6).toFixed(2)}M parameters, ${r.seconds}s)\n`);
      }
      io.stderr.write(`generated models are architecture-faithful with seeded weights: not semantic. Use with MMALIGN_MODELS=${flags.out}\n`);
    });

  models
    .command('pull')
    .description('Download a model (config, preprocessor files, onnx/model.onnx) from the Hugging Face hub or a mirror in its URL layout.')
    .argument('<id>', 'hub model id, e.g. Xenova/bert-base-uncased')
    .option('--mirror <url>', 'hub or mirror base URL (default: $HF_ENDPOINT or https://huggingface.co)')
    .addOption(modelsDirOption('models folder to pull into (default: $MMALIGN_MODELS, else ~/.cache/mmalign/models)'))
    .option('--revision <rev>', 'branch, tag or commit', MODEL_REVISION)
    .option('--dtype <dtypes>', 'also fetch these ONNX variants (comma-separated, e.g. q8,fp16); fp32 model.onnx always comes', (raw: string, prev: Dtype[] | undefined) => [...(prev ?? []), ...(raw.split(',').map((s) => s.trim()).filter(Boolean) as Dtype[])])
    .option('--json', 'print what was downloaded as JSON on stdout')
    .addHelpText('after', '\nExamples:\n  mmalign models pull Xenova/resnet-50\n  mmalign models pull Xenova/bert-base-uncased --mirror https://hf-mirror.com --models ./models')
    .action(async (id: string, flags: PullFlags) => {
      const progress = createProgress({ stream: io.stderr, enabled: !flags.json });
      const stages = new Map<string, StageProgress>();
      const last = new Map<string, number>();
      let pulled;
      try {
        pulled = await pullModel(id, {
          modelsDir: flags.models,
          remoteHost: flags.mirror,
          revision: flags.revision,
          dtypes: flags.dtype,
          onProgress: (file, received, total) => {
            let stage = stages.get(file);
            if (!stage) stages.set(file, (stage = progress.stage(file, total ?? 0)));
            if (total === null) stage.setTotal(received);
            stage.tick(received - (last.get(file) ?? 0));
            last.set(file, received);
          },
        });
      } finally {
        progress.stop();
      }
      if (flags.json) {
        printJson(io, pulled);
        return;
      }
      for (const f of pulled.files) io.stdout.write(`${f.file}  ${mb(f.bytes)}\n`);
      io.stderr.write(`pulled ${id} into ${pulled.dir}\n`);
    });

  registerModelsQuantize(models, io);

  // cli.ts wires exit handling on top-level commands only; these are one level down.
  for (const sub of models.commands) sub.exitOverride().configureOutput(program.configureOutput());
};
