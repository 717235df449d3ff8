import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AutoProcessor, env, RawImage as HfRawImage } from '@huggingface/transformers';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEncoder, EmbedBatchError, EncodeInputError, type Encoder } from 'mmalign';
import { decodeImage, normalizeInto, parseImagePreprocessing, resizedSize, type ImagePreprocessing } from '../../encoders/image.js';
import { makeImages, maxDiff, norm, type ImageFixtures } from '../helpers/encoder-media.js';
import { sharedTempDir } from '../helpers/tmp.js';

const MODELS = fileURLToPath(new URL('../../fixtures/models', import.meta.url));
const MODEL = 'mmalign/tiny-resnet';
const quiet = { warn: () => undefined };

let enc: Encoder<'image'>;
const dir = sharedTempDir('image');
let img: ImageFixtures;
let pre: ImagePreprocessing;

beforeAll(async () => {
  [enc, img] = await Promise.all([createEncoder('image', { model: MODEL, modelsDir: MODELS, device: 'cpu', logger: quiet }), makeImages(dir)]);
  pre = parseImagePreprocessing(JSON.parse(await readFile(join(MODELS, MODEL, 'preprocessor_config.json'), 'utf8')));
});
afterAll(async () => {
  await enc?.dispose();
});

/** The normalised NCHW tensor of one image, as the encoder would feed it. */
async function pixelValues(input: Parameters<typeof decodeImage>[0]): Promise<Float32Array> {
  const px = await decodeImage(input, pre);
  const out = new Float32Array(3 * px.width * px.height);
  normalizeInto(px, pre, out, 0);
  return out;
}

/** transformers.js's own preprocessing of a file, for comparison. */
async function referencePixels(file: string): Promise<Float32Array> {
  env.localModelPath = MODELS;
  env.allowRemoteModels = false;
  const processor = await AutoProcessor.from_pretrained(MODEL);
  const ref = await processor(await HfRawImage.read(file));
  expect(ref.pixel_values.dims).toEqual([1, 3, 224, 224]);
  return ref.pixel_values.data as Float32Array;
}

describe('image preprocessing', () => {
  it('reads the ResNet preprocessor config as resize-to-256 then centre-crop 224, bicubic', () => {
    expect(pre.resize).toEqual({ shortestEdge: 256 });
    expect(pre.crop).toEqual({ width: 224, height: 224 });
    expect(pre.kernel).toBe('cubic');
    expect(pre.mean).toEqual([0.485, 0.456, 0.406]);
  });

  it('sizes a shortest-edge resize as transformers does', () => {
    expect(resizedSize(320, 240, { shortestEdge: 256 })).toEqual({ width: 341, height: 256 });
    expect(resizedSize(240, 320, { shortestEdge: 256 })).toEqual({ width: 256, height: 341 });
    expect(resizedSize(1000, 10, { shortestEdge: 20, maxSize: 500 })).toEqual({ width: 500, height: 5 });
  });

  it('crops and normalises exactly as the transformers.js AutoProcessor does', async () => {
    // An image already at the resize target (341×256), so neither side resamples: what remains is
    // the crop offsets, channel order, rescale and mean/std, which must agree to float precision.
    const atSize = join(dir, 'at-size.png');
    await sharp(img.png).resize({ width: 341, height: 256, fit: 'fill' }).png().toFile(atSize);
    const theirs = await referencePixels(atSize);
    expect(maxDiff(await pixelValues(atSize), theirs)).toBeLessThan(1e-5);
  });

  it('resizes within two 8-bit levels on average of the transformers.js AutoProcessor', async () => {
    // transformers.js resamples with sharp's affine (top-left-aligned grid, no antialias); we use
    // sharp's resize (centre-aligned, antialiased Catmull-Rom), which is what PIL's BICUBIC in the
    // Python processor does. The grids are offset by a fraction of a pixel, hence a small
    // difference that is not zero.
    const theirs = await referencePixels(img.png);
    const ours = await pixelValues(img.png);
    const oneLevel = 1 / 255 / 0.224;
    let sum = 0;
    for (let i = 0; i < ours.length; i++) sum += Math.abs(ours[i] - theirs[i]);
    expect(sum / ours.length).toBeLessThan(2 * oneLevel);
    expect(maxDiff(ours, theirs)).toBeLessThan(10 * oneLevel);
  });

  it('honours EXIF orientation', async () => {
    const rotated = await decodeImage(img.exifRotated, { ...pre, resize: null, crop: null });
    expect([rotated.width, rotated.height]).toEqual([160, 320]);
    expect(maxDiff(await pixelValues(img.exifRotated), await pixelValues(img.rotatedPng))).toBe(0);
  });

  it('reads a 16-bit PNG as the 8-bit image it scales down to', async () => {
    expect(maxDiff(await pixelValues(img.png16), await pixelValues(img.png))).toBe(0);
  });

  it('reads a grayscale PNG as RGB with equal channels', async () => {
    expect(maxDiff(await pixelValues(img.gray), await pixelValues(img.grayAsRgb))).toBe(0);
  });

  it('composites transparent pixels onto white', async () => {
    expect(maxDiff(await pixelValues(img.transparent), await pixelValues(img.white))).toBe(0);
  });

  it('converts a CMYK JPEG to sRGB close to the RGB original', async () => {
    const cmyk = await decodeImage(img.cmykJpeg, pre);
    const rgb = await decodeImage(img.png, pre);
    let sum = 0;
    for (let i = 0; i < rgb.data.length; i++) sum += Math.abs(cmyk.data[i] - rgb.data[i]);
    // A CMYK round trip through ICC profiles and JPEG shifts colours a little, not wholesale.
    expect(sum / rgb.data.length).toBeLessThan(20);
  });

  it('decodes a path, a Buffer and raw RGB / RGBA pixels of the same image to the same tensor', async () => {
    const fromPath = await pixelValues(img.png);
    expect(maxDiff(await pixelValues(await readFile(img.png)), fromPath)).toBe(0);
    expect(maxDiff(await pixelValues(img.raw), fromPath)).toBe(0);
    const rgba = new Uint8Array(img.raw.width * img.raw.height * 4);
    for (let i = 0; i < img.raw.width * img.raw.height; i++) {
      rgba.set(img.raw.data.subarray(i * 3, i * 3 + 3), i * 4);
      rgba[i * 4 + 3] = 255;
    }
    expect(maxDiff(await pixelValues({ data: rgba, width: img.raw.width, height: img.raw.height, channels: 4 }), fromPath)).toBe(0);
  });

  it('pads an image smaller than the crop instead of failing', async () => {
    const tiny = await sharp({ create: { width: 10, height: 8, channels: 3, background: '#808080' } }).png().toBuffer();
    const px = await decodeImage(tiny, { ...pre, resize: null });
    expect([px.width, px.height]).toEqual([224, 224]);
  });
});

