import { stat } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import sharp, { type Sharp } from 'sharp';
import { EncodeInputError, ModelLoadError } from '../src/core/errors/index.js';
import { BaseEncoder, describeMedia, type BaseEncoderParams, type Unit } from './base.js';
import type { ImageInput, RawImage } from './types.js';

/** Resampling filters by their PIL number, as `preprocessor_config.json` gives them. */
const KERNELS = Object.freeze({
  0: 'nearest',
  1: 'lanczos3',
  2: 'linear',
  3: 'cubic',
  // sharp has no box/hamming filter; its antialiased linear kernel is the closest on downscaling.
  4: 'linear',
  5: 'linear',
} as const);

/**
 * The preprocessing a `preprocessor_config.json` asks for, resolved once per encoder.
 * `resize.shortestEdge` scales the shorter side to that length keeping the aspect ratio.
 */
export interface ImagePreprocessing {
  resize: { shortestEdge: number; maxSize?: number } | { width: number; height: number } | null;
  crop: { width: number; height: number } | null;
  kernel: (typeof KERNELS)[keyof typeof KERNELS];
  rescale: number;
  mean: [number, number, number];
  std: [number, number, number];
  /** Where transparent pixels end up: alpha is composited onto this colour. */
  background: { r: number; g: number; b: number };
}

const WHITE = Object.freeze({ r: 255, g: 255, b: 255 });

/**
 * Reads `preprocessor_config.json` the way transformers (Python and JS) do: ConvNext-style processors
 * (ResNet's) resize the shortest edge to `floor(shortest_edge / crop_pct)` then centre-crop
 * `shortest_edge` (below 384; at 384 and above they resize straight to a square); other processors
 * use `size` (`shortest_edge`, `{height, width}` or a number) and `do_center_crop`/`crop_size`.
 *
 * @example
 * parseImagePreprocessing({ image_processor_type: 'ConvNextImageProcessor', size: { shortest_edge: 224 }, crop_pct: 0.875, resample: 3,
 *   image_mean: [0.485, 0.456, 0.406], image_std: [0.229, 0.224, 0.225], do_normalize: true });
 * // → resize shortest edge 256 (bicubic), crop 224×224
 */
export function parseImagePreprocessing(cfg: Record<string, unknown>, model = '<model>'): ImagePreprocessing {
  const type = String(cfg.image_processor_type ?? cfg.feature_extractor_type ?? '');
  const size = (cfg.size ?? cfg.image_size) as number | { shortest_edge?: number; longest_edge?: number; width?: number; height?: number } | undefined;
  const resample = Number(cfg.resample ?? 2);
  const kernel = KERNELS[resample as keyof typeof KERNELS];
  if (!kernel) throw new ModelLoadError(model, 'preprocessor_config.json', `unsupported resample ${resample}`);
  const triple = (v: unknown, dflt: number): [number, number, number] =>
    Array.isArray(v) ? [Number(v[0]), Number(v[1]), Number(v[2])] : typeof v === 'number' ? [v, v, v] : [dflt, dflt, dflt];
  const normalize = cfg.do_normalize !== false;
  const out: ImagePreprocessing = {
    resize: null,
    crop: null,
    kernel,
    rescale: cfg.do_rescale === false ? 1 : Number(cfg.rescale_factor ?? 1 / 255),
    mean: normalize ? triple(cfg.image_mean ?? cfg.mean, 0) : [0, 0, 0],
    std: normalize ? triple(cfg.image_std ?? cfg.std, 1) : [1, 1, 1],
    background: WHITE,
  };
  const doResize = cfg.do_resize !== false && size !== undefined;
  if (/ConvNext/i.test(type)) {
    const se = typeof size === 'number' ? size : size?.shortest_edge;
    if (se === undefined) throw new ModelLoadError(model, 'preprocessor_config.json', 'ConvNext processor needs size.shortest_edge');
    if (!doResize) return out;
    const cropPct = Number(cfg.crop_pct ?? 224 / 256);
    if (se < 384) {
      out.resize = { shortestEdge: Math.floor(se / cropPct) };
      out.crop = { width: se, height: se };
    } else {
      out.resize = { width: se, height: se };
    }
    return out;
  }
  if (doResize) {
    if (typeof size === 'number') out.resize = { shortestEdge: size, maxSize: cfg.max_size === undefined ? undefined : Number(cfg.max_size) };
    else if (size?.shortest_edge !== undefined) out.resize = { shortestEdge: size.shortest_edge, maxSize: size.longest_edge };
    else if (size?.width !== undefined && size.height !== undefined) out.resize = { width: size.width, height: size.height };
    else throw new ModelLoadError(model, 'preprocessor_config.json', `unsupported size ${JSON.stringify(size)}`);
  }
  if (cfg.do_center_crop) {
    const c = cfg.crop_size as number | { width: number; height: number } | undefined;
    if (c === undefined) throw new ModelLoadError(model, 'preprocessor_config.json', 'do_center_crop without crop_size');
    out.crop = typeof c === 'number' ? { width: c, height: c } : { width: c.width, height: c.height };
  }
  return out;
}

