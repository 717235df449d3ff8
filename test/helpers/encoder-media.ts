/**
 * Small test media made on the fly with sharp and ffmpeg, so no binary fixtures are committed and
 * every variant (16-bit, CMYK, EXIF-rotated, …) is known pixel for pixel.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { defaultBinary } from '../../src/core/ffmpeg/index.js';

const run = promisify(execFile);

/** A smooth colour gradient with some structure: resize kernels agree closely on it. */
export function gradient(width: number, height: number): Buffer {
  const px = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      px[i] = Math.round((255 * x) / (width - 1));
      px[i + 1] = Math.round((255 * y) / (height - 1));
      px[i + 2] = Math.round(127.5 + 127.5 * Math.sin((x + y) / 23));
    }
  }
  return px;
}

export interface ImageFixtures {
  /** 8-bit RGB PNG of the gradient, 320×240, and its raw pixels. */
  png: string;
  raw: { data: Uint8Array; width: number; height: number; channels: 3 };
  jpeg: string;
  png16: string;
  cmykJpeg: string;
  webp: string;
  gray: string;
  /** The gray PNG's pixels written as RGB (every channel equal). */
  grayAsRgb: string;
  rgba: string;
  /** Fully transparent RGBA PNG, and an opaque white PNG of the same size. */
  transparent: string;
  white: string;
  /** A JPEG stored 320×160 with EXIF orientation 6, and the same pixels physically rotated (PNG). */
  exifRotated: string;
  rotatedPng: string;
  notAnImage: string;
}

export async function makeImages(dir: string): Promise<ImageFixtures> {
  const w = 320;
  const h = 240;
  const data = gradient(w, h);
  const raw = { width: w, height: h, channels: 3 as const };
  const img = () => sharp(data, { raw });
  const f = (name: string) => join(dir, name);
  await img().png().toFile(f('g.png'));
  await img().jpeg({ quality: 90 }).toFile(f('g.jpg'));
  // 16-bit: each 8-bit value v becomes v * 257, which maps back to exactly v.
  const wide = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) wide[i] = data[i] * 257;
  // sharp takes the sample depth from the typed array's type.
  await sharp(wide, { raw }).toColourspace('rgb16').png().toFile(f('g16.png'));
  await img().toColourspace('cmyk').jpeg({ quality: 95 }).toFile(f('cmyk.jpg'));
  await img().webp({ quality: 90 }).toFile(f('g.webp'));
  const grayPx = Buffer.alloc(w * h);
  for (let i = 0; i < grayPx.length; i++) grayPx[i] = data[i * 3 + 2];
  await sharp(grayPx, { raw: { width: w, height: h, channels: 1 } }).png().toFile(f('gray.png'));
  const grayRgb = Buffer.alloc(w * h * 3);
  for (let i = 0; i < grayPx.length; i++) grayRgb.fill(grayPx[i], i * 3, i * 3 + 3);
  await sharp(grayRgb, { raw }).png().toFile(f('gray-rgb.png'));
  await img().ensureAlpha(0.5).png().toFile(f('rgba.png'));
  await sharp({ create: { width: w, height: h, channels: 4, background: { r: 10, g: 20, b: 30, alpha: 0 } } }).png().toFile(f('transparent.png'));
  await sharp({ create: { width: w, height: h, channels: 3, background: '#ffffff' } }).png().toFile(f('white.png'));
  const stored = gradient(320, 160);
  await sharp(stored, { raw: { width: 320, height: 160, channels: 3 } }).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toFile(f('exif6.jpg'));
  await sharp(f('exif6.jpg')).rotate().png().toFile(f('rotated.png'));
  await writeFile(f('not-an-image.jpg'), 'this is a text file pretending to be a JPEG\n');
  return {
    png: f('g.png'),
    raw: { data: new Uint8Array(data), ...raw },
    jpeg: f('g.jpg'),
    png16: f('g16.png'),
    cmykJpeg: f('cmyk.jpg'),
    webp: f('g.webp'),
    gray: f('gray.png'),
    grayAsRgb: f('gray-rgb.png'),
    rgba: f('rgba.png'),
    transparent: f('transparent.png'),
    white: f('white.png'),
    exifRotated: f('exif6.jpg'),
    rotatedPng: f('rotated.png'),
    notAnImage: f('not-an-image.jpg'),
  };
}

/** A deterministic chirp-plus-harmonics signal (not silence, not a pure tone), mono. */
export function tone(seconds: number, rate = 16_000): Float32Array {
  const n = Math.round(seconds * rate);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    out[i] = 0.4 * Math.sin(2 * Math.PI * (220 + 60 * t) * t) + 0.2 * Math.sin(2 * Math.PI * 660 * t) + 0.05 * Math.sin(2 * Math.PI * 3 * t);
  }
  return out;
}

export interface AudioFixtures {
  /** float32 WAV at 16 kHz mono holding exactly `samples`. */
  wav: string;
  samples: Float32Array;
  mp3: string;
  ogg: string;
  /** 44.1 kHz stereo 16-bit WAV. */
  wav44: string;
  notAudio: string;
}

export async function makeAudio(dir: string): Promise<AudioFixtures> {
  const ffmpeg = defaultBinary('ffmpeg').path;
  const samples = tone(1.5);
  const rawFile = join(dir, 'tone.f32');
  await writeFile(rawFile, Buffer.from(samples.buffer));
  const enc = (out: string, ...args: string[]) =>
    run(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'f32le', '-ar', '16000', '-ac', '1', '-i', rawFile, ...args, join(dir, out)]);
  await enc('tone.wav', '-c:a', 'pcm_f32le');
  await enc('tone.mp3', '-c:a', 'libmp3lame', '-b:a', '64k');
  await enc('tone.ogg', '-c:a', 'libvorbis');
  await enc('tone44.wav', '-ar', '44100', '-ac', '2', '-c:a', 'pcm_s16le');
  await writeFile(join(dir, 'not-audio.mp3'), 'definitely not an mp3\n');
  return {
    wav: join(dir, 'tone.wav'),
    samples,
    mp3: join(dir, 'tone.mp3'),
    ogg: join(dir, 'tone.ogg'),
    wav44: join(dir, 'tone44.wav'),
    notAudio: join(dir, 'not-audio.mp3'),
  };
}

/** Largest absolute difference between two vectors. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}
