/** Where align's cues come from besides an SRT/WebVTT file: MicroDVD timed by the video's frame rate, and subtitle streams inside the video. */
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSubtitleFile } from '../../alignment/subtitles/index.js';
import { BitmapSubtitlesError, NoSubtitleStreamError, SubtitleStreamNotFoundError } from '../../src/core/errors/index.js';
import { alignVideo } from '../../src/pipeline/index.js';
import { runCaptured } from '../helpers/cli.js';
import { SAMPLE_FPS, SAMPLE_MP4, SAMPLE_SRT } from '../helpers/media.js';
import { makeSubtitledVideo, srtLines } from '../helpers/subtitle-media.js';
import { sharedTempDir, tempDir } from '../helpers/tmp.js';

const root = sharedTempDir('subtitle-sources');
/** Two text streams (English SRT, French ASS) and a forced English one; a bitmap-only disc rip. */
const MKV = path.join(root, 'movie.mkv');
const PGS_ONLY = path.join(root, 'disc.mkv');
let made = false;
function media(): void {
  if (made) return;
  makeSubtitledVideo(MKV, [
    { srt: srtLines(5, 'Signs'), language: 'eng', title: 'Signs', forced: true },
    { srt: srtLines(5, 'Hello'), language: 'eng', title: 'English', default: true },
    { srt: srtLines(5, 'Bonjour'), language: 'fre', title: 'Français', codec: 'ass' },
  ]);
  makeSubtitledVideo(PGS_ONLY, [{ srt: '', language: 'eng', codec: 'pgs', default: true }]);
  made = true;
}
const texts = async (out: string) => (await readJsonl(path.join(out, 'pairs.jsonl'))).map((p) => p.text);

