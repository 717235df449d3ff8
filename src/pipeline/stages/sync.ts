/**
 * Stage 3, sync: maps the cues onto the video's speech (alignment/sync) before anything is paired,
 * so frames, audio clips and the dataset use the corrected times. The audio is decoded and run
 * through the VAD a window at a time (memory stays flat however long the video); the frames and
 * audio stages decode their own media as before.
 *
 * - `auto`: the full search (offset, framerate ratio, splits); when the quality gate trusts the
 *   mapping the cues are moved, else they stay as given.
 * - `off`: the cues stay as given, but a global check (offset and ratio, no splits: the split search
 *   is most of the search's cost and a warning needs no splits) still runs, and a clear disagreement
 *   between speech and cues is a warning.
 * A video without audio, subtitles with fewer than three spoken cues, or audio that cannot be decoded
 * skip sync (the run goes on, as it did before sync existed): sync.json says why with the identity
 * mapping (method `none`), and with `auto` a warning says so too, as it does for a mapping not trusted.
 */
import {
  isSpokenText,
  NoSpokenCuesError,
  spokenCues,
  streamedSpeech,
  synchroniseCues,
  toSyncJson,
  type SpeechCurve,
  type SyncJson,
  type SyncMapping,
  type SyncStatus,
  type VadName,
  type VoiceActivityDetector,
} from '../../../alignment/sync/index.js';
import { SYNC_DEFAULTS, SYNC_MIN_SPOKEN_CUES } from '../../core/defaults.js';
import { MediaDecodeError } from '../../core/errors/index.js';
import { decodeAudio, type MediaInfo } from '../../core/ffmpeg/index.js';
import type { Cue } from '../../core/types.js';
import type { StageContext } from '../types.js';

/** `auto`: synchronise the cues with the speech; `off`: keep their times, only check them. */
export type SyncMode = 'auto' | 'off';
export const SYNC_MODES: readonly SyncMode[] = Object.freeze(['auto', 'off'] as const);

/** Knobs of `align`'s sync stage (see `mmalign sync` for their meaning). */
export interface AlignSyncOptions {
  /** Largest offset searched either way, seconds (default 60). */
  maxOffset?: number;
  /** Try framerate ratios (default true). */
  framerate?: boolean;
  /** Allow inserted or removed stretches (default true; the `off` check never splits). */
  splits?: boolean;
  /** A VAD by name (default silero) or an instance the caller owns and reuses across videos. */
  vad?: VadName | VoiceActivityDetector;
}

/** What `run.json` records under `sync` (flattened there: `{ mode, status, ...mapping }`). */
export interface SyncRecord {
  mode: SyncMode;
  /** What the check found; `skipped`: no check ran (no audio, too few spoken cues, audio not decodable). */
  status: SyncStatus | 'skipped';
  /** The mapping found, `applied` saying whether the cues moved; when skipped, the identity with method `none`. */
  mapping: SyncMapping;
  /** Why the cues moved, stayed, or why sync was skipped. */
  reason: string;
}

export interface SyncInput {
  video: string;
  subtitles: string;
  info: MediaInfo;
  /** The cues after `--offset`. */
  cues: readonly Cue[];
  /** The `--offset` already applied (a suggested fix adds to it). */
  offset: number;
  mode: SyncMode;
  options: AlignSyncOptions;
}

export interface SyncOutput {
  /** The cues every later stage uses: moved when the mapping was applied, else as given. */
  cues: Cue[];
  record: SyncRecord;
  /** DIR/sync.json's document (PLAN.md's contract); when skipped, the identity mapping and no speech curve. */
  json: SyncJson;
}

/**
 * run.json's `sync`: the mapping's fields next to mode and status, which the report reads as it
 * reads sync.json's mapping.
 *
 * @example
 * syncRunRecord(record); // { mode: 'auto', status: 'synchronised', offset: -3.002, ratio: 1, splits: [], confidence: 0.97, ... }
 */
export function syncRunRecord(r: SyncRecord): Record<string, unknown> {
  return { mode: r.mode, status: r.status, ...r.mapping, reason: r.reason };
}

/** The cues as given, in sync.json's shape (nothing moved). */
function unmoved(cues: readonly Cue[]) {
  return cues.map((c) => ({ ...c, originalStart: c.start, originalEnd: c.end, spoken: isSpokenText(c.text) }));
}

/**
 * No check ran: the cues stay, sync.json says why with the identity mapping (method `none`) and an
 * empty speech curve, and with `auto` (the user expected sync) a warning says it too.
 */
