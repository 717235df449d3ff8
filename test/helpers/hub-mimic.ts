/**
 * A loopback Hugging Face hub that serves folders shaped like the real exports users pull, made from
 * tiny seeded weights (architecture-faithful, not semantic):
 *
 * - `Xenova/bert-base-uncased`: a fill-mask export (BertForMaskedLM, only output `logits` [B, S, V]),
 *   onnx/model.onnx + onnx/model_quantized.onnx, tokenizer.json, tokenizer_config.json, config.json;
 * - `Xenova/resnet-50`: an image-classification export (only output `logits` [B, labels]) with the real
 *   ConvNext-style preprocessor_config.json (shortest_edge 224, crop_pct 0.875, bicubic);
 * - `Xenova/wav2vec2-base-960h`: a CTC export (only output `logits` [B, T, 32]) with its real
 *   preprocessor_config.json, tokenizer_config.json, vocab.json and special_tokens_map.json.
 *
 * config.json files carry the real repos' field names and values except the sizes. The server answers
 * `/<org>/<name>/resolve/<revision>/<file>` as huggingface.co does: 401 `RepoNotFound` for an unknown
 * repo, 404 with `x-error-code` for a missing file or revision, and `.onnx` files (LFS objects on the
 * hub) through a 302 to a CDN path.
 *
 * Usage (tests, or `npx tsx scripts/hub-mimic.ts` by hand):
 *   const root = await writeHubMimic(dir);                 // once: writes dir/<org>/<name>/...
 *   const hub = await startHubMimic(dir);                   // serves it on 127.0.0.1:<random port>
 *   process.env.HF_ENDPOINT = hub.url;                      // or remoteHost: hub.url / --mirror
 *   ... mmalign align --text-model Xenova/bert-base-uncased --allow-remote ...
 *   await hub.stop();                                       // then the same run must work from the cache
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { buildBertGraph, type BertArch } from '../../encoders/onnx/bert.js';
import { presetArchitectures } from '../../encoders/onnx/build.js';
import { QUANTIZED_ONNX_FILE, quantizeModelDir } from '../../encoders/onnx/quantize.js';
import { buildResNetGraph } from '../../encoders/onnx/resnet.js';
import { ctcHead, imageClassificationHead, maskedLmHead } from '../../encoders/onnx/task-heads.js';
import { bertTokenizerConfigJson, bertTokenizerJson, buildVocabulary } from '../../encoders/onnx/tokenizer.js';
import { buildWav2Vec2Graph } from '../../encoders/onnx/wav2vec2.js';
import type { Modality } from '../../src/core/types.js';

/** The hub ids the mimic serves, per modality: mmalign's real default models. */
export const HUB_MIMIC_IDS = Object.freeze({
  text: 'Xenova/bert-base-uncased',
  image: 'Xenova/resnet-50',
  audio: 'Xenova/wav2vec2-base-960h',
} as const satisfies Record<Modality, string>);

export interface HubMimicModel {
  id: string;
  dir: string;
  /** Files relative to `dir`, sorted. */
  files: string[];
}

/** Labels of the mimic classifier: the real head has ImageNet's 1000; a tiny one keeps the file small. */
export const MIMIC_RESNET_LABELS = 10;
/** Wav2Vec2-base-960h's character vocabulary, in its vocab.json order. */
const W2V_VOCAB = ['<pad>', '<s>', '</s>', '<unk>', '|', 'E', 'T', 'A', 'O', 'N', 'I', 'H', 'S', 'R', 'D', 'L', 'U', 'M', 'W', 'C', 'F', 'G', 'Y', 'P', 'B', 'V', 'K', "'", 'X', 'J', 'Q', 'Z'];

const json = (value: unknown) => JSON.stringify(value, null, 2) + '\n';

async function put(dir: string, file: string, text: string): Promise<void> {
  await mkdir(join(dir, ...file.split('/').slice(0, -1)), { recursive: true });
  await writeFile(join(dir, ...file.split('/')), text);
}

async function writeBert(dir: string, seed: number): Promise<void> {
  const vocab = buildVocabulary();
  const a: BertArch = { ...presetArchitectures('tiny').bert, vocabSize: vocab.length };
  await put(dir, 'config.json', json({
    _name_or_path: 'bert-base-uncased',
    architectures: ['BertForMaskedLM'],
    attention_probs_dropout_prob: 0.1,
    classifier_dropout: null,
    gradient_checkpointing: false,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0.1,
    hidden_size: a.hiddenSize,
    initializer_range: 0.02,
    intermediate_size: a.intermediateSize,
    layer_norm_eps: a.layerNormEps,
    max_position_embeddings: a.maxPositionEmbeddings,
    model_type: 'bert',
    num_attention_heads: a.numHeads,
    num_hidden_layers: a.numLayers,
    pad_token_id: 0,
    position_embedding_type: 'absolute',
    transformers_version: '4.29.2',
    type_vocab_size: a.typeVocabSize,
    use_cache: true,
    vocab_size: a.vocabSize,
  }));
  await put(dir, 'tokenizer.json', JSON.stringify(bertTokenizerJson(vocab)));
  await put(dir, 'tokenizer_config.json', json(bertTokenizerConfigJson(512)));
  await buildBertGraph(a, { head: maskedLmHead(a.hiddenSize, a.vocabSize, a.layerNormEps) }).write(join(dir, 'onnx', 'model.onnx'), { seed, producer: 'pytorch' });
}

