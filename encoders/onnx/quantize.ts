import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputFileError, InvalidOptionError } from '../../src/core/errors/index.js';
import { int } from './graph.js';
import { OnnxFile, type NodeEntry } from './onnx-file.js';
import { conv1dAsMatMul, conv1dObstacle } from './quantize-conv.js';
import { transpose } from './quantize-math.js';
import {
  addBias, addWeight, attrFloat, attrInt, biasVector, matrix, MS_DOMAIN, numel, quantizedMatMul, QUANTIZED_MATMUL_FORMS, uniqueName,
  type Planner, type QuantizedMatMulForm,
} from './quantize-plan.js';
import { writeRewritten, type NewNode, type RewritePlan } from './rewrite.js';
import { appendAll } from '../../src/core/arrays.js';

export { QUANTIZED_MATMUL_FORMS, type QuantizedMatMulForm } from './quantize-plan.js';

/**
 * Dynamic int8 quantization of an fp32 ONNX model, as onnxruntime's `quantize_dynamic` does it:
 * weights are stored as int8 with a scale per output channel, and each product's activation is
 * quantized to uint8 at run time from its own min/max. onnxruntime's CPU provider then runs the
 * products as u8×s8 integer GEMMs (VNNI where the CPU has it); weight bytes shrink 4×.
 *
 * What is rewritten (measured with onnxruntime-node 1.30 on an AVX-512 VNNI EPYC, one thread):
 * - MatMul and Gemm with a constant 2-D weight → `DynamicQuantizeLinear → MatMulInteger → Cast → Mul`,
 *   the standard-ONNX form quantize_dynamic writes (`form: 'onnx'`, the default: any runtime loads it,
 *   and onnxruntime fuses it into MatMulIntegerToFloat / DynamicQuantizeMatMul with the bias folded in,
 *   sharing one activation quantization between Q, K and V). `form: 'contrib'` writes com.microsoft
 *   DynamicQuantizeMatMul directly (same speed, 2.6× fp32 on BERT-base; for opsets below 11);
 * - Conv1d with a wide input (Wav2Vec2's feature encoder) → im2col + the same integer GEMM
 *   (see quantize-conv.ts; Wav2Vec2-base 1.9× fp32 with it, 1.4× without). ConvInteger is never
 *   used: it ran Wav2Vec2-base at 0.39× and ResNet-50 at 0.17× of fp32, so 2-D convs stay fp32;
 * - Gather from a constant 2-D table (embeddings) → int8 table + DequantizeLinear: a smaller file
 *   (BERT's 30522-token table is a quarter of the model), at no cost in speed.
 */

/** The ops the quantizer can rewrite. */
export type QuantizableOp = 'MatMul' | 'Gemm' | 'Gather' | 'Conv';
export const QUANTIZABLE_OPS: readonly QuantizableOp[] = Object.freeze(['MatMul', 'Gemm', 'Gather', 'Conv'] as const);

export interface QuantizeOptions {
  /** Ops to rewrite (default: all of {@link QUANTIZABLE_OPS}; convs only where the MatMul path applies). */
  ops?: readonly QuantizableOp[];
  /** One scale per output channel (default true) rather than one per weight tensor. */
  perChannel?: boolean;
  /**
   * 7-bit weights (default true). On x86 CPUs without VNNI (AVX2 only: most pre-2019 Intel, AMD before
   * Zen 4) onnxruntime's u8×s8 kernel adds pairs of products in int16, which 8-bit weights can saturate;
   * 7 bits cannot. Costs a little accuracy (BERT-base min cosine 0.9998 → 0.9995; Wav2Vec2 0.9996 → 0.9989).
   */
  reduceRange?: boolean;
  /** `onnx` (default: standard ops) or `contrib` (com.microsoft DynamicQuantizeMatMul). */
  form?: QuantizedMatMulForm;
  /** Weights with fewer values stay fp32 (default 0: every eligible weight is quantized). */
  minElements?: number;
  /** Called after each new tensor group (a quantized weight with its scales) is written. */
  onProgress?: (done: number, total: number) => void;
}

/** The defaults, written once. */
export const QUANTIZE_DEFAULTS = Object.freeze({
  ops: QUANTIZABLE_OPS,
  perChannel: true,
  reduceRange: true,
  form: 'onnx' as QuantizedMatMulForm,
  minElements: 0,
});

/** What a quantization run did. */
export interface QuantizeResult {
  input: string;
  output: string;
  inputBytes: number;
  bytes: number;
  sha256: string;
  /** Nodes rewritten, per op type. */
  quantized: Record<string, number>;
  /** Weight values now stored as int8. */
  quantizedValues: number;
}

const ALREADY_QUANTIZED = new Set(['DynamicQuantizeLinear', 'MatMulInteger', 'ConvInteger', 'DynamicQuantizeMatMul', 'MatMulIntegerToFloat', 'QLinearMatMul', 'QLinearConv', 'QuantizeLinear', 'DequantizeLinear']);


