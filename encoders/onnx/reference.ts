import { readFileSync } from 'node:fs';
import { ModelProto } from './proto.js';

/**
 * Plain-TypeScript forward passes of the three generated architectures, written from the
 * Hugging Face PyTorch modules (not from our ONNX graphs), in float64. Tests run the ONNX files
 * through onnxruntime and compare against these, so the builder provably computes BERT, ResNet
 * and Wav2Vec2. Naive loops, written for clarity rather than speed: use small inputs.
 */

/** A model's initializers by name, read back from the .onnx file itself. */
export type Weights = ReadonlyMap<string, { dims: number[]; data: Float32Array }>;

/**
 * Reads every float32 initializer of an ONNX file (decodes the whole file: tiny models only).
 *
 * @example
 * readOnnxWeights('fixtures/models/mmalign/tiny-bert/onnx/model.onnx').get('embeddings.word_embeddings.weight')?.dims; // [3073, 32]
 */
export function readOnnxWeights(path: string): Weights {
  const msg = ModelProto.decode(readFileSync(path));
  const model = ModelProto.toObject(msg, { longs: Number, defaults: false }) as {
    graph: { initializer: { name: string; dims?: number[]; data_type: number; raw_data?: Uint8Array }[] };
  };
  const out = new Map<string, { dims: number[]; data: Float32Array }>();
  for (const t of model.graph.initializer) {
    if (t.data_type !== 1 || !t.raw_data) continue;
    const copy = new Uint8Array(t.raw_data); // aligned copy for the Float32Array view
    out.set(t.name, { dims: t.dims ?? [], data: new Float32Array(copy.buffer, 0, copy.byteLength / 4) });
  }
  return out;
}

function w(weights: Weights, name: string): Float32Array {
  const t = weights.get(name);
  if (!t) throw new Error(`reference: missing weight ${name}`);
  return t.data;
}

/** erf to ~1e-7 relative (Numerical Recipes' Chebyshev erfc); JS has no Math.erf. */
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? 1 - r : r - 1;
}

const gelu = (x: number): number => 0.5 * x * (1 + erf(x / Math.SQRT2));

/** [n, inDim] · W[inDim, outDim] + b. */
function linear(x: Float64Array, n: number, inDim: number, outDim: number, W: Float32Array, b: Float32Array): Float64Array {
  const y = new Float64Array(n * outDim);
  for (let i = 0; i < n; i++) {
    for (let o = 0; o < outDim; o++) {
      let s = b[o];
      for (let k = 0; k < inDim; k++) s += x[i * inDim + k] * W[k * outDim + o];
      y[i * outDim + o] = s;
    }
  }
  return y;
}

function layerNorm(x: Float64Array, n: number, dim: number, g: Float32Array, b: Float32Array, eps: number): Float64Array {
  const y = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) {
    let mean = 0;
    for (let k = 0; k < dim; k++) mean += x[i * dim + k];
    mean /= dim;
    let v = 0;
    for (let k = 0; k < dim; k++) v += (x[i * dim + k] - mean) ** 2;
    const inv = 1 / Math.sqrt(v / dim + eps);
    for (let k = 0; k < dim; k++) y[i * dim + k] = (x[i * dim + k] - mean) * inv * g[k] + b[k];
  }
  return y;
}

const add = (a: Float64Array, b: Float64Array): Float64Array => a.map((v, i) => v + b[i]);

/** Multi-head self-attention over one sequence; keys with keyMask[j] === 0 get zero weight. */
function attention(
  x: Float64Array, S: number, H: number, heads: number, weights: Weights,
  names: { q: string; k: string; v: string; out: string }, keyMask?: readonly number[],
): Float64Array {
  const q = linear(x, S, H, H, w(weights, `${names.q}.weight`), w(weights, `${names.q}.bias`));
  const k = linear(x, S, H, H, w(weights, `${names.k}.weight`), w(weights, `${names.k}.bias`));
  const v = linear(x, S, H, H, w(weights, `${names.v}.weight`), w(weights, `${names.v}.bias`));
  const dh = H / heads;
  const ctx = new Float64Array(S * H);
  const scores = new Float64Array(S);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < S; i++) {
      let max = -Infinity;
      for (let j = 0; j < S; j++) {
        if (keyMask && keyMask[j] === 0) { scores[j] = -Infinity; continue; }
        let s = 0;
        for (let d = 0; d < dh; d++) s += q[i * H + h * dh + d] * k[j * H + h * dh + d];
        scores[j] = s / Math.sqrt(dh);
        max = Math.max(max, scores[j]);
      }
      let sum = 0;
      for (let j = 0; j < S; j++) { scores[j] = scores[j] === -Infinity ? 0 : Math.exp(scores[j] - max); sum += scores[j]; }
      for (let j = 0; j < S; j++) {
        const p = scores[j] / sum;
        if (p === 0) continue;
        for (let d = 0; d < dh; d++) ctx[i * H + h * dh + d] += p * v[j * H + h * dh + d];
      }
    }
  }
  return linear(ctx, S, H, H, w(weights, `${names.out}.weight`), w(weights, `${names.out}.bias`));
}

