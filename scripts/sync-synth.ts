/**
 * Audio synthesis shared by the sync fixtures (scripts/make-sync-fixtures.ts) and the sync benchmark
 * (bench/sync.ts): espeak-ng speech with exactly known onsets, music-like tones, noise, WAV and Opus
 * output. Needs espeak-ng (apt-get install espeak-ng) and ffmpeg (found like everywhere in mmalign).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultBinaries } from '../src/core/ffmpeg/index.js';
import { mulberry32 } from '../src/core/random.js';

/** espeak-ng's output rate; tracks are built at it and resampled to 16 kHz when encoded. */
export const SYNTH_RATE = 22_050;

export function requireEspeak(): void {
  try {
    execFileSync('espeak-ng', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('espeak-ng is required to generate speech (apt-get install espeak-ng); the committed fixtures need no such thing.');
  }
}

function readWav16(file: string): Float32Array {
  const buf = readFileSync(file);
  let off = 12;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    if (id === 'data') {
      const n = Math.floor(Math.min(size, buf.length - off - 8) / 2);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = buf.readInt16LE(off + 8 + 2 * i) / 32768;
      return out;
    }
    off += 8 + size + (size % 2);
  }
  throw new Error(`${file}: no data chunk`);
}

export interface Voice {
  voice: string;
  /** Words per minute. */
  speed: number;
  pitch?: number;
}

/** Where a synthesized utterance's sound begins and ends: above -40 dBFS, as an onset detector would hear it. */
export function trimSilence(pcm: Float32Array, threshold = 0.01): Float32Array {
  let a = 0;
  while (a < pcm.length && Math.abs(pcm[a]) < threshold) a++;
  let b = pcm.length;
  while (b > a && Math.abs(pcm[b - 1]) < threshold) b--;
  return pcm.slice(a, b);
}

/**
 * Speaks `text` with espeak-ng; returns the sound trimmed of leading and trailing silence, at
 * {@link SYNTH_RATE}, so placing it at time t makes t its true onset.
 *
 * @example
 * const pcm = speak('Hello there.', { voice: 'en-us', speed: 160 });
 */
export function speak(text: string, v: Voice, work: string): Float32Array {
  const wav = join(work, 'utt.wav');
  execFileSync('espeak-ng', ['-v', v.voice, '-s', String(v.speed), ...(v.pitch !== undefined ? ['-p', String(v.pitch)] : []), '-w', wav, text], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return trimSilence(readWav16(wav));
}

/** A scratch folder for {@link speak}, removed by the returned function. */
export function scratch(): { dir: string; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'mmalign-synth-'));
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Music-like sound with no voice: chords of decaying harmonic tones that change every beat, a bass
 * line, and hi-hat noise bursts. Seeded: the same seed gives the same samples.
 */
export function music(seconds: number, seed: number, rate = SYNTH_RATE): Float32Array {
  const rand = mulberry32(seed);
  const out = new Float32Array(Math.round(seconds * rate));
  const beat = 0.5;
  const scale = [0, 2, 4, 5, 7, 9, 11];
  for (let b = 0; b * beat < seconds; b++) {
    const root = 48 + scale[Math.floor(rand() * scale.length)];
    const chord = [root, root + 4, root + 7, root + 12];
    const from = Math.round(b * beat * rate);
    const len = Math.round(beat * 1.6 * rate);
    for (const note of chord) {
      const f = 440 * 2 ** ((note - 69) / 12);
      const amp = 0.05 + 0.03 * rand();
      for (let i = 0; i < len && from + i < out.length; i++) {
        const t = i / rate;
        const env = Math.exp(-3 * t) * Math.min(1, t / 0.01);
        // Three harmonics: a plucked, organ-ish timbre.
        out[from + i] += amp * env * (Math.sin(2 * Math.PI * f * t) + 0.5 * Math.sin(4 * Math.PI * f * t) + 0.25 * Math.sin(6 * Math.PI * f * t));
      }
    }
    const bass = 440 * 2 ** ((root - 24 - 69) / 12);
    for (let i = 0; i < beat * rate && from + i < out.length; i++) {
      const t = i / rate;
      out[from + i] += 0.12 * Math.exp(-4 * t) * Math.sin(2 * Math.PI * bass * t);
    }
    // Hi-hat on the off-beat: 40 ms of decaying white noise.
    const hat = from + Math.round((beat / 2) * rate);
    for (let i = 0; i < 0.04 * rate && hat + i < out.length; i++) out[hat + i] += 0.06 * (rand() * 2 - 1) * Math.exp(-(i / rate) / 0.01);
  }
  return out;
}

/** Pink-ish noise (white noise through a one-pole low-pass, mixed with some white), RMS ≈ `rms`. */
export function noise(seconds: number, seed: number, rms: number, rate = SYNTH_RATE): Float32Array {
  const rand = mulberry32(seed);
  const out = new Float32Array(Math.round(seconds * rate));
  let lp = 0;
  let sum = 0;
  for (let i = 0; i < out.length; i++) {
    const w = rand() * 2 - 1;
    lp = 0.97 * lp + 0.03 * w;
    out[i] = 6 * lp + 0.3 * w;
    sum += out[i] * out[i];
  }
  const scale = rms / Math.sqrt(sum / Math.max(1, out.length));
  for (let i = 0; i < out.length; i++) out[i] *= scale;
  return out;
}

/** Root mean square of the non-silent part of a signal (for SNR mixing). */
export function rms(x: Float32Array): number {
  let s = 0;
  let n = 0;
  for (const v of x) {
    if (Math.abs(v) > 1e-4) {
      s += v * v;
      n++;
    }
  }
  return n ? Math.sqrt(s / n) : 0;
}

export function writeWav(file: string, x: Float32Array, rate = SYNTH_RATE): void {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + x.length * 2, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(x.length * 2, 40);
  const body = Buffer.alloc(x.length * 2);
  for (let i = 0; i < x.length; i++) body.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(x[i] * 32767))), 2 * i);
  writeFileSync(file, Buffer.concat([header, body]));
}

/** Encodes a track as 16 kHz mono Opus in Ogg: small enough to commit, plenty for a VAD. */
export function encodeOpus(x: Float32Array, out: string, { bitrate = '12k', rate = SYNTH_RATE }: { bitrate?: string; rate?: number } = {}): void {
  const work = scratch();
  try {
    const wav = join(work.dir, 'track.wav');
    writeWav(wav, x, rate);
    execFileSync(defaultBinaries().ffmpeg.path, [
      '-hide_banner', '-loglevel', 'error', '-y', '-i', wav,
      '-ac', '1', '-ar', '16000', '-c:a', 'libopus', '-b:a', bitrate, '-application', 'audio',
      '-map_metadata', '-1', '-fflags', '+bitexact', out,
    ]);
  } finally {
    work.dispose();
  }
}

/** SRT time `HH:MM:SS,mmm`. */
export function srtTime(t: number): string {
  const ms = Math.round(Math.max(0, t) * 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(Math.floor(ms / 3_600_000))}:${pad(Math.floor(ms / 60_000) % 60)}:${pad(Math.floor(ms / 1000) % 60)},${pad(ms % 1000, 3)}`;
}

/** Cues as SRT text. */
export function toSrt(cues: readonly { start: number; end: number; text: string }[]): string {
  return cues.map((c, i) => `${i + 1}\n${srtTime(c.start)} --> ${srtTime(c.end)}\n${c.text}\n`).join('\n');
}
