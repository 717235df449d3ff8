import type { TaskHead } from './bert.js';
import { int } from './graph.js';
import { gelu, INIT_STD, layerNorm, linear } from './layers.js';
import { DataType } from './proto.js';

/**
 * The task heads of the hub exports users pull (Xenova/bert-base-uncased is a fill-mask export,
 * Xenova/resnet-50 an image classifier, Xenova/wav2vec2-base-960h a CTC model): each replaces the
 * backbone output with the head's `logits`, written as torch.onnx writes them, with HF's parameter names.
 */

/**
 * BertForMaskedLM's head: transform (dense, GELU, LayerNorm), then the decoder onto the vocabulary.
 *
 * @example
 * buildBertGraph(arch, { head: maskedLmHead(arch.hiddenSize, arch.vocabSize, arch.layerNormEps) }); // output: logits [B, S, V]
 */
export function maskedLmHead(hidden: number, vocab: number, eps: number): TaskHead {
  return (g, h) => {
    let t = gelu(g, linear(g, h, hidden, hidden, 'cls.predictions.transform.dense'));
    t = layerNorm(g, t, hidden, 'cls.predictions.transform.LayerNorm', eps);
    const w = g.param('cls.predictions.decoder.weight', [hidden, vocab], { kind: 'normal', std: INIT_STD });
    const b = g.param('cls.predictions.bias', [vocab], { kind: 'normal', std: INIT_STD });
    g.op1('Add', [g.op1('MatMul', [t, w]), b], {}, 'logits');
    g.output('logits', DataType.FLOAT, ['batch_size', 'sequence_length', vocab]);
  };
}

/**
 * ResNetForImageClassification's head: Flatten, then Linear as a Gemm (torch exports a 2-D Linear so).
 *
 * @example
 * buildResNetGraph(arch, { head: imageClassificationHead(2048, 1000) }); // output: logits [B, 1000]
 */
export function imageClassificationHead(channels: number, labels: number): TaskHead {
  return (g, pooled) => {
    const flat = g.op1('Flatten', [pooled], { axis: int(1) });
    const w = g.param('classifier.1.weight', [labels, channels], { kind: 'normal', std: INIT_STD });
    const b = g.param('classifier.1.bias', [labels], { kind: 'normal', std: INIT_STD });
    g.op1('Gemm', [flat, w, b], { transB: int(1) }, 'logits');
    g.output('logits', DataType.FLOAT, ['batch_size', labels]);
  };
}

/**
 * Wav2Vec2ForCTC's head: one Linear from the hidden size onto the character vocabulary.
 *
 * @example
 * buildWav2Vec2Graph(arch, { head: ctcHead(768, 32) }); // output: logits [B, frames, 32]
 */
export function ctcHead(hidden: number, vocab: number): TaskHead {
  return (g, h) => {
    g.op1('Identity', [linear(g, h, hidden, vocab, 'lm_head')], {}, 'logits');
    g.output('logits', DataType.FLOAT, ['batch_size', 'sequence_length', vocab]);
  };
}