export interface BertRefConfig { hidden_size: number; num_hidden_layers: number; num_attention_heads: number; intermediate_size: number; layer_norm_eps: number }

/**
 * BertModel.last_hidden_state for one sequence. Rows whose mask is 0 are computed too (as HF
 * does); only the keys are masked.
 */
export function bertReference(weights: Weights, c: BertRefConfig, ids: readonly number[], mask: readonly number[], types: readonly number[]): Float64Array {
  const S = ids.length;
  const H = c.hidden_size;
  const word = w(weights, 'embeddings.word_embeddings.weight');
  const pos = w(weights, 'embeddings.position_embeddings.weight');
  const typ = w(weights, 'embeddings.token_type_embeddings.weight');
  let x: Float64Array = new Float64Array(S * H);
  for (let s = 0; s < S; s++) for (let k = 0; k < H; k++) x[s * H + k] = word[ids[s] * H + k] + typ[types[s] * H + k] + pos[s * H + k];
  x = layerNorm(x, S, H, w(weights, 'embeddings.LayerNorm.weight'), w(weights, 'embeddings.LayerNorm.bias'), c.layer_norm_eps);
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `encoder.layer.${l}`;
    const a = attention(x, S, H, c.num_attention_heads, weights, {
      q: `${p}.attention.self.query`, k: `${p}.attention.self.key`, v: `${p}.attention.self.value`, out: `${p}.attention.output.dense`,
    }, mask);
    x = layerNorm(add(a, x), S, H, w(weights, `${p}.attention.output.LayerNorm.weight`), w(weights, `${p}.attention.output.LayerNorm.bias`), c.layer_norm_eps);
    const inter = linear(x, S, H, c.intermediate_size, w(weights, `${p}.intermediate.dense.weight`), w(weights, `${p}.intermediate.dense.bias`)).map(gelu);
    const out = linear(inter, S, c.intermediate_size, H, w(weights, `${p}.output.dense.weight`), w(weights, `${p}.output.dense.bias`));
    x = layerNorm(add(out, x), S, H, w(weights, `${p}.output.LayerNorm.weight`), w(weights, `${p}.output.LayerNorm.bias`), c.layer_norm_eps);
  }
  return x;
}

/** A [C, H, W] feature map. */
export interface FeatureMap { c: number; h: number; w: number; data: Float64Array }

function conv2d(x: FeatureMap, W: Float32Array, outC: number, k: number, stride: number, pad: number): FeatureMap {
  const oh = Math.floor((x.h + 2 * pad - k) / stride) + 1;
  const ow = Math.floor((x.w + 2 * pad - k) / stride) + 1;
  const y = new Float64Array(outC * oh * ow);
  for (let o = 0; o < outC; o++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        let s = 0;
        for (let c = 0; c < x.c; c++) {
          for (let u = 0; u < k; u++) {
            const yy = i * stride - pad + u;
            if (yy < 0 || yy >= x.h) continue;
            for (let v = 0; v < k; v++) {
              const xx = j * stride - pad + v;
              if (xx < 0 || xx >= x.w) continue;
              s += x.data[(c * x.h + yy) * x.w + xx] * W[((o * x.c + c) * k + u) * k + v];
            }
          }
        }
        y[(o * oh + i) * ow + j] = s;
      }
    }
  }
  return { c: outC, h: oh, w: ow, data: y };
}

