/**
 * Stage 4, audio: the cue audio, decoded lazily while the embed stage walks the cues in time order,
 * one window of AUDIO_WINDOW_SECONDS at a time: a single decode for a short video, bounded memory
 * for a long one.
 */
import { AUDIO_WINDOW_SECONDS } from '../../core/defaults.js';
import { decodeAudio, sliceAudio, type DecodedAudio, type MediaInfo } from '../../core/ffmpeg/index.js';
import type { StageContext } from '../types.js';

export interface AudioInput {
  video: string;
  info: MediaInfo;
}

/** Cue audio on demand. */
export interface AudioClips {
  /** 16 kHz mono samples of [start, end) s. */
  clip(start: number, end: number): Promise<Float32Array>;
  /** Seconds spent decoding so far (reported as the audio stage's time). */
  readonly decodeSeconds: number;
}

export interface AudioOutput {
  /** Null when the video has no audio stream. */
  clips: AudioClips | null;
}

/**
 * Opens the video's audio for the embed stage; warns when there is none.
 *
 * @example
 * const { clips } = audioStage({ video, info }, ctx);
 * const samples = await clips?.clip(12.5, 14.0);
 */
export function audioStage({ video, info }: AudioInput, ctx: StageContext): AudioOutput {
  if (!info.audio) {
    ctx.warnings.push({ file: video, message: 'has no audio stream: frames are aligned, audio segments and audio–text similarity are skipped' });
    return { clips: null };
  }
  // Callers ask for a chunk of cues at once: they share one pending decode, never start their own.
  let window: { from: number; to: number; audio: Promise<DecodedAudio> } | null = null;
  let decodeSeconds = 0;
  return {
    clips: {
      async clip(start: number, end: number): Promise<Float32Array> {
        if (!window || start < window.from || end > window.to) {
          const t0 = ctx.now();
          const from = Math.max(0, start);
          const length = Math.max(AUDIO_WINDOW_SECONDS, end - from);
          const audio = decodeAudio(video, { binaries: ctx.binaries, signal: ctx.signal, start: from, duration: length });
          void audio.then(() => (decodeSeconds += (ctx.now() - t0) / 1000)).catch(() => {});
          window = { from, to: from + length, audio };
        }
        return sliceAudio(await window.audio, start, end);
      },
      get decodeSeconds() {
        return decodeSeconds;
      },
    },
  };
}
