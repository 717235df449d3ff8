/**
 * The cue audio of `--with-audio` shards: each cue's span of the video's audio as a 16 kHz mono
 * 16-bit WAV. Audio is decoded in windows (one ffmpeg run per ten minutes of a video, not one per
 * cue), so memory stays bounded however long the video is.
 */
import { AUDIO_SAMPLE_RATE, decodeAudio, sliceAudio, type DecodedAudio, type FfmpegBinaries } from '../core/ffmpeg/index.js';

/** Seconds decoded per window (16 kHz float32: about 38 MB). */
const WINDOW_SECONDS = 600;

/**
 * A RIFF/WAVE file of 16-bit PCM from float samples in [-1, 1] (clipped).
 *
 * @example
 * const wav = encodeWav(new Float32Array(16000), 16000); // one second of silence, 32 044 bytes
 */
export function encodeWav(samples: Float32Array, sampleRate: number = AUDIO_SAMPLE_RATE): Buffer {
  const data = samples.length * 2;
  const buf = Buffer.alloc(44 + data);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + data, 4);
  buf.write('WAVE', 8, 'ascii');
  buf.write('fmt ', 12, 'ascii');
  buf.writeUInt32LE(16, 16); // fmt chunk size
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(1, 22); // mono
  buf.writeUInt32LE(sampleRate, 24);
  buf.writeUInt32LE(sampleRate * 2, 28); // byte rate
  buf.writeUInt16LE(2, 32); // block align
  buf.writeUInt16LE(16, 34); // bits per sample
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(data, 40);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]));
    buf.writeInt16LE(Math.round(s < 0 ? s * 0x8000 : s * 0x7fff), 44 + i * 2);
  }
  return buf;
}

/**
 * Cue clips of one video, decoded window by window as cues are asked for in time order.
 *
 * @example
 * const clips = new CueAudio('talk.mp4', binaries);
 * const wav = await clips.wav(12.5, 14.0);
 */
export class CueAudio {
  readonly video: string;
  readonly #binaries: FfmpegBinaries;
  #window: { from: number; to: number; audio: Promise<DecodedAudio> } | null = null;

  constructor(video: string, binaries: FfmpegBinaries) {
    this.video = video;
    this.#binaries = binaries;
  }

  /** The WAV of [start, end) seconds of the video's timeline. */
  async wav(start: number, end: number): Promise<Buffer> {
    const from = Math.max(0, start);
    if (!this.#window || from < this.#window.from || end > this.#window.to) {
      const length = Math.max(WINDOW_SECONDS, end - from);
      this.#window = { from, to: from + length, audio: decodeAudio(this.video, { binaries: this.#binaries, start: from, duration: length }) };
    }
    const audio = await this.#window.audio;
    return encodeWav(sliceAudio(audio, from, Math.max(from, end)), audio.sampleRate);
  }
}
