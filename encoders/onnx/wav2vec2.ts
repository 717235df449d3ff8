import { float, GraphBuilder, int, ints } from './graph.js';
import { gelu, INIT_STD, layerNorm, linear, selfAttention } from './layers.js';
import { DataType } from './proto.js';
import type { TaskHead } from './bert.js';

/** The dimensions of a Wav2Vec2 encoder (Hugging Face Wav2Vec2Config field meanings). */
export interface Wav2Vec2Arch {
  convDim: readonly number[];
  convKernel: readonly number[];
  convStride: readonly number[];
  convBias: boolean;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  numConvPosEmbeddings: number;
  numConvPosEmbeddingGroups: number;
  layerNormEps: number;
}

/** The real wav2vec2-base feature encoder: 7 conv layers, 320× downsampling (20 ms frames at 16 kHz). */
export const W2V_CONV_KERNEL = Object.freeze([10, 3, 3, 3, 3, 2, 2]);
export const W2V_CONV_STRIDE = Object.freeze([5, 2, 2, 2, 2, 2, 2]);

/** config.json as transformers writes it for Wav2Vec2Model (feat_extract_norm "group", post-LN encoder). */
export function wav2vec2ConfigJson(a: Wav2Vec2Arch): Record<string, unknown> {
  return {
    activation_dropout: 0.0,
    architectures: ['Wav2Vec2Model'],
    attention_dropout: 0.1,
    conv_bias: a.convBias,
    conv_dim: [...a.convDim],
    conv_kernel: [...a.convKernel],
    conv_stride: [...a.convStride],
    do_stable_layer_norm: false,
    feat_extract_activation: 'gelu',
    feat_extract_norm: 'group',
    feat_proj_dropout: 0.1,
    hidden_act: 'gelu',
    hidden_dropout: 0.1,
    hidden_size: a.hiddenSize,
    initializer_range: INIT_STD,
    intermediate_size: a.intermediateSize,
    layer_norm_eps: a.layerNormEps,
    model_type: 'wav2vec2',
    num_attention_heads: a.numHeads,
    num_conv_pos_embedding_groups: a.numConvPosEmbeddingGroups,
    num_conv_pos_embeddings: a.numConvPosEmbeddings,
    num_feat_extract_layers: a.convDim.length,
    num_hidden_layers: a.numLayers,
    transformers_version: '4.46.0',
    vocab_size: 32,
  };
}

/** Frames the conv feature encoder yields for `samples` input samples (HF's _get_feat_extract_output_lengths). */
export function wav2vec2FrameCount(samples: number, kernel: readonly number[] = W2V_CONV_KERNEL, stride: readonly number[] = W2V_CONV_STRIDE): number {
  let n = samples;
  for (let i = 0; i < kernel.length; i++) n = Math.floor((n - kernel[i]) / stride[i]) + 1;
  return Math.max(n, 0);
}

/**
 * Wav2Vec2Model: conv feature encoder (GroupNorm with one group per channel on layer 0 —
 * InstanceNormalization computes exactly that), feature projection (LayerNorm + Linear),
 * grouped convolutional positional embedding (SamePad drops the extra frame of an even kernel),
 * then post-LN transformer layers. Output `last_hidden_state` [B, frames, H], or with `head` what it declares.
 */
