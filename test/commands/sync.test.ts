/** `mmalign sync` in-process on the committed fixtures: what it writes, reports and refuses. */
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSubtitles } from '../../alignment/subtitles/index.js';
import { formatSrt } from '../../alignment/subtitles/index.js';
import { runCaptured } from '../helpers/cli.js';
import { ffmpegMake } from '../helpers/media.js';
import { mistime, speechCues, SYNC_FIXTURES } from '../helpers/sync.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = (): string => tempDir('sync');

/** A temp folder holding the speech audio and a copy of its cues moved by `offset`. */
async function lateSubtitles(offset: number, name = 'film.srt'): Promise<{ dir: string; subs: string; video: string }> {
  const dir = tmp();
  const video = join(dir, 'film.ogg');
  copyFileSync(SYNC_FIXTURES.speech, video);
  const subs = join(dir, name);
  writeFileSync(subs, formatSrt(mistime(await speechCues(), offset)));
  return { dir, subs, video };
}

describe('mmalign sync', () => {
  it('writes the corrected file next to the input and says which way it moved the cues', async () => {
    const { dir, subs, video } = await lateSubtitles(2.75);
    const r = await runCaptured(['sync', video, subs]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/offset -2\.7\d\d s \(cues moved 2\.7\d\d s earlier\)/);
    const out = join(dir, 'film.synced.srt');
    expect(r.stderr).toContain(`wrote 25 cue(s) to ${out}`);
    const fixed = parseSubtitles(readFileSync(out, 'utf8')).cues;
    const truth = await speechCues();
    for (let i = 0; i < truth.length; i++) expect(Math.abs(fixed[i].start - truth[i].start)).toBeLessThan(0.05);
    expect(readFileSync(subs, 'utf8')).toBe(formatSrt(mistime(truth, 2.75))); // the input is untouched
  });

  it('prints the report as JSON with the mapping fields', async () => {
    const { subs, video } = await lateSubtitles(-1.2);
    const r = await runCaptured(['sync', video, subs, '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({ status: 'synchronised', ratio: 1, splits: [], method: 'vad-silero', applied: true, cues: 25, spokenCues: 25 });
    expect(Math.abs((report.offset as number) - 1.2)).toBeLessThan(0.05);
    expect(report.confidence as number).toBeGreaterThan(0.9);
  });

  it('writes WebVTT when -o names a .vtt file', async () => {
    const { dir, subs, video } = await lateSubtitles(1.5);
    const out = join(dir, 'fixed.vtt');
    expect((await runCaptured(['sync', video, subs, '-o', out, '--vad', 'webrtc'])).code).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text.startsWith('WEBVTT')).toBe(true);
    expect(Math.abs(parseSubtitles(text).cues[0].start - 1.5)).toBeLessThan(0.05);
  });

  it('times against a correctly timed reference subtitle file instead of the audio', async () => {
    const { dir, subs, video } = await lateSubtitles(6);
    const reference = join(dir, 'reference.srt');
    copyFileSync(SYNC_FIXTURES.cues, reference);
    const r = await runCaptured(['sync', video, subs, '--reference', reference, '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { method: string; offset: number };
    expect(report.method).toBe('reference-subtitles');
    expect(report.offset).toBeCloseTo(-6, 2);
  });

  it('leaves correctly timed subtitles alone and writes a copy only when -o asks for one', async () => {
    const { dir, subs, video } = await lateSubtitles(0);
    const r = await runCaptured(['sync', video, subs]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^in-sync:/);
    expect(existsSync(join(dir, 'film.synced.srt'))).toBe(false);
    const out = join(dir, 'copy.srt');
    expect((await runCaptured(['sync', video, subs, '-o', out])).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(subs, 'utf8'));
  });

  it('writes nothing on music without speech, and exits 1 with --strict', async () => {
    const { dir, subs } = await lateSubtitles(2);
    const music = join(dir, 'music.ogg');
    copyFileSync(SYNC_FIXTURES.music, music);
    const lenient = await runCaptured(['sync', music, subs]);
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toMatch(/^uncertain: low confidence/);
    expect(lenient.stderr).toContain('nothing written');
    const strict = await runCaptured(['sync', music, subs, '--strict']);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toMatch(/film\.srt: not synchronised \(confidence 0\.\d\d\)/);
    expect(readdirSync(dir).sort()).toEqual(['film.ogg', 'film.srt', 'music.ogg']);
  });

  it('refuses a video without an audio track, naming it, and writes nothing', async () => {
    const { dir, subs } = await lateSubtitles(2);
    const video = join(dir, 'silent.mp4');
    copyFileSync(SYNC_FIXTURES.videoOnly, video);
    const r = await runCaptured(['sync', video, subs]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${video}: has no audio track (streams: video)`);
    expect(readdirSync(dir).sort()).toEqual(['film.ogg', 'film.srt', 'silent.mp4']);
  });

  it('refuses subtitles with no spoken cue and writes nothing', async () => {
    const { dir, video } = await lateSubtitles(0);
    const subs = join(dir, 'music.srt');
    writeFileSync(subs, '1\n00:00:01,000 --> 00:00:05,000\n[MUSIC]\n\n2\n00:00:09,000 --> 00:00:12,000\n♪ la la ♪\n');
    const r = await runCaptured(['sync', video, subs]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/music\.srt: none of its 2 cue\(s\) is speech/);
    expect(existsSync(join(dir, 'music.synced.srt'))).toBe(false);
  });

  it('refuses a file that is not subtitles and writes nothing', async () => {
    const { dir, video } = await lateSubtitles(0);
    const r = await runCaptured(['sync', video, video]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/film\.ogg: looks like an Ogg audio\/video file, not a subtitle file/);
    expect(readdirSync(dir).sort()).toEqual(['film.ogg', 'film.srt']);
  });

  it('times against a subtitle stream inside the video with --reference embedded[:LANG]', async () => {
    const { dir, subs } = await lateSubtitles(4);
    // The speech with its correctly timed cues as an English stream, after a French one that is 9 s off.
    const video = join(dir, 'film.mkv');
    const french = join(dir, 'fr.srt');
    writeFileSync(french, formatSrt(mistime(await speechCues(), 9)));
    ffmpegMake(['-i', SYNC_FIXTURES.speech, '-i', french, '-i', SYNC_FIXTURES.cues, '-map', '0:a', '-map', '1:s', '-map', '2:s', '-c:a', 'copy', '-c:s', 'srt',
      '-metadata:s:s:0', 'language=fre', '-metadata:s:s:1', 'language=eng', video]);
    const english = await runCaptured(['sync', video, subs, '--reference', 'embedded:en', '--json']);
    expect(english.code).toBe(0);
    const report = JSON.parse(english.stdout) as { method: string; offset: number; reference: string };
    expect(report).toMatchObject({ method: 'reference-subtitles', reference: 'embedded:en' });
    // Within 50 ms: the muxer puts the streams on the MKV's 1 ms timeline.
    expect(Math.abs(report.offset + 4)).toBeLessThan(0.05);
    const first = JSON.parse((await runCaptured(['sync', video, subs, '--reference', 'embedded', '--json'])).stdout) as { offset: number };
    expect(Math.abs(first.offset - 5)).toBeLessThan(0.05); // the first text stream: the French one, 9 s late
  });

  it('names the video when --reference embedded finds no subtitle stream in it', async () => {
    const { subs, video } = await lateSubtitles(0);
    const r = await runCaptured(['sync', video, subs, '--reference', 'embedded']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${video}: has no subtitle stream inside it`);
  });

  it('rejects an unknown VAD and a bad --max-offset as usage errors', async () => {
    const { subs, video } = await lateSubtitles(0);
    expect((await runCaptured(['sync', video, subs, '--vad', 'pyannote'])).code).toBe(2);
    expect((await runCaptured(['sync', video, subs, '--max-offset', 'soon'])).code).toBe(2);
  });
});