/**
 * Quantizes the fp32 ONNX model at `input` into `output` (written atomically; the input is not
 * changed). Works on mmalign's generated models and on standard exports of BERT, Wav2Vec2 and ResNet
 * (torch.onnx / optimum): any MatMul/Gemm/Gather whose weight is a constant initializer, and any
 * wide ungrouped unpadded Conv1d, is rewritten; everything else is copied byte for byte.
 *
 * @example
 * const r = await quantizeModel('bert/onnx/model.onnx', 'bert/onnx/model_quantized.onnx');
 * console.log(r.quantized, (r.bytes / r.inputBytes).toFixed(2)); // { MatMul: 72, Gather: 3 } 0.26
 */
export async function quantizeModel(input: string, output: string, options: QuantizeOptions = {}): Promise<QuantizeResult> {
  const o = { ...QUANTIZE_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as Required<QuantizeOptions>;
  for (const op of o.ops) if (!QUANTIZABLE_OPS.includes(op)) throw new InvalidOptionError('ops', op, `one of ${QUANTIZABLE_OPS.join(', ')}`);
  if (!QUANTIZED_MATMUL_FORMS.includes(o.form)) throw new InvalidOptionError('form', o.form, QUANTIZED_MATMUL_FORMS.join(' | '));
  const file = OnnxFile.open(input);
  try {
    // Before IR 4 every initializer had to be a graph input too; nothing exports such files any more.
    if (file.irVersion < 4) throw new InputFileError(input, `IR version ${file.irVersion} (ONNX before 1.3) is not supported; re-export the model with a current exporter`);
    const done = file.nodes.find((n) => ALREADY_QUANTIZED.has(n.opType));
    if (done) throw new InputFileError(input, `already quantized (it has a ${done.opType} node); quantize the fp32 model.onnx instead`);
    const defaultOpset = file.opsets.find((s) => s.domain === '' || s.domain === 'ai.onnx')?.version ?? 0;
    const p: Planner = {
      file,
      inits: new Map(file.initializers.map((t) => [t.name, t])),
      readers: new Map(),
      producers: new Map(),
      names: new Set([...file.initializers.map((t) => t.name), ...file.nodes.flatMap((n) => [n.name, ...n.outputs])]),
      groups: [],
      quantizedActivations: new Map(),
      consts: new Map(),
    };
    for (const n of file.nodes) {
      for (const i of n.inputs) p.readers.set(i, (p.readers.get(i) ?? 0) + 1);
      for (const out of n.outputs) p.producers.set(out, n);
    }
    for (const out of file.graphOutputs) p.readers.set(out, (p.readers.get(out) ?? 0) + 1);
    const consumersOf = new Map<string, NodeEntry[]>();
    for (const n of file.nodes) for (const i of n.inputs) consumersOf.set(i, [...(consumersOf.get(i) ?? []), n]);

    // Standard-ONNX ops need opset 10 (MatMulInteger) / 11 (DynamicQuantizeLinear) / 13 (per-axis DequantizeLinear is not used).
    const form: QuantizedMatMulForm = o.form;
    if (form === 'onnx' && defaultOpset < 11) throw new InputFileError(input, `opset ${defaultOpset} is too old for DynamicQuantizeLinear (needs 11); use the contrib form`);
    const subgraphs = file.nodes.some((n) => n.hasSubgraph);
    const fused = new Set<NodeEntry>();
    const counts: Record<string, number> = {};
    let quantizedValues = 0;
    const nodes: (NodeEntry | NewNode)[] = [];
    const wopts = { perChannel: o.perChannel, reduceRange: o.reduceRange };

    for (const node of file.nodes) {
      if (fused.has(node)) continue;
      const domainOk = node.domain === '' || node.domain === 'ai.onnx';
      let replaced: NewNode[] | null = null;
      if (domainOk && node.opType === 'MatMul' && o.ops.includes('MatMul') && !p.inits.has(node.inputs[0])) {
        const w = matrix(p, node.inputs[1], o.minElements);
        if (w) {
          const [k, n] = w.dims;
          // Fold a following `Add(y, bias[N])` into the quantized node's bias input (contrib form).
          const y = node.outputs[0];
          const next = consumersOf.get(y) ?? [];
          const add = form === 'contrib' && next.length === 1 && p.readers.get(y) === 1 && next[0].opType === 'Add' && next[0].domain === '' ? next[0] : null;
          const bias = add ? biasVector(p, add.inputs.find((i) => i !== y), n) : null;
          const wq = addWeight(p, w.name, k, n, () => file.floatData(w), wopts);
          replaced = quantizedMatMul(p, node, node.inputs[0], wq, bias ? bias.name : null, add && bias ? add.outputs[0] : y, form);
          if (add && bias) fused.add(add);
          quantizedValues += k * n;
        }
      } else if (domainOk && node.opType === 'Gemm' && o.ops.includes('Gemm') && attrInt(node, 'transA', 0) === 0) {
        const b = matrix(p, node.inputs[1], o.minElements);
        if (b && !p.inits.has(node.inputs[0])) {
          const transB = attrInt(node, 'transB', 0) === 1;
          const alpha = attrFloat(node, 'alpha', 1);
          const beta = attrFloat(node, 'beta', 1);
          const [k, n] = transB ? [b.dims[1], b.dims[0]] : b.dims;
          const c = node.inputs[2] ? biasVector(p, node.inputs[2], n) : null;
          if (!node.inputs[2] || c) {
            const load = () => (transB ? transpose(file.floatData(b), b.dims[0], b.dims[1], alpha) : alpha === 1 ? file.floatData(b) : file.floatData(b).map((v) => v * alpha));
            const wq = addWeight(p, b.name + (transB ? '_transposed' : ''), k, n, load, wopts);
            const bias = c ? addBias(p, node.name || node.outputs[0], c, beta) : null;
            replaced = quantizedMatMul(p, node, node.inputs[0], wq, bias, node.outputs[0], form);
            quantizedValues += k * n;
          }
        }
      } else if (domainOk && node.opType === 'Conv' && o.ops.includes('Conv') && defaultOpset >= 11 && conv1dObstacle(p, node) === null) {
        replaced = conv1dAsMatMul(p, node, wopts);
        quantizedValues += numel(p.inits.get(node.inputs[1])!.dims);
      } else if (domainOk && node.opType === 'Gather' && o.ops.includes('Gather') && attrInt(node, 'axis', 0) === 0) {
        const t = matrix(p, node.inputs[0], o.minElements);
        if (t) {
          const [rows, cols] = t.dims;
          // Per tensor: an embedding row is looked up, not multiplied, so its scale must travel with it; one scale does.
          const wq = addWeight(p, t.name, rows, cols, () => file.floatData(t), { perChannel: false, reduceRange: false });
          replaced = [{
            opType: 'Gather', name: uniqueName(p, `${node.name || t.name}_quant`), inputs: [wq[0], node.inputs[1]],
            outputs: [uniqueName(p, `${node.outputs[0]}_quantized`)], attrs: { axis: int(0) },
          }];
          replaced.push({ opType: 'DequantizeLinear', name: uniqueName(p, `${node.outputs[0]}_DequantizeLinear`), inputs: [replaced[0].outputs[0], wq[1], wq[2]], outputs: [node.outputs[0]] });
          quantizedValues += rows * cols;
        }
      }
      if (replaced) {
        counts[node.opType] = (counts[node.opType] ?? 0) + 1;
        appendAll(nodes, replaced);
      } else {
        nodes.push(node);
      }
    }
    if (quantizedValues === 0) {
      throw new InputFileError(input, 'nothing to quantize: no MatMul, Gemm or Gather reads a constant fp32 2-D weight (is it an fp32 export?)');
    }
    const read = new Set<string>([...nodes.flatMap((n) => n.inputs), ...file.graphOutputs]);
    // Inside a subgraph an outer initializer may be read by name, invisibly here: keep them all then.
    const keep = file.initializers.filter((t) => subgraphs || read.has(t.name));
    // An initializer may also be listed as a graph input (a default the caller can override); once it is
    // replaced, that input would become a required one, so it goes too.
    const dropInputs = new Set(file.initializers.filter((t) => !keep.includes(t)).map((t) => t.name));
    const produced = new Set(nodes.flatMap((n) => n.outputs));
    const dropValueInfo = new Set([...p.producers.keys()].filter((v) => !produced.has(v)));
    const needsMs = form === 'contrib' && !file.opsets.some((s) => s.domain === MS_DOMAIN);
    const plan: RewritePlan = {
      nodes,
      keep,
      groups: p.groups,
      dropValueInfo,
      dropInputs,
      addOpsets: needsMs ? [{ domain: MS_DOMAIN, version: 1 }] : [],
      metadata: [{ key: 'mmalign.quantization', value: JSON.stringify({ method: 'dynamic', weights: 'int8', activations: 'uint8', perChannel: o.perChannel, reduceRange: o.reduceRange, form }) }],
    };
    const written = await writeRewritten(file, plan, output, { onGroup: o.onProgress });
    return { input, output, inputBytes: file.size, bytes: written.bytes, sha256: written.sha256, quantized: counts, quantizedValues };
  } finally {
    file.close();
  }
}

/** transformers.js's file name for the q8 variant (its `_quantized` dtype suffix). */
export const QUANTIZED_ONNX_FILE = 'model_quantized.onnx';

/**
 * Quantizes a transformers.js model folder in place: `DIR/onnx/model.onnx` → `DIR/onnx/model_quantized.onnx`,
 * the file `dtype: 'q8'` loads. The new file appears whole or not at all; an older one is replaced.
 *
 * @example
 * await quantizeModelDir('models/Xenova/bert-base-uncased');
 * const text = await createEncoder('text', { model: 'Xenova/bert-base-uncased', modelsDir: 'models', dtype: 'q8' });
 */
export async function quantizeModelDir(dir: string, options: QuantizeOptions = {}): Promise<QuantizeResult> {
  const input = join(dir, 'onnx', 'model.onnx');
  if (!existsSync(input)) {
    throw new InputFileError(input, `missing: ${dir} is not a transformers.js model folder with an fp32 onnx/model.onnx (pull or build one first)`);
  }
  return quantizeModel(input, join(dir, 'onnx', QUANTIZED_ONNX_FILE), options);
}