export function buildWav2Vec2Graph(a: Wav2Vec2Arch, { head }: { head?: TaskHead } = {}): GraphBuilder {
  const n = a.convDim.length;
  if (a.convKernel.length !== n || a.convStride.length !== n) throw new Error('conv_dim, conv_kernel and conv_stride must have the same length');
  if (a.hiddenSize % a.numHeads !== 0) throw new Error(`hidden size ${a.hiddenSize} is not divisible by ${a.numHeads} heads`);
  if (a.hiddenSize % a.numConvPosEmbeddingGroups !== 0) throw new Error('hidden size must be divisible by num_conv_pos_embedding_groups');
  const g = new GraphBuilder('wav2vec2');
  const input = g.input('input_values', DataType.FLOAT, ['batch_size', 'sequence_length']);
  let h = g.op1('Unsqueeze', [input, g.constInt64('/const/channel_axis', [1])]);
  let inC = 1;
  for (let i = 0; i < n; i++) {
    const p = `feature_extractor.conv_layers.${i}`;
    const k = a.convKernel[i];
    const w = g.param(`${p}.conv.weight`, [a.convDim[i], inC, k], { kind: 'normal', std: Math.sqrt(2 / (inC * k)) });
    const convInputs = [h, w];
    if (a.convBias) convInputs.push(g.param(`${p}.conv.bias`, [a.convDim[i]], { kind: 'normal', std: INIT_STD }));
    h = g.op1('Conv', convInputs, { kernel_shape: ints([k]), strides: ints([a.convStride[i]]) });
    if (i === 0) {
      const scale = g.param(`${p}.layer_norm.weight`, [a.convDim[i]], { kind: 'normal', mean: 1, std: 0.05 });
      const bias = g.param(`${p}.layer_norm.bias`, [a.convDim[i]], { kind: 'normal', std: INIT_STD });
      h = g.op1('InstanceNormalization', [h, scale, bias], { epsilon: float(1e-5) });
    }
    h = gelu(g, h);
    inC = a.convDim[i];
  }
  h = g.op1('Transpose', [h], { perm: ints([0, 2, 1]) });
  h = layerNorm(g, h, inC, 'feature_projection.layer_norm', a.layerNormEps);
  h = linear(g, h, inC, a.hiddenSize, 'feature_projection.projection');

  const K = a.numConvPosEmbeddings;
  const G = a.numConvPosEmbeddingGroups;
  const posW = g.param('encoder.pos_conv_embed.conv.weight', [a.hiddenSize, a.hiddenSize / G, K], {
    kind: 'normal',
    std: 2 * Math.sqrt(1 / (K * (a.hiddenSize / G))),
  });
  const posB = g.param('encoder.pos_conv_embed.conv.bias', [a.hiddenSize], { kind: 'normal', std: INIT_STD });
  let pos = g.op1('Conv', [g.op1('Transpose', [h], { perm: ints([0, 2, 1]) }), posW, posB], {
    kernel_shape: ints([K]),
    pads: ints([Math.floor(K / 2), Math.floor(K / 2)]),
    group: int(G),
  });
  if (K % 2 === 0) {
    pos = g.op1('Slice', [pos, g.constInt64('/const/samepad_start', [0]), g.constInt64('/const/samepad_end', [-1]), g.constInt64('/const/samepad_axis', [2])]);
  }
  pos = g.op1('Transpose', [gelu(g, pos)], { perm: ints([0, 2, 1]) });
  h = layerNorm(g, g.op1('Add', [h, pos]), a.hiddenSize, 'encoder.layer_norm', a.layerNormEps);

  for (let l = 0; l < a.numLayers; l++) {
    const p = `encoder.layers.${l}`;
    const attn = selfAttention(g, h, {
      hidden: a.hiddenSize,
      heads: a.numHeads,
      prefix: `${p}.attention`,
      names: { q: 'q_proj', k: 'k_proj', v: 'v_proj', out: 'out_proj' },
    });
    h = layerNorm(g, g.op1('Add', [h, attn]), a.hiddenSize, `${p}.layer_norm`, a.layerNormEps);
    const ff = linear(g, gelu(g, linear(g, h, a.hiddenSize, a.intermediateSize, `${p}.feed_forward.intermediate_dense`)), a.intermediateSize, a.hiddenSize, `${p}.feed_forward.output_dense`);
    h = layerNorm(g, g.op1('Add', [h, ff]), a.hiddenSize, `${p}.final_layer_norm`, a.layerNormEps);
  }
  if (head) {
    head(g, h);
    return g;
  }
  g.op1('Identity', [h], {}, 'last_hidden_state');
  g.output('last_hidden_state', DataType.FLOAT, ['batch_size', 'num_frames', a.hiddenSize]);
  return g;
}
