import { GraphBuilder, int } from './graph.js';
import { gelu, INIT_STD, layerNorm, linear, scalar, selfAttention } from './layers.js';
import { DataType } from './proto.js';

/**
 * A task head in place of the backbone output (a hub export such as BertForMaskedLM has only `logits`):
 * given the builder and the backbone's last hidden value, it adds its nodes and declares the outputs.
 */
export type TaskHead = (g: GraphBuilder, hidden: string) => void;

/** The dimensions of a BERT encoder (Hugging Face BertConfig field meanings). */
export interface BertArch {
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  layerNormEps: number;
}

/** config.json as transformers writes it for BertModel. */
export function bertConfigJson(a: BertArch): Record<string, unknown> {
  return {
    architectures: ['BertModel'],
    attention_probs_dropout_prob: 0.1,
    classifier_dropout: null,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0.1,
    hidden_size: a.hiddenSize,
    initializer_range: INIT_STD,
    intermediate_size: a.intermediateSize,
    layer_norm_eps: a.layerNormEps,
    max_position_embeddings: a.maxPositionEmbeddings,
    model_type: 'bert',
    num_attention_heads: a.numHeads,
    num_hidden_layers: a.numLayers,
    pad_token_id: 0,
    position_embedding_type: 'absolute',
    transformers_version: '4.46.0',
    type_vocab_size: a.typeVocabSize,
    use_cache: true,
    vocab_size: a.vocabSize,
  };
}

/**
 * BertModel without the pooler (or, with `head`, a task model such as BertForMaskedLM): embeddings (word + absolute position + token type, LayerNorm),
 * then post-LN encoder layers. Padding is honoured with HF's additive mask (1 - mask) * finfo.min,
 * so masked keys get exactly zero attention weight.
 */
export function buildBertGraph(a: BertArch, { head }: { head?: TaskHead } = {}): GraphBuilder {
  if (a.hiddenSize % a.numHeads !== 0) throw new Error(`hidden size ${a.hiddenSize} is not divisible by ${a.numHeads} heads`);
  const g = new GraphBuilder('bert');
  const dyn = ['batch_size', 'sequence_length'];
  const ids = g.input('input_ids', DataType.INT64, dyn);
  const mask = g.input('attention_mask', DataType.INT64, dyn);
  const types = g.input('token_type_ids', DataType.INT64, dyn);

  const wordEmb = g.param('embeddings.word_embeddings.weight', [a.vocabSize, a.hiddenSize], { kind: 'normal', std: INIT_STD });
  const posEmb = g.param('embeddings.position_embeddings.weight', [a.maxPositionEmbeddings, a.hiddenSize], { kind: 'normal', std: INIT_STD });
  const typeEmb = g.param('embeddings.token_type_embeddings.weight', [a.typeVocabSize, a.hiddenSize], { kind: 'normal', std: INIT_STD });

  // position_ids = arange(seq_len), computed from the input's shape so the sequence axis stays dynamic.
  const seqLen = g.op1('Gather', [g.op1('Shape', [ids]), g.constInt64('/const/sequence_axis', [1], [])], { axis: int(0) });
  const positions = g.op1('Range', [g.constInt64('/const/zero_i64', [0], []), seqLen, g.constInt64('/const/one_i64', [1], [])]);
  const words = g.op1('Gather', [wordEmb, ids], { axis: int(0) });
  const pos = g.op1('Gather', [posEmb, positions], { axis: int(0) });
  const tt = g.op1('Gather', [typeEmb, types], { axis: int(0) });
  let h = g.op1('Add', [g.op1('Add', [words, tt]), pos]);
  h = layerNorm(g, h, a.hiddenSize, 'embeddings.LayerNorm', a.layerNormEps);

  // [B, S] -> [B, 1, 1, S] additive mask.
  const maskF = g.op1('Cast', [mask], { to: int(DataType.FLOAT) });
  const inverted = g.op1('Sub', [scalar(g, 'one', 1), maskF]);
  const additive = g.op1('Mul', [inverted, scalar(g, 'finfo_min', -3.4028234663852886e38)]);
  const extMask = g.op1('Unsqueeze', [additive, g.constInt64('/const/mask_axes', [1, 2])]);

  for (let l = 0; l < a.numLayers; l++) {
    const p = `encoder.layer.${l}`;
    const attn = selfAttention(g, h, {
      hidden: a.hiddenSize,
      heads: a.numHeads,
      prefix: `${p}.attention`,
      additiveMask: extMask,
      names: { q: 'self.query', k: 'self.key', v: 'self.value', out: 'output.dense' },
    });
    h = layerNorm(g, g.op1('Add', [attn, h]), a.hiddenSize, `${p}.attention.output.LayerNorm`, a.layerNormEps);
    const inter = gelu(g, linear(g, h, a.hiddenSize, a.intermediateSize, `${p}.intermediate.dense`));
    const out = linear(g, inter, a.intermediateSize, a.hiddenSize, `${p}.output.dense`);
    h = layerNorm(g, g.op1('Add', [out, h]), a.hiddenSize, `${p}.output.LayerNorm`, a.layerNormEps);
  }
  if (head) {
    head(g, h);
    return g;
  }
  g.op1('Identity', [h], {}, 'last_hidden_state');
  g.output('last_hidden_state', DataType.FLOAT, ['batch_size', 'sequence_length', a.hiddenSize]);
  return g;
}