function convBn(weights: Weights, x: FeatureMap, prefix: string, outC: number, k: number, stride: number, relu: boolean): FeatureMap {
  const y = conv2d(x, w(weights, `${prefix}.convolution.weight`), outC, k, stride, Math.floor(k / 2));
  const g = w(weights, `${prefix}.normalization.weight`);
  const b = w(weights, `${prefix}.normalization.bias`);
  const m = w(weights, `${prefix}.normalization.running_mean`);
  const v = w(weights, `${prefix}.normalization.running_var`);
  const hw = y.h * y.w;
  for (let c = 0; c < outC; c++) {
    const inv = 1 / Math.sqrt(v[c] + 1e-5);
    for (let i = 0; i < hw; i++) {
      const z = (y.data[c * hw + i] - m[c]) * inv * g[c] + b[c];
      y.data[c * hw + i] = relu ? Math.max(0, z) : z;
    }
  }
  return y;
}

export interface ResNetRefConfig { embedding_size: number; hidden_sizes: number[]; depths: number[] }

/** ResNetModel for one [3, H, W] image: { lastHiddenState [C·h·w], pooled [C] }. */
export function resnetReference(weights: Weights, c: ResNetRefConfig, image: FeatureMap): { lastHiddenState: FeatureMap; pooled: Float64Array } {
  let x = convBn(weights, image, 'embedder.embedder', c.embedding_size, 7, 2, true);
  // 3×3/2 max-pool, padding 1 (padded cells never win).
  const ph = Math.floor((x.h + 2 - 3) / 2) + 1;
  const pw = Math.floor((x.w + 2 - 3) / 2) + 1;
  const pooled = new Float64Array(x.c * ph * pw);
  for (let ch = 0; ch < x.c; ch++) for (let i = 0; i < ph; i++) for (let j = 0; j < pw; j++) {
    let m = -Infinity;
    for (let u = 0; u < 3; u++) for (let v = 0; v < 3; v++) {
      const yy = i * 2 - 1 + u;
      const xx = j * 2 - 1 + v;
      if (yy >= 0 && yy < x.h && xx >= 0 && xx < x.w) m = Math.max(m, x.data[(ch * x.h + yy) * x.w + xx]);
    }
    pooled[(ch * ph + i) * pw + j] = m;
  }
  x = { c: x.c, h: ph, w: pw, data: pooled };
  let inC = c.embedding_size;
  for (let s = 0; s < c.depths.length; s++) {
    const outC = c.hidden_sizes[s];
    for (let l = 0; l < c.depths[s]; l++) {
      const stride = l === 0 && s > 0 ? 2 : 1;
      const p = `encoder.stages.${s}.layers.${l}`;
      const residual = inC !== outC || stride !== 1 ? convBn(weights, x, `${p}.shortcut`, outC, 1, stride, false) : x;
      let y = convBn(weights, x, `${p}.layer.0`, outC / 4, 1, 1, true);
      y = convBn(weights, y, `${p}.layer.1`, outC / 4, 3, stride, true);
      y = convBn(weights, y, `${p}.layer.2`, outC, 1, 1, false);
      x = { ...y, data: y.data.map((v, i) => Math.max(0, v + residual.data[i])) };
      inC = outC;
    }
  }
  const hw = x.h * x.w;
  const avg = new Float64Array(x.c);
  for (let ch = 0; ch < x.c; ch++) {
    let s = 0;
    for (let i = 0; i < hw; i++) s += x.data[ch * hw + i];
    avg[ch] = s / hw;
  }
  return { lastHiddenState: x, pooled: avg };
}

/** Conv1d on [C, T] with optional groups, symmetric padding and bias. */
function conv1d(x: Float64Array, inC: number, T: number, W: Float32Array, outC: number, k: number, stride: number, pad: number, groups: number, bias?: Float32Array): { data: Float64Array; T: number } {
  const oT = Math.floor((T + 2 * pad - k) / stride) + 1;
  const y = new Float64Array(outC * oT);
  const inPerG = inC / groups;
  const outPerG = outC / groups;
  for (let o = 0; o < outC; o++) {
    const g = Math.floor(o / outPerG);
    for (let t = 0; t < oT; t++) {
      let s = bias ? bias[o] : 0;
      for (let ci = 0; ci < inPerG; ci++) {
        const c = g * inPerG + ci;
        for (let u = 0; u < k; u++) {
          const tt = t * stride - pad + u;
          if (tt < 0 || tt >= T) continue;
          s += x[c * T + tt] * W[(o * inPerG + ci) * k + u];
        }
      }
      y[o * oT + t] = s;
    }
  }
  return { data: y, T: oT };
}

