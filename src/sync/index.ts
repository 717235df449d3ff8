/**
 * `syncSubtitles`: the file-level glue of subtitle synchronisation. Reads the subtitles, decodes
 * the video's (or a reference's) audio, runs the VAD and the search (alignment/sync), and writes
 * the corrected file atomically. Nothing is written when the result is not trustworthy.
 */
import path from 'node:path';
import {
  readSubtitleFile,
  subtitleFormatFromPath,
  writeSubtitleFile,
  WRITABLE_SUBTITLE_FORMATS,
  type SubtitleFormat,
  type WritableSubtitleFormat,
} from '../../alignment/subtitles/index.js';
import {
  NoAudioTrackError,
  NoSpokenCuesError,
  spokenCues,
  referenceSpeech,
  synchroniseCues,
  SyncNotConfidentError,
  createVad,
  type SpeechCurve,
  type SubtitleSyncResult,
  type VadName,
} from '../../alignment/sync/index.js';
import { DEFAULT_VAD } from '../core/defaults.js';
import { decodeAudio, defaultBinaries, probeMedia, subtitleStreamLabel, withSubtitleStream, type FfmpegBinaries } from '../core/ffmpeg/index.js';
import { silentProgress, type Progress } from '../core/progress.js';
import type { Warning } from '../core/types.js';
import { appendAll } from '../core/arrays.js';

export interface SyncSubtitlesOptions {
  /** Write the result here (format from its extension, else the input's). Omit to write nothing. */
  out?: string;
  /** Write `out` even when the file is already in sync (an unchanged copy); default false. */
  writeUnchanged?: boolean;
  /**
   * Time against this instead of VIDEO's audio: a video, an audio file, a correctly timed subtitle
   * file, or `embedded[:N|:LANG]`, a subtitle stream inside VIDEO.
   */
  reference?: string;
  maxOffset?: number;
  framerate?: boolean;
  splits?: boolean;
  vad?: VadName;
  /** Throw {@link SyncNotConfidentError} instead of leaving the file when the mapping is not trustworthy. */
  strict?: boolean;
  binaries?: FfmpegBinaries;
  progress?: Progress;
  signal?: AbortSignal;
}

export interface SyncSubtitlesResult extends SubtitleSyncResult {
  video: string;
  subtitles: string;
  reference: string | null;
  format: SubtitleFormat;
  /** Where the cues were written, or null when nothing was written. */
  out: string | null;
  seconds: { decode: number; speech: number; align: number };
}

/**
 * `--reference embedded[:N|:LANG]`: a subtitle stream inside the video (the first text stream, or
 * by number or language as `align --subtitle-stream` chooses).
 */
const EMBEDDED = /^embedded(?::(.+))?$/i;

function elapsed(t0: number): number {
  return Math.round((performance.now() - t0) / 10) / 100;
}

/**
 * The speech curve of a media file: probe (it must have audio), decode at 16 kHz, run the VAD.
 */
async function mediaSpeech(
  file: string,
  opts: SyncSubtitlesOptions,
  seconds: SyncSubtitlesResult['seconds'],
): Promise<{ speech: SpeechCurve; method: 'vad-silero' | 'vad-webrtc' }> {
  const binaries = opts.binaries ?? defaultBinaries();
  const progress = opts.progress ?? silentProgress;
  const info = await probeMedia(file, binaries);
  if (!info.audio) throw new NoAudioTrackError(file, info.streams);
  const vad = await createVad(opts.vad ?? DEFAULT_VAD);
  try {
    const decode = progress.stage('decode', 1);
    let t0 = performance.now();
    const audio = await decodeAudio(file, { binaries, signal: opts.signal });
    decode.done();
    seconds.decode = elapsed(t0);
    const total = Math.max(1, Math.round(audio.samples.length / audio.sampleRate));
    const stage = progress.stage('speech', total);
    let last = 0;
    t0 = performance.now();
    const speech = await vad.detect(audio.samples, audio.sampleRate, {
      signal: opts.signal,
      onProgress: (done) => {
        const d = Math.round(done);
        if (d > last) stage.tick(d - last);
        last = Math.max(last, d);
      },
    });
    stage.done();
    seconds.speech = elapsed(t0);
    return { speech, method: vad.name === 'silero' ? 'vad-silero' : 'vad-webrtc' };
  } finally {
    await vad.close();
  }
}

