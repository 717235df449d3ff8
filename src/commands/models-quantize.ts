import { Option, type Command } from 'commander';
import { statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  QUANTIZABLE_OPS, QUANTIZE_DEFAULTS, QUANTIZED_MATMUL_FORMS, QUANTIZED_ONNX_FILE, quantizeModel,
  type QuantizableOp, type QuantizedMatMulForm,
} from '../../encoders/onnx/quantize.js';
import { InvalidOptionError } from '../core/errors/index.js';
import { createProgress, type StageProgress } from '../core/progress.js';
import { printJson, type CliIo } from './shared.js';

interface QuantizeFlags { out?: string; perTensor?: boolean; reduceRange: boolean; form: QuantizedMatMulForm; ops?: QuantizableOp[]; json?: boolean }

function parseOps(raw: string, previous: QuantizableOp[] | undefined): QuantizableOp[] {
  const out = [...(previous ?? [])];
  for (const part of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!(QUANTIZABLE_OPS as readonly string[]).includes(part)) throw new InvalidOptionError('--ops', part, `one of ${QUANTIZABLE_OPS.join(', ')}`);
    if (!out.includes(part as QuantizableOp)) out.push(part as QuantizableOp);
  }
  return out;
}

/** A model folder means its onnx/model.onnx; a .onnx file is taken as it is. */
function locate(target: string): { input: string; output: string } {
  let isDir = false;
  try {
    isDir = statSync(target).isDirectory();
  } catch {
    // A missing path is reported by the quantizer, naming the file.
  }
  if (isDir) return { input: join(target, 'onnx', 'model.onnx'), output: join(target, 'onnx', QUANTIZED_ONNX_FILE) };
  const name = basename(target).replace(/\.onnx$/, '');
  return { input: target, output: join(dirname(target), `${name}_quantized.onnx`) };
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(bytes < 1e6 ? 2 : 1)} MB`;

/** `mmalign models quantize DIR`: writes the int8 `onnx/model_quantized.onnx` that `--dtype q8` loads. */
export function registerModelsQuantize(models: Command, io: CliIo): void {
  models
    .command('quantize')
    .description('Write the dynamically quantized int8 variant of a model (DIR/onnx/model.onnx → DIR/onnx/model_quantized.onnx, what --dtype q8 loads), as onnxruntime\'s quantize_dynamic does.')
    .argument('<dir>', 'a model folder in transformers.js layout, or an .onnx file')
    .option('--out <file>', 'where to write (default: model_quantized.onnx next to the input)')
    .option('--per-tensor', 'one scale per weight tensor instead of one per output channel')
    .option('--no-reduce-range', 'use all 8 weight bits: slightly more accurate on CPUs with VNNI (AVX-512 VNNI / AVX-VNNI), can saturate on older AVX2-only CPUs')
    .addOption(new Option('--form <form>', 'onnx: standard ops (DynamicQuantizeLinear, MatMulInteger), any runtime; contrib: com.microsoft DynamicQuantizeMatMul').choices([...QUANTIZED_MATMUL_FORMS]).default(QUANTIZE_DEFAULTS.form))
    .option('--ops <ops>', `rewrite only these ops (comma-separated: ${QUANTIZABLE_OPS.join(', ')}; default all)`, parseOps)
    .option('--json', 'print what was written as JSON on stdout')
    .addHelpText('after', '\nExamples:\n  mmalign models quantize ~/.cache/mmalign/models/Xenova/bert-base-uncased\n  mmalign models quantize ./model.onnx --out ./model_int8.onnx --json')
    .action(async (target: string, flags: QuantizeFlags) => {
      const { input, output } = locate(target);
      const progress = createProgress({ stream: io.stderr, enabled: !flags.json });
      let stage: StageProgress | undefined;
      let result;
      try {
        result = await quantizeModel(input, flags.out ?? output, {
          perChannel: !flags.perTensor,
          reduceRange: flags.reduceRange,
          form: flags.form,
          ops: flags.ops,
          onProgress: (done, total) => {
            if (!stage) stage = progress.stage('quantize', total);
            stage.tick();
            if (done === total) stage.done();
          },
        });
      } finally {
        progress.stop();
      }
      if (flags.json) {
        printJson(io, result);
        return;
      }
      const ops = Object.entries(result.quantized).map(([op, n]) => `${n} ${op}`).join(', ');
      io.stdout.write(`${result.output}  ${mb(result.bytes)} (from ${mb(result.inputBytes)}; int8: ${ops})\n`);
      io.stderr.write('load it with --dtype q8 (transformers.js: dtype "q8")\n');
    });
}