/** Output size of a shortest-edge resize, rounded as transformers does (`floor` of the 2-decimal value). */
export function resizedSize(width: number, height: number, resize: NonNullable<ImagePreprocessing['resize']>): { width: number; height: number } {
  if (!('shortestEdge' in resize)) return resize;
  const f = Math.max(resize.shortestEdge / width, resize.shortestEdge / height);
  let w = width * f;
  let h = height * f;
  if (resize.maxSize !== undefined) {
    const g = Math.min(1, resize.maxSize / w, resize.maxSize / h);
    w *= g;
    h *= g;
  }
  return { width: Math.max(1, Math.floor(Number(w.toFixed(2)))), height: Math.max(1, Math.floor(Number(h.toFixed(2)))) };
}

function isRawImage(x: unknown): x is RawImage {
  return typeof x === 'object' && x !== null && !(x instanceof Uint8Array) && 'data' in x && 'width' in x && 'height' in x;
}

/** A decoded, resized, cropped 8-bit RGB image (HWC), before rescaling and normalising. */
export interface PreparedPixels {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * Decodes any image sharp reads, applies EXIF orientation, converts grayscale / CMYK / 16-bit /
 * alpha to 8-bit sRGB RGB (alpha composited onto `background`), then resizes and centre-crops as
 * `pre` says. Resizing uses sharp's antialiased kernels (`cubic` is Catmull-Rom, PIL's BICUBIC),
 * which is what the Python processors the models were trained with do.
 *
 * @example
 * const px = await decodeImage('cat.jpg', parseImagePreprocessing(config)); // 224×224×3
 */
export async function decodeImage(input: ImageInput, pre: ImagePreprocessing): Promise<PreparedPixels> {
  const name = describeMedia(input);
  const fail = (reason: string, cause?: unknown) => new EncodeInputError(name, 'image', reason, { cause });
  let img: Sharp;
  let width: number;
  let height: number;
  try {
    if (typeof input === 'string') {
      const st = await stat(input).catch((err: NodeJS.ErrnoException) => {
        throw fail(err.code === 'ENOENT' ? 'no such file' : `cannot read it (${err.code ?? err.message})`, err);
      });
      if (!st.isFile()) throw fail('is not a file');
    }
    // Pass 1: decode to 8-bit sRGB RGB (orientation applied, alpha flattened), so every format,
    // bit depth and colour space is resized from the same kind of pixels, as PIL's convert('RGB') does.
    let source: Sharp | null;
    if (isRawImage(input)) {
      const { data, width: w, height: h, channels } = input;
      if (!(channels === 3 || channels === 4) || !(data instanceof Uint8Array) || data.length !== w * h * channels) {
        throw fail(`raw image needs ${w}×${h}×${channels} = ${w * h * channels} bytes with 3 or 4 channels, got ${data?.length} bytes`);
      }
      source = channels === 3 ? null : sharp(data, { raw: { width: w, height: h, channels } });
      img = sharp(data, { raw: { width: w, height: h, channels } });
    } else if (typeof input === 'string' || input instanceof Uint8Array) {
      source = sharp(input, { failOn: 'error', autoOrient: true });
      img = source;
    } else {
      throw fail(`expected a file path, encoded bytes or a RawImage, got ${typeof input}`);
    }
    if (source) {
      const { data, info } = await source
        .flatten({ background: pre.background })
        .toColourspace('srgb')
        .removeAlpha()
        .raw({ depth: 'uchar' })
        .toBuffer({ resolveWithObject: true });
      if (info.channels !== 3) throw fail(`decoded to ${info.channels} channels, expected 3`);
      img = sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } });
      width = info.width;
      height = info.height;
    } else {
      width = (input as RawImage).width;
      height = (input as RawImage).height;
    }
    if (pre.resize) {
      const size = resizedSize(width, height, pre.resize);
      if (size.width !== width || size.height !== height) {
        img = img.resize({ width: size.width, height: size.height, fit: 'fill', kernel: pre.kernel });
      }
      width = size.width;
      height = size.height;
    }
    if (pre.crop) {
      const { width: cw, height: ch } = pre.crop;
      if (cw > width || ch > height) {
        // Smaller than the crop: pad evenly with the background, as transformers' center_crop does.
        const left = Math.max(0, Math.floor((cw - width) / 2));
        const top = Math.max(0, Math.floor((ch - height) / 2));
        // sharp runs extract before extend within one pipeline, so the padded image is materialised first.
        const padded = await img
          .removeAlpha()
          .extend({ left, top, right: Math.max(0, cw - width - left), bottom: Math.max(0, ch - height - top), background: pre.background })
          .raw({ depth: 'uchar' })
          .toBuffer();
        width = Math.max(width, cw);
        height = Math.max(height, ch);
        img = sharp(padded, { raw: { width, height, channels: 3 } });
      }
      img = img.extract({ left: Math.floor((width - cw) / 2), top: Math.floor((height - ch) / 2), width: cw, height: ch });
      width = cw;
      height = ch;
    }
    const { data, info } = await img.removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw fail(`decoded to ${info.channels} channels, expected 3`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  } catch (err) {
    if (err instanceof EncodeInputError) throw err;
    const msg = (err as Error).message ?? String(err);
    if (/unsupported image format|Input buffer contains unsupported|bad seek|not a known file format/i.test(msg)) {
      throw fail('is not an image sharp can decode (JPEG, PNG, WebP, GIF, TIFF, AVIF, HEIF, SVG)', err);
    }
    throw fail(`cannot decode it: ${msg}`, err);
  }
}

