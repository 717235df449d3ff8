import { float, GraphBuilder, ints } from './graph.js';
import { fillTensor } from './rng.js';
import { DataType } from './proto.js';
import type { TaskHead } from './bert.js';

/** The dimensions of a bottleneck ResNet (Hugging Face ResNetConfig field meanings). */
export interface ResNetArch {
  numChannels: number;
  embeddingSize: number;
  hiddenSizes: readonly number[];
  depths: readonly number[];
  imageSize: number;
}

/** config.json as transformers writes it for ResNetModel. */
export function resnetConfigJson(a: ResNetArch): Record<string, unknown> {
  return {
    architectures: ['ResNetModel'],
    depths: [...a.depths],
    downsample_in_bottleneck: false,
    downsample_in_first_stage: false,
    embedding_size: a.embeddingSize,
    hidden_act: 'relu',
    hidden_sizes: [...a.hiddenSizes],
    image_size: a.imageSize,
    layer_type: 'bottleneck',
    model_type: 'resnet',
    num_channels: a.numChannels,
    out_features: ['stage4'],
    out_indices: [4],
    stage_names: ['stem', ...a.hiddenSizes.map((_, i) => `stage${i + 1}`)],
    transformers_version: '4.46.0',
  };
}

const BN_EPS = 1e-5;

/**
 * Conv (no bias, "same" padding k//2) + inference-mode BatchNorm (+ ReLU): HF's ResNetConvLayer.
 * Running statistics are non-trivial on purpose, so the reference check exercises them.
 */
function convBn(
  g: GraphBuilder,
  x: string,
  { inC, outC, k, stride, prefix, relu, gammaScale = 1 }: {
    inC: number; outC: number; k: number; stride: number; prefix: string; relu: boolean; gammaScale?: number;
  },
): string {
  // Kaiming-normal (fan_in, ReLU gain), as HF's ResNetPreTrainedModel initialises convolutions.
  const w = g.param(`${prefix}.convolution.weight`, [outC, inC, k, k], { kind: 'normal', std: Math.sqrt(2 / (inC * k * k)) });
  const pad = Math.floor(k / 2);
  const conv = g.op1('Conv', [x, w], {
    kernel_shape: ints([k, k]),
    strides: ints([stride, stride]),
    pads: ints([pad, pad, pad, pad]),
  });
  const bn = `${prefix}.normalization`;
  const scale = g.param(`${bn}.weight`, [outC], { kind: 'normal', mean: gammaScale, std: 0.1 * gammaScale });
  const bias = g.param(`${bn}.bias`, [outC], { kind: 'normal', std: 0.1 });
  const mean = g.param(`${bn}.running_mean`, [outC], { kind: 'normal', std: 0.1 });
  const varName = `${bn}.running_var`;
  const variance = g.derivedParam(varName, [outC], (seed) => {
    const u = fillTensor(new Float32Array(outC), { kind: 'uniform', low: 0.5, high: 1.5 }, seed, varName);
    return u;
  });
  const y = g.op1('BatchNormalization', [conv, scale, bias, mean, variance], { epsilon: float(BN_EPS) });
  return relu ? g.op1('Relu', [y]) : y;
}

/**
 * ResNetModel with bottleneck layers: stem (7×7/2 conv, BN, ReLU, 3×3/2 max-pool), stages of
 * bottlenecks (1×1 reduce, 3×3 (strided), 1×1 expand, projection shortcut when shape changes),
 * global average pool. Outputs `last_hidden_state` [B, C, h, w] and `pooler_output` [B, C, 1, 1], or
 * with `head` only what the head declares (it gets the pooled [B, C, 1, 1] value).
 */
export function buildResNetGraph(a: ResNetArch, { head }: { head?: TaskHead } = {}): GraphBuilder {
  if (a.depths.length !== a.hiddenSizes.length) throw new Error('depths and hidden sizes must have the same length');
  const g = new GraphBuilder('resnet');
  const x = g.input('pixel_values', DataType.FLOAT, ['batch_size', a.numChannels, 'height', 'width']);
  let h = convBn(g, x, { inC: a.numChannels, outC: a.embeddingSize, k: 7, stride: 2, prefix: 'embedder.embedder', relu: true });
  h = g.op1('MaxPool', [h], { kernel_shape: ints([3, 3]), strides: ints([2, 2]), pads: ints([1, 1, 1, 1]) });
  let inC = a.embeddingSize;
  for (let s = 0; s < a.depths.length; s++) {
    const outC = a.hiddenSizes[s];
    const reduced = outC / 4;
    for (let l = 0; l < a.depths[s]; l++) {
      // downsample_in_first_stage=false: stage 0 keeps resolution; later stages stride 2 in the 3×3 conv.
      const stride = l === 0 && s > 0 ? 2 : 1;
      const p = `encoder.stages.${s}.layers.${l}`;
      const residual = inC !== outC || stride !== 1
        ? convBn(g, h, { inC, outC, k: 1, stride, prefix: `${p}.shortcut`, relu: false })
        : h;
      let y = convBn(g, h, { inC, outC: reduced, k: 1, stride: 1, prefix: `${p}.layer.0`, relu: true });
      y = convBn(g, y, { inC: reduced, outC: reduced, k: 3, stride, prefix: `${p}.layer.1`, relu: true });
      // A small last-BN scale keeps 16 stacked residual blocks from blowing up (cf. zero_init_residual).
      y = convBn(g, y, { inC: reduced, outC, k: 1, stride: 1, prefix: `${p}.layer.2`, relu: false, gammaScale: 0.25 });
      h = g.op1('Relu', [g.op1('Add', [y, residual])]);
      inC = outC;
    }
  }
  if (head) {
    head(g, g.op1('GlobalAveragePool', [h]));
    return g;
  }
  const last = g.op1('Identity', [h], {}, 'last_hidden_state');
  g.op1('GlobalAveragePool', [last], {}, 'pooler_output');
  const c = a.hiddenSizes[a.hiddenSizes.length - 1];
  g.output('last_hidden_state', DataType.FLOAT, ['batch_size', c, 'feature_height', 'feature_width']);
  g.output('pooler_output', DataType.FLOAT, ['batch_size', c, 1, 1]);
  return g;
}