async function readJsonl(file: string): Promise<Record<string, unknown>[]> {
  return (await readFile(file, 'utf8')).trimEnd().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('MicroDVD subtitles in align', () => {
  it('are timed by the video\'s frame rate when the file gives none, and pair like the same cues in SRT', async () => {
    const dir = tempDir('microdvd');
    const cues = (await readSubtitleFile(SAMPLE_SRT)).cues;
    const sub = path.join(dir, 'sample.sub');
    // Frame numbers of the fixture's 25 fps, and no {1}{1}25 line: only the video can say what they mean.
    await writeFile(sub, cues.map((c) => `{${Math.round(c.start * SAMPLE_FPS)}}{${Math.round(c.end * SAMPLE_FPS)}}${c.text.replace(/\n/g, '|')}`).join('\n') + '\n');
    const fromSub = await alignVideo(SAMPLE_MP4, sub, { out: path.join(dir, 'sub'), embed: false, mode: 'cue', sync: 'off' });
    const fromSrt = await alignVideo(SAMPLE_MP4, SAMPLE_SRT, { out: path.join(dir, 'srt'), embed: false, mode: 'cue', sync: 'off' });
    expect(fromSub.pairs).toBe(fromSrt.pairs);
    const a = await readJsonl(path.join(dir, 'sub', 'pairs.jsonl'));
    const b = await readJsonl(path.join(dir, 'srt', 'pairs.jsonl'));
    const times = (rows: Record<string, unknown>[]) => rows.map((p) => [p.cue_index, p.text, p.frame_time, Math.round((p.start as number) * SAMPLE_FPS), Math.round((p.end as number) * SAMPLE_FPS)]);
    expect(times(a)).toEqual(times(b));
  });
});

describe('subtitle streams inside the video', () => {
  it('are used when align gets no subtitle file: the first text stream that is not forced, kept as embedded-subtitles.srt', async () => {
    media();
    const out = path.join(tempDir('embedded'), 'out');
    const r = await alignVideo(MKV, null, { out, embed: false, mode: 'cue', sync: 'off' });
    expect(r.subtitles).toBe(`${MKV}#stream=1`);
    expect(new Set(await texts(out))).toEqual(new Set([1, 2, 3, 4, 5].map((k) => `Hello ${k}`)));
    expect(r.files.subtitles).toBe(path.join(out, 'embedded-subtitles.srt'));
    expect((await readSubtitleFile(r.files.subtitles!)).cues.map((c) => c.text)).toEqual([1, 2, 3, 4, 5].map((k) => `Hello ${k}`));
    const run = JSON.parse(await readFile(path.join(out, 'run.json'), 'utf8'));
    expect(run.subtitles).toBe(`${MKV}#stream=1`);
    expect(run.subtitleStream).toEqual({ number: 1, index: 3, codec: 'subrip', language: 'eng', title: 'English' });
  });

  it('are chosen by language in any ISO 639 form, and the ASS stream is kept as ASS', async () => {
    media();
    const dir = tempDir('embedded-lang');
    for (const lang of ['fre', 'fr']) {
      const out = path.join(dir, lang);
      const r = await alignVideo(MKV, null, { out, embed: false, mode: 'cue', sync: 'off', subtitleStream: lang });
      expect(r.subtitles).toBe(`${MKV}#stream=2`);
      expect(new Set(await texts(out))).toEqual(new Set([1, 2, 3, 4, 5].map((k) => `Bonjour ${k}`)));
      expect(path.basename(r.files.subtitles!)).toBe('embedded-subtitles.ass');
    }
  });

  it('are chosen by number, counting the subtitle streams from 0', async () => {
    media();
    const out = path.join(tempDir('embedded-number'), 'out');
    const r = await alignVideo(MKV, null, { out, embed: false, mode: 'cue', sync: 'off', subtitleStream: 0 });
    expect(new Set(await texts(out))).toEqual(new Set([1, 2, 3, 4, 5].map((k) => `Signs ${k}`)));
    expect(r.subtitles).toBe(`${MKV}#stream=0`);
  });

  it('removes the copy of the stream when a rerun aligns against a subtitle file instead', async () => {
    media();
    const out = path.join(tempDir('embedded-then-file'), 'out');
    await alignVideo(MKV, null, { out, embed: false, sync: 'off' });
    const srt = path.join(root, 'hello.srt');
    await writeFile(srt, srtLines(5, 'Hello'));
    const r = await alignVideo(MKV, srt, { out, embed: false, sync: 'off' });
    expect(r.files.subtitles).toBeNull();
    expect(existsSync(path.join(out, 'embedded-subtitles.srt'))).toBe(false);
  });

  it('refuses a video whose only subtitles are bitmaps, naming the file and the codec and writing nothing', async () => {
    media();
    const out = path.join(tempDir('embedded-pgs'), 'out');
    const err = await alignVideo(PGS_ONLY, null, { out, embed: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BitmapSubtitlesError);
    expect((err as Error).message).toContain(PGS_ONLY);
    expect((err as Error).message).toMatch(/only bitmap subtitle streams #0 hdmv_pgs_subtitle \(eng\).*needs OCR/);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a language the video does not have, listing the streams it does have', async () => {
    media();
    const err = await alignVideo(MKV, null, { out: path.join(tempDir('embedded-missing'), 'out'), subtitleStream: 'de' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SubtitleStreamNotFoundError);
    expect((err as Error).message).toMatch(/no subtitle stream in language or titled "de".*#2 ass \(fre\)/);
  });

  it('refuses a video without subtitle streams when no subtitle file is given', async () => {
    const out = path.join(tempDir('embedded-none'), 'out');
    await expect(alignVideo(SAMPLE_MP4, null, { out })).rejects.toThrow(NoSubtitleStreamError);
    expect(existsSync(out)).toBe(false);
  });
});

describe('the CLI with subtitle streams', () => {
  it('lists a video\'s subtitle streams with `mmalign subtitles VIDEO --list`', async () => {
    media();
    const table = await runCaptured(['subtitles', MKV, '--list']);
    expect(table.code).toBe(0);
    const rows = table.stdout.trim().split('\n');
    expect(rows).toHaveLength(4);
    expect(rows[2]).toMatch(/^1\s+3\s+subrip\s+text\s+eng\s+default\s+English$/);
    expect(rows[3]).toMatch(/^2\s+4\s+ass\s+text\s+fre\s+-\s+Français$/);
    const json = await runCaptured(['subtitles', PGS_ONLY, '--list', '--json']);
    expect(JSON.parse(json.stdout)).toEqual([{ number: 0, index: 2, codec: 'hdmv_pgs_subtitle', kind: 'bitmap', language: 'eng', title: null, default: true, forced: false }]);
    expect((await runCaptured(['subtitles', PGS_ONLY, '--list'])).stderr).toMatch(/1 subtitle stream\(s\), 0 text \(1 not readable as text: bitmap subtitles need OCR\)/);
  });

  it('prints the cues of one stream with `mmalign subtitles VIDEO --stream LANG`', async () => {
    media();
    const r = await runCaptured(['subtitles', MKV, '--stream', 'fre', '--to', 'srt']);
    expect(r.code).toBe(0);
    expect((await import('../../alignment/subtitles/index.js')).parseSubtitles(r.stdout).cues.map((c) => c.text)).toEqual([1, 2, 3, 4, 5].map((k) => `Bonjour ${k}`));
  });

  it('aligns with `--subtitle-stream` and reports the stream and the sync summary with --json', async () => {
    media();
    const out = path.join(tempDir('embedded-cli'), 'out');
    const r = await runCaptured(['align', MKV, '--subtitle-stream', 'fre', '--out', out, '--no-embed', '--json']);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.subtitles).toBe(`${MKV}#stream=2`);
    expect(summary.sync).toMatchObject({ mode: 'auto' });
    expect(summary.sync.mapping).toMatchObject({ applied: expect.any(Boolean), method: expect.stringMatching(/^(vad-silero|none)$/) });
    expect((await readdir(out)).sort()).toContain('embedded-subtitles.ass');
  });

  it('refuses a bitmap-only video on the command line with the file and codec in the message and exit 1', async () => {
    media();
    const out = path.join(tempDir('embedded-cli-pgs'), 'out');
    const r = await runCaptured(['align', PGS_ONLY, '--out', out, '--no-embed']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(PGS_ONLY);
    expect(r.stderr).toMatch(/hdmv_pgs_subtitle.*OCR/);
    expect(existsSync(out)).toBe(false);
  });
});