/**
 * Synchronises a subtitle file with a video's speech (or a reference) and writes the corrected
 * file to `out` when the mapping is applied. Throws before writing anything on bad input: a file
 * that is not subtitles, subtitles with no spoken cue, a video without audio.
 *
 * @example
 * const r = await syncSubtitles('film.mkv', 'film.srt', { out: 'film.synced.srt' });
 * console.log(r.mapping.offset, r.mapping.ratio, r.mapping.splits, r.mapping.confidence);
 */
export async function syncSubtitles(video: string, subtitles: string, opts: SyncSubtitlesOptions = {}): Promise<SyncSubtitlesResult> {
  const reference = opts.reference ?? null;
  const embedded = reference === null ? null : EMBEDDED.exec(reference);
  const doc = await readSubtitleFile(subtitles);
  // Refuse before decoding anything: minutes of audio for a file with nothing to match.
  if (spokenCues(doc.cues).length === 0) throw new NoSpokenCuesError(subtitles, doc.cues.length);
  const seconds = { decode: 0, speech: 0, align: 0 };
  let speech: SpeechCurve;
  let method: 'vad-silero' | 'vad-webrtc' | 'reference-subtitles';
  const warnings: Warning[] = [...doc.warnings];
  if (embedded) {
    const selector = embedded[1] === undefined ? undefined : /^\d+$/.test(embedded[1]) ? Number(embedded[1]) : embedded[1];
    const binaries = opts.binaries ?? defaultBinaries();
    const ref = await withSubtitleStream(
      video,
      selector,
      async (file, stream) => {
        const label = subtitleStreamLabel(video, stream.number);
        const read = await readSubtitleFile(file);
        for (const w of read.warnings) warnings.push(w.file === file ? { ...w, file: label } : w);
        return { cues: read.cues, label };
      },
      binaries,
      opts.signal,
    );
    speech = referenceSpeech(ref.cues, { file: ref.label });
    method = 'reference-subtitles';
  } else if (reference !== null && isSubtitlePath(reference)) {
    const ref = await readSubtitleFile(reference);
    appendAll(warnings, ref.warnings);
    speech = referenceSpeech(ref.cues, { file: reference });
    method = 'reference-subtitles';
  } else {
    ({ speech, method } = await mediaSpeech(reference ?? video, opts, seconds));
  }

  const align = (opts.progress ?? silentProgress).stage('align', 1);
  const t0 = performance.now();
  const result = synchroniseCues(doc.cues, speech, {
    maxOffset: opts.maxOffset,
    framerate: opts.framerate,
    splits: opts.splits,
    method,
    file: subtitles,
  });
  align.done();
  seconds.align = elapsed(t0);
  appendAll(warnings, result.warnings);

  const lowConfidence = result.status === 'uncertain';
  if (opts.strict && lowConfidence) throw new SyncNotConfidentError(subtitles, result.mapping.confidence, result.mapping.reason);
  // ASS, SBV, TTML and MicroDVD are read but not written: their corrected times go out as SRT.
  const format = (opts.out && subtitleFormatFromPath(opts.out)) || (isWritable(doc.format) ? doc.format : 'srt');
  let out: string | null = null;
  if (opts.out && (result.mapping.applied || (opts.writeUnchanged && !lowConfidence))) {
    await writeSubtitleFile(opts.out, result.cues, format);
    out = opts.out;
  }
  return { ...result, warnings, video, subtitles, reference, format, out, seconds };
}

/**
 * Where `mmalign sync` writes by default: next to the input, `name.synced.ext`.
 *
 * @example
 * defaultSyncedPath('/films/a.srt'); // '/films/a.synced.srt'
 * defaultSyncedPath('/films/a.ass'); // '/films/a.synced.srt' (ASS is read, not written)
 */
export function defaultSyncedPath(subtitles: string): string {
  const ext = path.extname(subtitles);
  const written = subtitleFormatFromPath(subtitles) ? ext : '.srt';
  return path.join(path.dirname(subtitles), `${path.basename(subtitles, ext)}.synced${written}`);
}

// A reference named like a subtitle file is read as one (any readable format); anything else is media.
const SUBTITLE_EXTENSIONS: ReadonlySet<string> = new Set(['.srt', '.vtt', '.ass', '.ssa', '.sbv', '.ttml', '.dfxp', '.sub']);
function isSubtitlePath(file: string): boolean {
  return SUBTITLE_EXTENSIONS.has(path.extname(file).toLowerCase());
}

function isWritable(format: SubtitleFormat): format is WritableSubtitleFormat {
  return (WRITABLE_SUBTITLE_FORMATS as readonly string[]).includes(format);
}
