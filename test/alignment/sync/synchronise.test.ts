/**
 * Synchronisation end to end on the committed espeak-ng fixture: the speech curve comes from the
 * real Silero model; the cues are moved the ways real files are wrong.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { NTSC_FILM_FPS } from '../../../alignment/sync/defaults.js';
import { NoSpokenCuesError } from '../../../src/core/errors/index.js';
import { referenceSpeech, synchroniseCues } from '../../../alignment/sync/synchronise.js';
import type { SpeechCurve } from '../../../alignment/sync/types.js';
import { SileroVad } from '../../../alignment/sync/vad/silero.js';
import type { Cue } from '../../../src/core/types.js';
import { LONG_PAUSE_AFTER, mistime, samplesOf, speechCues, SYNC_FIXTURES } from '../../helpers/sync.js';

let truth: Cue[];
let speech: SpeechCurve;
let samples: Float32Array;
let vad: SileroVad;

beforeAll(async () => {
  truth = await speechCues();
  samples = await samplesOf(SYNC_FIXTURES.speech);
  vad = await SileroVad.create();
  speech = await vad.detect(samples, 16_000);
  return () => vad.close();
});

/** Largest |start − true start| over the spoken cues, seconds. */
function worstStartError(cues: readonly { start: number }[], expected: readonly { start: number }[]): number {
  return Math.max(...cues.map((c, i) => Math.abs(c.start - expected[i].start)));
}

describe('synchroniseCues on the speech fixture', () => {
  it('recovers a known offset to within 50 ms, either way', () => {
    for (const offset of [3.217, -11.5]) {
      const r = synchroniseCues(mistime(truth, offset), speech);
      expect(r.mapping.applied).toBe(true);
      expect(Math.abs(r.mapping.offset + offset)).toBeLessThan(0.05);
      expect(r.mapping.ratio).toBe(1);
      expect(r.mapping.splits).toEqual([]);
      expect(worstStartError(r.cues, truth)).toBeLessThan(0.05);
    }
  });

  it('recovers a 25/23.976 framerate stretch', () => {
    const r = synchroniseCues(mistime(truth, 1.3, 25 / NTSC_FILM_FPS), speech);
    expect(r.mapping.applied).toBe(true);
    expect(r.mapping.ratio).toBeCloseTo(NTSC_FILM_FPS / 25, 4);
    expect(r.mapping.splits).toEqual([]);
    expect(worstStartError(r.cues, truth)).toBeLessThan(0.05);
  });

  it('maps a video with an inserted 20 s stretch piecewise, with one split at the right place', async () => {
    // 20 s of music inserted in the 4 s pause after cue LONG_PAUSE_AFTER: the video gains a stretch the subtitles lack.
    const at = truth[LONG_PAUSE_AFTER].end + 2;
    const music = await samplesOf(SYNC_FIXTURES.music);
    const cut = Math.round(at * 16_000);
    const inserted = new Float32Array(samples.length + 20 * 16_000);
    inserted.set(samples.subarray(0, cut));
    inserted.set(music.subarray(0, 20 * 16_000), cut);
    inserted.set(samples.subarray(cut), cut + 20 * 16_000);
    const curve = await vad.detect(inserted, 16_000);
    const r = synchroniseCues(truth, curve);
    expect(r.mapping.applied).toBe(true);
    expect(Math.abs(r.mapping.offset)).toBeLessThan(0.05);
    expect(r.mapping.splits).toHaveLength(1);
    const [split] = r.mapping.splits;
    expect(split.at).toBeGreaterThan(truth[LONG_PAUSE_AFTER].end);
    expect(split.at).toBeLessThan(truth[LONG_PAUSE_AFTER + 1].start);
    expect(split.offset).toBeCloseTo(20, 1);
    const expected = truth.map((c, i) => ({ start: c.start + (i > LONG_PAUSE_AFTER ? 20 : 0) }));
    expect(worstStartError(r.cues, expected)).toBeLessThan(0.05);
  });

  it('leaves correctly timed subtitles unchanged: no false ratio, no false split', () => {
    const r = synchroniseCues(truth, speech);
    expect(r.status).toBe('in-sync');
    expect(r.mapping.applied).toBe(false);
    expect(r.mapping.ratio).toBe(1);
    expect(r.mapping.splits).toEqual([]);
    expect(Math.abs(r.mapping.offset)).toBeLessThan(0.05);
    expect(r.mapping.confidence).toBeGreaterThan(0.9);
    expect(r.cues.map((c) => [c.start, c.end])).toEqual(truth.map((c) => [c.start, c.end]));
  });

  it('reports a low confidence and moves nothing when the audio is music without speech', async () => {
    const music = await samplesOf(SYNC_FIXTURES.music);
    const long = new Float32Array(samples.length);
    for (let i = 0; i < long.length; i++) long[i] = music[i % music.length];
    const r = synchroniseCues(mistime(truth, 2), await vad.detect(long, 16_000));
    expect(r.status).toBe('uncertain');
    expect(r.mapping.applied).toBe(false);
    expect(r.mapping.confidence).toBeLessThan(0.5);
    expect(r.mapping.reason).toMatch(/low confidence/);
    expect(r.cues.map((c) => c.start)).toEqual(mistime(truth, 2).map((c) => c.start));
  });

  it('ignores [MUSIC] and other unspoken cues, even where they would pull the offset', () => {
    // Sound cues laid over the speech 6 s off: counted as speech, they would drag the estimate.
    const decoys: Cue[] = truth.slice(0, 12).map((c, i) => ({ index: 100 + i, start: c.start + 6, end: c.end + 6, text: i % 2 ? '[MUSIC]' : '♪ la la la ♪' }));
    const shifted = mistime([...truth, ...decoys], 4);
    const withDecoys = synchroniseCues(shifted, speech);
    const without = synchroniseCues(mistime(truth, 4), speech);
    expect(withDecoys.mapping.offset).toBe(without.mapping.offset);
    expect(Math.abs(withDecoys.mapping.offset + 4)).toBeLessThan(0.05);
    expect(withDecoys.diagnostics.spokenCues).toBe(truth.length);
    expect(withDecoys.cues.filter((c) => !c.spoken)).toHaveLength(12);
  });

  it('synchronises against a correctly timed reference subtitle file', () => {
    const reference = referenceSpeech(truth);
    const r = synchroniseCues(mistime(truth, -7.25, 25 / 24), reference, { method: 'reference-subtitles' });
    expect(r.mapping.method).toBe('reference-subtitles');
    expect(r.mapping.applied).toBe(true);
    expect(r.mapping.ratio).toBeCloseTo(24 / 25, 4);
    expect(worstStartError(r.cues, truth)).toBeLessThan(0.02);
  });

  it('refuses subtitles with no spoken cue, naming the file', () => {
    const onlyMusic = truth.map((c) => ({ ...c, text: '[MUSIC]' }));
    expect(() => synchroniseCues(onlyMusic, speech, { file: 'x.srt' })).toThrow(NoSpokenCuesError);
    expect(() => synchroniseCues(onlyMusic, speech, { file: 'x.srt' })).toThrow(/x\.srt: none of its 25 cue/);
  });

  it('rejects a non-positive max offset', () => {
    expect(() => synchroniseCues(truth, speech, { maxOffset: 0 })).toThrow(/maxOffset/);
  });

  it('keeps to one offset with splits off, and to ratio 1 with the framerate search off', () => {
    const r = synchroniseCues(mistime(truth, 1, 25 / NTSC_FILM_FPS), speech, { framerate: false, splits: false });
    expect(r.mapping.ratio).toBe(1);
    expect(r.mapping.splits).toEqual([]);
  });
});
