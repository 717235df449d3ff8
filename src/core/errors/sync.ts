/** Errors of subtitle synchronisation. */
import { MmalignError } from './base.js';
import { InputFileError } from './input.js';

/** A media file with no audio stream, so there is no speech to synchronise against. */
export class NoAudioTrackError extends InputFileError {
  /** The stream types the file does have, e.g. `['video']`. */
  readonly streams: readonly string[];
  constructor(file: string, streams: readonly string[]) {
    super(
      file,
      `has no audio track (streams: ${streams.length ? streams.join(', ') : 'none'}); sync needs speech to listen to. ` +
        'Pass a file with sound, or a correctly timed subtitle file with --reference',
    );
    this.streams = streams;
  }
}

/** Subtitles with no cue anyone speaks ([MUSIC], ♪ lyrics, sound descriptions only): nothing to match speech with. */
export class NoSpokenCuesError extends MmalignError {
  readonly file: string;
  readonly cues: number;
  constructor(file: string, cues: number) {
    super(
      `${file}: none of its ${cues} cue(s) is speech (only music, lyrics or sound descriptions such as [MUSIC] or (laughs)); ` +
        'there is nothing to synchronise against the audio. Check that this is the dialogue subtitle file',
      { code: 'SYNC_NO_SPOKEN_CUES' },
    );
    this.file = file;
    this.cues = cues;
  }
}

/** The Silero VAD model file is missing or not the one this version was built with. */
export class VadModelError extends MmalignError {
  readonly model: string;
  readonly reason: string;
  constructor(model: string, reason: string, cause?: unknown) {
    super(
      `Silero VAD model ${model}: ${reason}. Reinstall mmalign (the model ships in its package under models/silero-vad/), ` +
        'or use --vad webrtc',
      { code: 'SYNC_VAD_MODEL', cause },
    );
    this.model = model;
    this.reason = reason;
  }
}

/** The mapping was not applied because it is not trustworthy, and the caller asked for strictness. */
export class SyncNotConfidentError extends MmalignError {
  readonly file: string;
  readonly confidence: number;
  readonly reason: string;
  constructor(file: string, confidence: number, reason: string) {
    super(
      `${file}: not synchronised (confidence ${confidence.toFixed(2)}): ${reason}. ` +
        'Check that the subtitles belong to this video; try --reference with a correctly timed file, or shift them by hand',
      { code: 'SYNC_NOT_CONFIDENT' },
    );
    this.file = file;
    this.confidence = confidence;
    this.reason = reason;
  }
}