async function writeResNet(dir: string, seed: number): Promise<void> {
  const a = presetArchitectures('tiny').resnet;
  const labels = Array.from({ length: MIMIC_RESNET_LABELS }, (_, i) => `class ${i}`);
  await put(dir, 'config.json', json({
    _name_or_path: 'microsoft/resnet-50',
    architectures: ['ResNetForImageClassification'],
    depths: [...a.depths],
    downsample_in_first_stage: false,
    embedding_size: a.embeddingSize,
    hidden_act: 'relu',
    hidden_sizes: [...a.hiddenSizes],
    id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])),
    label2id: Object.fromEntries(labels.map((l, i) => [l, i])),
    layer_type: 'bottleneck',
    model_type: 'resnet',
    num_channels: a.numChannels,
    out_features: ['stage4'],
    out_indices: [4],
    stage_names: ['stem', 'stage1', 'stage2', 'stage3', 'stage4'],
    torch_dtype: 'float32',
    transformers_version: '4.33.0.dev0',
  }));
  await put(dir, 'preprocessor_config.json', json({
    crop_pct: 0.875,
    do_normalize: true,
    do_rescale: true,
    do_resize: true,
    feature_extractor_type: 'ConvNextFeatureExtractor',
    image_mean: [0.485, 0.456, 0.406],
    image_processor_type: 'ConvNextFeatureExtractor',
    image_std: [0.229, 0.224, 0.225],
    resample: 3,
    rescale_factor: 0.00392156862745098,
    size: { shortest_edge: 224 },
  }));
  const channels = a.hiddenSizes[a.hiddenSizes.length - 1];
  await buildResNetGraph(a, { head: imageClassificationHead(channels, MIMIC_RESNET_LABELS) }).write(join(dir, 'onnx', 'model.onnx'), { seed, producer: 'pytorch' });
}

async function writeWav2Vec2(dir: string, seed: number): Promise<void> {
  const a = presetArchitectures('tiny').wav2vec2;
  await put(dir, 'config.json', json({
    _name_or_path: 'facebook/wav2vec2-base-960h',
    activation_dropout: 0.1,
    apply_spec_augment: true,
    architectures: ['Wav2Vec2ForCTC'],
    attention_dropout: 0.1,
    bos_token_id: 1,
    codevector_dim: 256,
    contrastive_logits_temperature: 0.1,
    conv_bias: a.convBias,
    conv_dim: [...a.convDim],
    conv_kernel: [...a.convKernel],
    conv_stride: [...a.convStride],
    ctc_loss_reduction: 'sum',
    ctc_zero_infinity: false,
    diversity_loss_weight: 0.1,
    do_stable_layer_norm: false,
    eos_token_id: 2,
    feat_extract_activation: 'gelu',
    feat_extract_dropout: 0.0,
    feat_extract_norm: 'group',
    feat_proj_dropout: 0.1,
    feat_quantizer_dropout: 0.0,
    final_dropout: 0.1,
    gradient_checkpointing: false,
    hidden_act: 'gelu',
    hidden_dropout: 0.1,
    hidden_dropout_prob: 0.1,
    hidden_size: a.hiddenSize,
    initializer_range: 0.02,
    intermediate_size: a.intermediateSize,
    layer_norm_eps: a.layerNormEps,
    layerdrop: 0.1,
    mask_feature_length: 10,
    mask_feature_prob: 0.0,
    mask_time_length: 10,
    mask_time_prob: 0.05,
    model_type: 'wav2vec2',
    num_attention_heads: a.numHeads,
    num_codevector_groups: 2,
    num_codevectors_per_group: 320,
    num_conv_pos_embedding_groups: a.numConvPosEmbeddingGroups,
    num_conv_pos_embeddings: a.numConvPosEmbeddings,
    num_feat_extract_layers: a.convDim.length,
    num_hidden_layers: a.numLayers,
    num_negatives: 100,
    pad_token_id: 0,
    proj_codevector_dim: 256,
    transformers_version: '4.33.0.dev0',
    vocab_size: W2V_VOCAB.length,
  }));
  await put(dir, 'preprocessor_config.json', json({
    do_normalize: true,
    feature_extractor_type: 'Wav2Vec2FeatureExtractor',
    feature_size: 1,
    padding_side: 'right',
    padding_value: 0.0,
    return_attention_mask: false,
    sampling_rate: 16000,
  }));
  await put(dir, 'vocab.json', JSON.stringify(Object.fromEntries(W2V_VOCAB.map((t, i) => [t, i]))));
  await put(dir, 'tokenizer_config.json', json({
    bos_token: '<s>', do_lower_case: false, eos_token: '</s>', pad_token: '<pad>',
    tokenizer_class: 'Wav2Vec2CTCTokenizer', unk_token: '<unk>', word_delimiter_token: '|',
  }));
  await put(dir, 'special_tokens_map.json', json({ bos_token: '<s>', eos_token: '</s>', pad_token: '<pad>', unk_token: '<unk>' }));
  await buildWav2Vec2Graph(a, { head: ctcHead(a.hiddenSize, W2V_VOCAB.length) }).write(join(dir, 'onnx', 'model.onnx'), { seed, producer: 'pytorch' });
}

