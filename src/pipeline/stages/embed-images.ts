/**
 * Image embedding while the frames are sampled: the frames stage hands each new frame here and it
 * is embedded in batches of the encoder's batch size while ffmpeg keeps decoding. At most two
 * batches wait besides the one being embedded; beyond that `add` waits, which pauses ffmpeg (see
 * `maxPending` of the sampler). So the JPEG bytes in memory are bounded by the batch size, not by
 * the length of the video; only the vectors (1 KiB per frame) are kept until export.
 *
 * Only frames that can be paired are embedded: those within the pairing threshold of a cue with
 * text (a superset of the frames the align stage pairs), each distinct image once (by sha1), and
 * none whose vector the previous run in DIR already has for the same model and heads.
 */
import { ENCODER_DEFAULTS } from '../../core/defaults.js';
import type { Cue } from '../../core/types.js';
import type { Encoder } from '../../../encoders/types.js';
import { cachedFor, headsVersion, type EmbeddingCache } from '../embedding-cache.js';
import type { StageContext } from '../types.js';
import type { EmbedModels } from './embed.js';

/** The outcome for one distinct image. */
export interface StreamedImage {
  /** Null when the encoder could not embed it (`error` says why). */
  vector: Float32Array | null;
  error?: string;
  /** Taken from the previous run's vectors. */
  cached: boolean;
}

/** What the stream produced, for the embed stage to assemble rows from. */
export interface StreamedImages {
  /** By frame sha1. */
  bySha1: ReadonlyMap<string, StreamedImage>;
  /** The model, heads and device of the vectors; null when no frame needed the encoder. */
  model: { model: string; heads: string | null; device: string } | null;
}

export interface ImageStream {
  /** Hands over one sampled frame; resolves once it is queued (waits while the queue is full). */
  add(frame: { time: number; sha1: string }, jpeg: Buffer): Promise<void>;
  /** Embeds what is still queued, releases the encoder and returns the vectors. */
  finish(): Promise<StreamedImages>;
  /** Releases the encoder without finishing (the run failed). */
  dispose(): Promise<void>;
}

export interface ImageStreamInput {
  models: EmbedModels;
  cache: EmbeddingCache | null;
  /** Whether a frame at this time can be paired at all; see {@link nearCueWithText}. */
  wanted: (time: number) => boolean;
  /** Frames per encoder call. Default: the image encoder's batch size. */
  batch?: number;
}

/**
 * Whether a time lies within `threshold` of a cue with text: true for every frame the align stage
 * can pair (nearest-cue or cue-mode), and for few others.
 *
 * @example
 * const near = nearCueWithText([{ index: 1, start: 1, end: 2, text: 'Hi' }], 0.5);
 * near(2.4); // true
 * near(3); // false
 */
export function nearCueWithText(cues: readonly Cue[], threshold: number): (time: number) => boolean {
  // A margin over the threshold: alignment compares differences, this compares sums; never be the stricter one.
  const margin = threshold + 1e-6;
  const spans = cues.filter((c) => c.text.trim() !== '').map((c) => [c.start - margin, c.end + margin] as const);
  spans.sort((a, b) => a[0] - b[0]);
  const lo: number[] = [];
  const hi: number[] = [];
  for (const [s, e] of spans) {
    if (lo.length > 0 && s <= hi[hi.length - 1]) hi[hi.length - 1] = Math.max(hi[hi.length - 1], e);
    else {
      lo.push(s);
      hi.push(e);
    }
  }
  return (t) => {
    let a = 0;
    let b = lo.length;
    while (a < b) {
      const mid = (a + b) >> 1;
      if (lo[mid] <= t) a = mid + 1;
      else b = mid;
    }
    return a > 0 && t <= hi[a - 1];
  };
}

/**
 * Starts an image stream; the encoder is created at the first frame that needs it.
 *
 * @example
 * const images = imageStream({ models, cache, wanted: nearCueWithText(cues, 0.5) }, ctx);
 * // frames stage: await images.add({ time, sha1 }, jpeg) per frame
 * const streamed = await images.finish();
 */
export function imageStream({ models, cache, wanted, batch = ENCODER_DEFAULTS.batchSize.image }: ImageStreamInput, ctx: StageContext): ImageStream {
  const bySha1 = new Map<string, StreamedImage>();
  const seen = new Set<string>();
  let queue: { sha1: string; jpeg: Buffer }[] = [];
  let running: Promise<void> | null = null;
  let failure: { error: unknown } | null = null;
  let encoder: Promise<Encoder> | null = null;
  let model: StreamedImages['model'] = null;
  let cached: Map<string, Float32Array> | null = null;
  const logger = { warn: (m: string) => ctx.warnings.push({ message: m }), info: ctx.log };

  const getEncoder = () =>
    (encoder ??= models.create('image', { modelsDir: models.modelsDir, device: models.device, heads: models.heads, logger }).then((enc) => {
      model = { model: enc.modelId, heads: headsVersion(enc), device: enc.device };
      // Vectors of an earlier run are reused only for the same content, model and heads.
      cached = cachedFor(cache, 'image', model);
      return enc;
    }));
  const embedBatch = async (items: readonly { sha1: string; jpeg: Buffer }[]) => {
    ctx.signal?.throwIfAborted();
    const outcomes = await (await getEncoder()).embedSettled(items.map((i) => i.jpeg));
    outcomes.forEach((o, j) => bySha1.set(items[j].sha1, o.ok ? { vector: o.vector, cached: false } : { vector: null, error: o.error.message, cached: false }));
  };
  const pump = () => {
    if (running || failure || queue.length < batch) return;
    const items = queue.splice(0, batch);
    running = embedBatch(items)
      .catch((error: unknown) => {
        failure = { error };
      })
      .finally(() => {
        running = null;
        pump();
      });
  };
  const check = () => {
    if (failure) throw failure.error;
  };
  const dispose = async () => {
    await running;
    queue = [];
    const enc = await encoder?.catch(() => null);
    encoder = null;
    await enc?.dispose();
  };

  return {
    async add(frame, jpeg) {
      check();
      if (seen.has(frame.sha1) || !wanted(frame.time)) return;
      seen.add(frame.sha1);
      await getEncoder();
      const hit = cached?.get(`image\u0000${frame.sha1}`);
      if (hit) {
        bySha1.set(frame.sha1, { vector: hit, cached: true });
        return;
      }
      // Two batches may wait besides the one being embedded; more waits here, and so does ffmpeg.
      while (queue.length >= 2 * batch && running) await running;
      check();
      queue.push({ sha1: frame.sha1, jpeg });
      pump();
    },
    async finish() {
      try {
        while (running) await running;
        check();
        while (queue.length > 0) await embedBatch(queue.splice(0, batch));
        return { bySha1, model };
      } finally {
        await dispose();
      }
    },
    dispose,
  };
}