export interface Wav2Vec2RefConfig {
  conv_dim: number[]; conv_kernel: number[]; conv_stride: number[]; conv_bias: boolean;
  hidden_size: number; num_hidden_layers: number; num_attention_heads: number; intermediate_size: number;
  num_conv_pos_embeddings: number; num_conv_pos_embedding_groups: number; layer_norm_eps: number;
}

/** Wav2Vec2Model.last_hidden_state for one waveform: [frames · hidden]. */
export function wav2vec2Reference(weights: Weights, c: Wav2Vec2RefConfig, samples: Float32Array): { frames: number; data: Float64Array } {
  let x: Float64Array = Float64Array.from(samples);
  let C = 1;
  let T = samples.length;
  for (let i = 0; i < c.conv_dim.length; i++) {
    const p = `feature_extractor.conv_layers.${i}`;
    const r = conv1d(x, C, T, w(weights, `${p}.conv.weight`), c.conv_dim[i], c.conv_kernel[i], c.conv_stride[i], 0, 1, c.conv_bias ? w(weights, `${p}.conv.bias`) : undefined);
    x = r.data;
    T = r.T;
    C = c.conv_dim[i];
    if (i === 0) {
      // GroupNorm(num_groups = channels): normalise each channel over time.
      const g = w(weights, `${p}.layer_norm.weight`);
      const b = w(weights, `${p}.layer_norm.bias`);
      for (let ch = 0; ch < C; ch++) {
        let mean = 0;
        for (let t = 0; t < T; t++) mean += x[ch * T + t];
        mean /= T;
        let v = 0;
        for (let t = 0; t < T; t++) v += (x[ch * T + t] - mean) ** 2;
        const inv = 1 / Math.sqrt(v / T + 1e-5);
        for (let t = 0; t < T; t++) x[ch * T + t] = (x[ch * T + t] - mean) * inv * g[ch] + b[ch];
      }
    }
    x = x.map(gelu);
  }
  // [C, T] -> [T, C]
  let h: Float64Array = new Float64Array(T * C);
  for (let ch = 0; ch < C; ch++) for (let t = 0; t < T; t++) h[t * C + ch] = x[ch * T + t];
  h = layerNorm(h, T, C, w(weights, 'feature_projection.layer_norm.weight'), w(weights, 'feature_projection.layer_norm.bias'), c.layer_norm_eps);
  const H = c.hidden_size;
  h = linear(h, T, C, H, w(weights, 'feature_projection.projection.weight'), w(weights, 'feature_projection.projection.bias'));
  // Positional conv on [H, T]; an even kernel yields T + 1 frames and SamePad drops the last.
  const hT = new Float64Array(H * T);
  for (let t = 0; t < T; t++) for (let k = 0; k < H; k++) hT[k * T + t] = h[t * H + k];
  const K = c.num_conv_pos_embeddings;
  const pc = conv1d(hT, H, T, w(weights, 'encoder.pos_conv_embed.conv.weight'), H, K, 1, Math.floor(K / 2), c.num_conv_pos_embedding_groups, w(weights, 'encoder.pos_conv_embed.conv.bias'));
  const withPos = new Float64Array(T * H);
  for (let t = 0; t < T; t++) for (let k = 0; k < H; k++) withPos[t * H + k] = h[t * H + k] + gelu(pc.data[k * pc.T + t]);
  h = layerNorm(withPos, T, H, w(weights, 'encoder.layer_norm.weight'), w(weights, 'encoder.layer_norm.bias'), c.layer_norm_eps);
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `encoder.layers.${l}`;
    const a = attention(h, T, H, c.num_attention_heads, weights, {
      q: `${p}.attention.q_proj`, k: `${p}.attention.k_proj`, v: `${p}.attention.v_proj`, out: `${p}.attention.out_proj`,
    });
    h = layerNorm(add(h, a), T, H, w(weights, `${p}.layer_norm.weight`), w(weights, `${p}.layer_norm.bias`), c.layer_norm_eps);
    const inter = linear(h, T, H, c.intermediate_size, w(weights, `${p}.feed_forward.intermediate_dense.weight`), w(weights, `${p}.feed_forward.intermediate_dense.bias`)).map(gelu);
    const ff = linear(inter, T, c.intermediate_size, H, w(weights, `${p}.feed_forward.output_dense.weight`), w(weights, `${p}.feed_forward.output_dense.bias`));
    h = layerNorm(add(h, ff), T, H, w(weights, `${p}.final_layer_norm.weight`), w(weights, `${p}.final_layer_norm.bias`), c.layer_norm_eps);
  }
  return { frames: T, data: h };
}