describe('image encoder', () => {
  it('embeds JPEG, PNG, 16-bit PNG, CMYK JPEG, WebP, grayscale and RGBA into 256-d unit vectors', async () => {
    const inputs = [img.jpeg, img.png, img.png16, img.cmykJpeg, img.webp, img.gray, img.rgba, img.raw, await readFile(img.jpeg)];
    const out = await enc.embed(inputs);
    expect(out).toHaveLength(inputs.length);
    for (const v of out) {
      expect(v.length).toBe(256);
      expect(norm(v)).toBeCloseTo(1, 5);
    }
    expect(enc.nativeDims()).toBe(256);
  });

  it('gives the same vectors in a batch as one image at a time', async () => {
    const inputs = [img.jpeg, img.webp, img.gray, img.exifRotated, img.rgba];
    const small = await createEncoder('image', { model: MODEL, modelsDir: MODELS, device: 'cpu', logger: quiet, batchSize: 2 });
    try {
      const batch = await small.embed(inputs);
      for (let i = 0; i < inputs.length; i++) {
        const [single] = await enc.embed([inputs[i]]);
        expect(maxDiff(batch[i], single)).toBeLessThan(1e-5);
      }
    } finally {
      await small.dispose();
    }
  });

  it('gives the same vectors whether decoding overlaps inference or not', async () => {
    const inputs = [img.jpeg, img.webp, img.gray, img.png, img.rgba];
    const make = (overlapDecode: boolean) => createEncoder('image', { model: MODEL, modelsDir: MODELS, device: 'cpu', logger: quiet, batchSize: 2, overlapDecode });
    const [overlapped, inTurn] = await Promise.all([make(true), make(false)]);
    try {
      const [a, b] = [await overlapped.embed(inputs), await inTurn.embed(inputs)];
      a.forEach((v, i) => expect(maxDiff(v, b[i])).toBeLessThan(1e-5));
    } finally {
      await overlapped.dispose();
      await inTurn.dispose();
    }
  });

  it('names a missing file in its error', async () => {
    const missing = join(dir, 'nope.jpg');
    const [o] = await enc.embedSettled([missing]);
    expect(o.ok).toBe(false);
    const e = !o.ok ? o.error : null;
    expect(e).toBeInstanceOf(EncodeInputError);
    expect(e!.message).toContain(missing);
    expect(e!.message).toMatch(/no such file/);
  });

  it('names a file that is not an image in its error', async () => {
    const [o] = await enc.embedSettled([img.notAnImage]);
    expect(!o.ok && o.error.message).toMatch(/not-an-image\.jpg.*not an image/);
  });

  it('embeds the good images of a batch when one is bad', async () => {
    const err = (await enc.embed([img.jpeg, img.notAnImage, img.png]).catch((e: unknown) => e)) as EmbedBatchError;
    expect(err).toBeInstanceOf(EmbedBatchError);
    expect(err.failures.map((f) => f.index)).toEqual([1]);
    const [png] = await enc.embed([img.png]);
    expect(maxDiff(err.results[2]!, png)).toBeLessThan(1e-5);
  });
});
