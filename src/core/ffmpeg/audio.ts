/** Audio through ffmpeg: decoding files, encoded bytes or PCM to mono float32, and slicing the result. */
import { MediaDecodeError } from '../errors/index.js';
import { defaultBinary, type FfmpegBinaries } from './binaries.js';
import { DAMAGE, damageDetail, runFfmpeg } from './run.js';

/** Sample rate every audio encoder in mmalign takes (Wav2Vec2's). */
export const AUDIO_SAMPLE_RATE = 16_000;

/** Decoded mono audio; `samples[i]` plays at `start + i / sampleRate` s from the video's start. */
export interface DecodedAudio {
  samples: Float32Array;
  sampleRate: number;
  /** Time of sample 0 in seconds (0 unless a window was decoded). */
  start?: number;
}

/** What ffmpeg decodes: a file path, encoded bytes in any format ffmpeg reads, or mono float32 PCM to resample. */
export type AudioSource = string | Uint8Array | { pcm: Float32Array; sampleRate: number };

export interface DecodePcmOptions {
  /** The ffmpeg binary; default: {@link defaultBinary}. */
  ffmpeg?: string;
  /** Output rate. Default {@link AUDIO_SAMPLE_RATE}. */
  sampleRate?: number;
  /** Decode only a window: from `start` seconds... */
  start?: number;
  /** ...for `duration` seconds (default: to the end). */
  duration?: number;
  /**
   * Keep the source's timeline (for audio cut by subtitle times): the first audio stream, padded or
   * trimmed so sample 0 is exactly `start` (`aresample async first_pts=0`). Without it: ffmpeg's
   * choice of stream, plainly resampled, as an encoder wants a clip.
   */
  timeline?: boolean;
  signal?: AbortSignal;
}

/** The samples ffmpeg produced and how it exited; the caller decides what counts as failure. */
export interface PcmRun {
  samples: Float32Array;
  code: number | null;
  /** Error-level lines ffmpeg printed. */
  errors: string[];
}

/**
 * The one audio decode: any {@link AudioSource} to mono float32 at `sampleRate`, in one pass into
 * memory (about 64 KB per second at 16 kHz: decode long inputs in windows). Rejects only when ffmpeg
 * cannot be started or the run is aborted; a failed decode comes back in `code` and `errors`.
 *
 * @example
 * const run = await decodePcm('speech.mp3');
 * if (run.code === 0) console.log(run.samples.length / 16000, 's');
 */
export async function decodePcm(
  source: AudioSource,
  { ffmpeg, sampleRate = AUDIO_SAMPLE_RATE, start = 0, duration, timeline = false, signal }: DecodePcmOptions = {},
): Promise<PcmRun> {
  const pcm = typeof source === 'string' || source instanceof Uint8Array ? null : source;
  const input = typeof source === 'string' ? source : 'pipe:0';
  const stdin = pcm ? new Uint8Array(pcm.pcm.buffer, pcm.pcm.byteOffset, pcm.pcm.byteLength) : source instanceof Uint8Array ? source : undefined;
  const output = timeline
    ? ['-map', '0:a:0', '-vn', '-sn', '-dn', '-af', `aresample=${sampleRate}:async=1:first_pts=0`, '-ac', '1', '-f', 'f32le', '-c:a', 'pcm_f32le']
    : ['-vn', '-ac', '1', '-ar', String(sampleRate), '-f', 'f32le'];
  const args = [
    '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'level+error',
    ...(start > 0 ? ['-ss', String(start)] : []),
    ...(duration !== undefined ? ['-t', String(duration)] : []),
    ...(pcm ? ['-f', 'f32le', '-ar', String(pcm.sampleRate), '-ac', '1'] : []),
    '-i', input,
    ...output,
    'pipe:1',
  ];
  const chunks: Buffer[] = [];
  let total = 0;
  const run = await runFfmpeg(ffmpeg ?? defaultBinary('ffmpeg').path, args, {
    stdin,
    signal,
    onStdout: (c) => {
      chunks.push(c);
      total += c.length;
    },
  });
  const bytes = Buffer.concat(chunks, total);
  // Copy into a fresh, aligned buffer: Buffer.concat's pool offset need not be a multiple of 4.
  const samples = new Float32Array(Math.floor(bytes.length / 4));
  new Uint8Array(samples.buffer).set(bytes.subarray(0, samples.length * 4));
  return { samples, code: run.code, errors: run.errors };
}

export interface DecodeAudioOptions {
  binaries?: Pick<FfmpegBinaries, 'ffmpeg'>;
  sampleRate?: number;
  /** Decode only a window: from `start` seconds... */
  start?: number;
  /** ...for `duration` seconds (default: to the end). */
  duration?: number;
  signal?: AbortSignal;
}

/**
 * Decodes a file's first audio stream (or a window of it) to mono Float32 at 16 kHz on the file's
 * timeline: sample 0 is exactly `start`, which keeps slices aligned with subtitle times even when
 * audio starts late. A damaged track is a {@link MediaDecodeError}.
 *
 * @example
 * const audio = await decodeAudio('talk.mp4');
 * const cue = sliceAudio(audio, 12.5, 15.0); // Float32Array of 40 000 samples
 * const window = await decodeAudio('film.mkv', { start: 600, duration: 600 });
 */
export async function decodeAudio(
  file: string,
  { binaries, sampleRate = AUDIO_SAMPLE_RATE, start = 0, duration, signal }: DecodeAudioOptions = {},
): Promise<DecodedAudio> {
  const run = await decodePcm(file, { ffmpeg: binaries?.ffmpeg.path, sampleRate, start, duration, timeline: true, signal });
  const damage = run.errors.filter((e) => DAMAGE.test(e));
  if (run.code !== 0 || damage.length > 0) {
    throw new MediaDecodeError(file, 'has an audio track ffmpeg could not decode. Re-encode it', damageDetail(damage.length ? damage : run.errors));
  }
  return { samples: run.samples, sampleRate, start };
}

/**
 * The samples for [start, end) seconds of the video's timeline, clamped to what was decoded (a view, not a copy).
 *
 * @example
 * sliceAudio({ samples, sampleRate: 16000 }, 1, 2).length; // 16000
 */
export function sliceAudio(audio: DecodedAudio, start: number, end: number): Float32Array {
  const n = audio.samples.length;
  const origin = audio.start ?? 0;
  const a = Math.min(n, Math.max(0, Math.round((start - origin) * audio.sampleRate)));
  const b = Math.min(n, Math.max(a, Math.round((end - origin) * audio.sampleRate)));
  return audio.samples.subarray(a, b);
}
