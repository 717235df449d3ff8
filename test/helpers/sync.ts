/** Fixtures of the sync tests (fixtures/sync/, made by scripts/make-sync-fixtures.ts) and small helpers. */
import { readSubtitleFile } from '../../alignment/subtitles/index.js';
import { decodeAudio } from '../../src/core/ffmpeg/index.js';
import type { Cue } from '../../src/core/types.js';

export const SYNC_FIXTURES = {
  speech: 'fixtures/sync/speech.ogg',
  cues: 'fixtures/sync/speech.srt',
  music: 'fixtures/sync/music.ogg',
  videoOnly: 'fixtures/sync/video-only.mp4',
} as const;

/** Index (0-based) of the cue after which the speech fixture pauses for 4 s. */
export const LONG_PAUSE_AFTER = 12;

export async function speechCues(): Promise<Cue[]> {
  return (await readSubtitleFile(SYNC_FIXTURES.cues)).cues;
}

/** Decodes a fixture at 16 kHz with the project's ffmpeg resolver. */
export async function samplesOf(file: string): Promise<Float32Array> {
  return (await decodeAudio(file)).samples;
}

/** Cues under `sub = video × ratio + offset`: what a mistimed file looks like. */
export function mistime(cues: readonly Cue[], offset: number, ratio = 1): Cue[] {
  const ms = (t: number) => Math.round(t * 1000) / 1000;
  return cues.map((c) => ({ ...c, start: ms(c.start * ratio + offset), end: ms(c.end * ratio + offset) }));
}