const WRITERS = Object.freeze({ text: writeBert, image: writeResNet, audio: writeWav2Vec2 });

/**
 * Writes the three mimic repos under `root` (`root/Xenova/bert-base-uncased/...`), each with the fp32
 * export and the dynamically quantized `onnx/model_quantized.onnx` the real repos ship. Deterministic:
 * the same seed gives the same bytes.
 *
 * @example
 * const models = await writeHubMimic('/tmp/hub');
 * models.text.files; // ['config.json', 'onnx/model.onnx', 'onnx/model_quantized.onnx', 'tokenizer.json', 'tokenizer_config.json']
 */
export async function writeHubMimic(root: string, { seed = 15 }: { seed?: number } = {}): Promise<Record<Modality, HubMimicModel>> {
  const out = {} as Record<Modality, HubMimicModel>;
  for (const modality of Object.keys(HUB_MIMIC_IDS) as Modality[]) {
    const id = HUB_MIMIC_IDS[modality];
    const dir = join(root, ...id.split('/'));
    await WRITERS[modality](dir, seed);
    await quantizeModelDir(dir);
    const files = {
      text: ['config.json', 'tokenizer.json', 'tokenizer_config.json'],
      image: ['config.json', 'preprocessor_config.json'],
      audio: ['config.json', 'preprocessor_config.json', 'special_tokens_map.json', 'tokenizer_config.json', 'vocab.json'],
    }[modality];
    out[modality] = { id, dir, files: [...files, 'onnx/model.onnx', `onnx/${QUANTIZED_ONNX_FILE}`].sort() };
  }
  return out;
}

export interface HubMimic {
  /** Base URL, e.g. `http://127.0.0.1:43121`: use as `HF_ENDPOINT`, `remoteHost` or `--mirror`. */
  url: string;
  /** Request paths in arrival order (redirect targets included). */
  requests: string[];
  stop(): Promise<void>;
}

export interface HubMimicOptions {
  /** Cut this file (matched by path suffix) off halfway through its body. */
  breakFile?: string;
  /** Revisions that exist (default ['main']). */
  revisions?: readonly string[];
  /** Port on 127.0.0.1 (default 0: one the OS picks). */
  port?: number;
}

/**
 * Serves `root/<org>/<name>/<file>` at `/<org>/<name>/resolve/<revision>/<file>` on 127.0.0.1 and a
 * port the OS picks, in the hub's manner.
 *
 * @example
 * const hub = await startHubMimic('/tmp/hub');
 * await pullModel('Xenova/resnet-50', { modelsDir: '/tmp/cache', remoteHost: hub.url });
 * await hub.stop();
 */
export async function startHubMimic(root: string, { breakFile, revisions = ['main'], port: wanted = 0 }: HubMimicOptions = {}): Promise<HubMimic> {
  const requests: string[] = [];
  const commit = createHash('sha1').update(root).digest('hex');
  const send = (res: import('node:http').ServerResponse, file: string, path: string) => {
    const body = readFileSync(file);
    res.writeHead(200, {
      'content-length': body.length,
      'content-type': 'application/octet-stream',
      etag: `"${createHash('sha256').update(body).digest('hex')}"`,
      'x-repo-commit': commit,
    });
    if (breakFile && path.endsWith(breakFile)) {
      res.write(body.subarray(0, body.length >> 1), () => res.destroy());
      return;
    }
    res.end(body);
  };
  const server: Server = createServer((req, res) => {
    const url = decodeURIComponent((req.url ?? '').split('?')[0]);
    requests.push(url);
    const lfs = /^\/cdn-lfs\/([^/]+\/[^/]+)\/(.+)$/.exec(url);
    if (lfs) return send(res, join(root, lfs[1], lfs[2]), url);
    const m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url);
    const notFound = (code: string, text: string, status = 404) => res.writeHead(status, { 'x-error-code': code, 'content-type': 'text/plain' }).end(text);
    // An unknown repo is a 401 to anonymous clients on huggingface.co, not a 404.
    if (!m || !existsSync(join(root, m[1], 'config.json'))) return void notFound('RepoNotFound', 'Repository not found', 401);
    if (!revisions.includes(m[2])) return void notFound('RevisionNotFound', 'Invalid rev id');
    const file = join(root, m[1], m[3]);
    if (m[3].includes('..') || !existsSync(file) || !statSync(file).isFile()) return void notFound('EntryNotFound', 'Entry not found');
    // The hub keeps ONNX weights in LFS and redirects their downloads to its CDN.
    if (m[3].endsWith('.onnx')) return void res.writeHead(302, { location: `/cdn-lfs/${m[1]}/${m[3]}`, 'x-repo-commit': commit }).end();
    send(res, file, url);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(wanted, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