function skipped(mode: SyncMode, video: string, cues: readonly Cue[], reason: string, ctx: StageContext): SyncOutput {
  ctx.log(`sync: skipped, ${reason}`);
  if (mode === 'auto') ctx.warnings.push({ file: video, message: `subtitle timing not checked against the speech: ${reason}; cues used as given` });
  const mapping: SyncMapping = { offset: 0, ratio: 1, splits: [], confidence: 0, method: 'none', applied: false, reason };
  const json = toSyncJson({ mapping, cues: unmoved(cues), speech: { step: SYNC_DEFAULTS.step, start: 0, probabilities: new Float32Array(0) } });
  return { cues: [...cues], record: { mode, status: 'skipped', mapping, reason }, json };
}

function describeShift(m: SyncMapping): string {
  const parts = [`offset ${m.offset >= 0 ? '+' : ''}${m.offset.toFixed(3)} s`];
  if (m.ratio !== 1) parts.push(`framerate ratio ${m.ratio.toFixed(6)}`);
  if (m.splits.length) parts.push(`${m.splits.length} split(s)`);
  return `${parts.join(', ')}, confidence ${m.confidence.toFixed(2)}`;
}

/**
 * Synchronises (or, with `off`, checks) the cues against the video's speech.
 *
 * @example
 * const { cues, record, json } = await syncStage({ video, subtitles, info, cues, offset: 0, mode: 'auto', options: {} }, ctx);
 */
export async function syncStage({ video, subtitles, info, cues, offset, mode, options }: SyncInput, ctx: StageContext): Promise<SyncOutput> {
  if (!info.audio) return skipped(mode, video, cues, 'the video has no audio stream', ctx);
  const spoken = spokenCues(cues).length;
  if (spoken === 0) return skipped(mode, video, cues, 'no cue is speech (only music, lyrics or sound descriptions)', ctx);
  if (spoken < SYNC_MIN_SPOKEN_CUES) {
    return skipped(mode, video, cues, `${spoken} spoken cue(s) are too few to tell a timing error (${SYNC_MIN_SPOKEN_CUES} needed)`, ctx);
  }
  const bar = ctx.progress.stage('sync', Math.max(1, Math.ceil(info.duration)));
  let speech: SpeechCurve;
  let method: 'vad-silero' | 'vad-webrtc';
  try {
    let done = 0;
    ({ speech, method } = await streamedSpeech((start, duration) => decodeAudio(video, { binaries: ctx.binaries, signal: ctx.signal, start, duration }), info.duration, {
      vad: options.vad,
      signal: ctx.signal,
      onProgress: (seconds) => {
        const d = Math.floor(seconds);
        if (d > done) bar.tick(d - done);
        done = Math.max(done, d);
      },
    }));
  } catch (err) {
    if (!(err instanceof MediaDecodeError)) throw err;
    return skipped(mode, video, cues, `the audio could not be decoded (${err.reason})`, ctx);
  } finally {
    bar.done();
  }
  let result;
  try {
    result = synchroniseCues(cues, speech, {
      maxOffset: options.maxOffset,
      framerate: options.framerate,
      splits: mode === 'auto' ? options.splits : false,
      method,
      file: subtitles,
    });
  } catch (err) {
    if (err instanceof NoSpokenCuesError) return skipped(mode, video, cues, 'no cue is speech', ctx);
    throw err;
  }
  const found = result.mapping;
  if (mode === 'auto') {
    for (const w of result.warnings) ctx.warnings.push(w);
    ctx.log(`sync: ${result.status}: ${found.reason} (${describeShift(found)})`);
    // Not trustworthy: nothing moved, and the user hears why rather than trusting unchecked times.
    if (result.status === 'uncertain') ctx.warnings.push({ file: subtitles, message: `cues used as given: no trustworthy mapping onto the speech (${found.reason})` });
    const record: SyncRecord = { mode, status: result.status, mapping: found, reason: found.reason };
    return { cues: result.cues, record, json: toSyncJson({ mapping: found, cues: result.cues, speech }) };
  }
  // --sync off: the cues stay; a clear disagreement is said, with what would fix it.
  if (result.status === 'synchronised') {
    ctx.warnings.push({
      file: subtitles,
      message:
        `speech and cues disagree: the audio fits the subtitles moved by ${describeShift(found)}. ` +
        `They were used as given (--sync off); rerun with --sync auto${found.ratio === 1 && found.splits.length === 0 ? ` or --offset ${Math.round((offset + found.offset) * 1000) / 1000}` : ''}`,
    });
  }
  const reason = `--sync off: cues used as given; the check ${result.status === 'synchronised' ? `found them out of step (${found.reason})` : `says: ${found.reason}`}`;
  const mapping: SyncMapping = { ...found, applied: false, reason };
  const record: SyncRecord = { mode, status: result.status, mapping, reason };
  return { cues: [...cues], record, json: toSyncJson({ mapping, cues: unmoved(cues), speech }) };
}