/**
 * Rescales and normalises HWC bytes into one image's slot of an NCHW float tensor, via a
 * 256-entry table per channel (the same arithmetic transformers does, done once per byte value).
 */
export function normalizeInto(px: PreparedPixels, pre: ImagePreprocessing, out: Float32Array, offset: number): void {
  const plane = px.width * px.height;
  for (let c = 0; c < 3; c++) {
    const lut = new Float32Array(256);
    for (let v = 0; v < 256; v++) lut[v] = (Math.fround(v * pre.rescale) - pre.mean[c]) / pre.std[c];
    const dst = offset + c * plane;
    for (let i = 0; i < plane; i++) out[dst + i] = lut[px.data[i * 3 + c]];
  }
}

export interface ImageEncoderParams extends Omit<BaseEncoderParams<'image'>, 'modality' | 'prepareMode' | 'exactSizeBatches' | 'prepareConcurrency'> {
  preprocessing: ImagePreprocessing;
}

/**
 * ResNet-style image encoder: sharp decoding and preprocessing (overlapping the previous batch's
 * inference), one NCHW batch per run, `pooler_output` `[B, C, 1, 1]` → C.
 */
export class ImageEncoder extends BaseEncoder<'image', PreparedPixels> {
  readonly #pre: ImagePreprocessing;
  readonly #output: string;
  readonly #input: string;

  constructor({ preprocessing, ...p }: ImageEncoderParams) {
    super({ ...p, modality: 'image', prepareMode: 'chunk', exactSizeBatches: true, prepareConcurrency: 4 });
    this.#pre = preprocessing;
    this.#input = p.session.inputNames.includes('pixel_values') ? 'pixel_values' : p.session.inputNames[0];
    this.#output = p.session.outputNames.includes('pooler_output') ? 'pooler_output' : p.session.outputNames[0];
  }

  protected describe(input: ImageInput): string {
    return describeMedia(input);
  }

  protected async prepare(input: ImageInput): Promise<Unit<PreparedPixels>[]> {
    const px = await decodeImage(input, this.#pre);
    // Same-size images batch together; with a crop every image has the same size anyway.
    return [{ payload: px, weight: 1, size: px.width * 100_000 + px.height }];
  }

  protected async run(images: readonly PreparedPixels[]): Promise<Float32Array[]> {
    const { width, height } = images[0];
    const plane = 3 * width * height;
    const pixels = new Float32Array(images.length * plane);
    images.forEach((px, i) => normalizeInto(px, this.#pre, pixels, i * plane));
    const out = await this.session.run({ [this.#input]: new ort.Tensor('float32', pixels, [images.length, 3, height, width]) }, [this.#output]);
    const t = out[this.#output];
    try {
      const data = t.data as Float32Array;
      const [b, c] = t.dims;
      // pooler_output is [B, C, 1, 1]; a bare feature map [B, C, H, W] is average-pooled the same way.
      const spatial = t.dims.slice(2).reduce((a, d) => a * d, 1);
      return Array.from({ length: b }, (_, i) => {
        const v = new Float32Array(c);
        for (let k = 0; k < c; k++) {
          let s = 0;
          const base = (i * c + k) * spatial;
          for (let j = 0; j < spatial; j++) s += data[base + j];
          v[k] = s / spatial;
        }
        return v;
      });
    } finally {
      t.dispose?.();
    }
  }
}
