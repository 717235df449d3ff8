import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { formatSrt, formatVtt, InvalidOptionError, OutputError, parseSubtitles, readSubtitleFile, writeSubtitleFile, type Cue } from 'mmalign';
import { tempDir } from '../../helpers/tmp.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../../../fixtures/subtitles/${name}`, import.meta.url));

let dir: string;
beforeEach(() => {
  dir = tempDir('subs');
});

const tricky: Cue[] = [
  { index: 1, start: 0, end: 1.001, text: 'Start at zero' },
  { index: 2, start: 1.1, end: 2.999, text: 'Two\nlines' },
  { index: 3, start: 3599.999, end: 3600, text: 'Across the hour' },
  { index: 4, start: 443045.678, end: 443046, text: 'Tom & Jerry <3 a<b> &amp; {\\an8} <00:00:01.000> x<y and y>z' },
  { index: 5, start: 443047, end: 443047, text: 'Zero-length, 9 --> 10' },
];

describe('writing subtitles', () => {
  it('formats SRT with sequential numbers, HH:MM:SS,mmm times and a blank line between cues', () => {
    expect(formatSrt([tricky[0], tricky[1]])).toBe('1\n00:00:00,000 --> 00:00:01,001\nStart at zero\n\n2\n00:00:01,100 --> 00:00:02,999\nTwo\nlines\n');
  });

  it('formats WebVTT with a header, dotted milliseconds and escaped markup characters', () => {
    expect(formatVtt([{ index: 1, start: 61.5, end: 62, text: 'a < b & c > d' }])).toBe('WEBVTT\n\n00:01:01.500 --> 00:01:02.000\na &lt; b &amp; c &gt; d\n');
  });

  it('round-trips cues through SRT text unchanged, including markup-like text', () => {
    const back = parseSubtitles(formatSrt(tricky));
    expect(back.format).toBe('srt');
    expect(back.cues).toEqual(tricky);
  });

  it('round-trips cues through WebVTT text unchanged, including markup-like text', () => {
    const back = parseSubtitles(formatVtt(tricky));
    expect(back.format).toBe('vtt');
    expect(back.cues).toEqual(tricky);
  });

  it('round-trips a fixture file SRT -> WebVTT -> SRT to the same bytes', async () => {
    const original = await readFile(fixture('roundtrip.srt'), 'utf8');
    const vtt = formatVtt(parseSubtitles(original).cues);
    expect(formatSrt(parseSubtitles(vtt).cues)).toBe(original);
  });

  it('leaves plain "<" and "&" as written in SRT, escaping only what would read as markup', () => {
    expect(formatSrt([{ index: 1, start: 0, end: 1, text: 'a < b & c, x<y, <i>not a tag</i>' }])).toContain('a < b & c, x<y, &lt;i>not a tag&lt;/i>\n');
  });

  it('rounds times to whole milliseconds when writing', () => {
    expect(formatSrt([{ index: 1, start: 1.0004, end: 1.0006, text: 'x' }])).toContain('00:00:01,000 --> 00:00:01,001');
  });

  it('refuses to format a cue that ends before it starts', () => {
    expect(() => formatSrt([{ index: 1, start: 2, end: 1, text: 'x' }])).toThrow(InvalidOptionError);
  });

  it('refuses to format a cue with a negative start', () => {
    expect(() => formatVtt([{ index: 1, start: -1, end: 1, text: 'x' }])).toThrow(InvalidOptionError);
  });

  it('writes a file in the format its extension names and reads back the same cues', async () => {
    const out = path.join(dir, 'movie.vtt');
    await writeSubtitleFile(out, tricky);
    expect((await readFile(out, 'utf8')).startsWith('WEBVTT\n')).toBe(true);
    expect((await readSubtitleFile(out)).cues).toEqual(tricky);
  });

  it('writes the format given explicitly whatever the extension', async () => {
    const out = path.join(dir, 'movie.txt');
    await writeSubtitleFile(out, tricky, 'srt');
    expect((await readSubtitleFile(out)).format).toBe('srt');
  });

  it('refuses a file name whose extension names no format when none is given', async () => {
    await expect(writeSubtitleFile(path.join(dir, 'movie.txt'), tricky)).rejects.toBeInstanceOf(InvalidOptionError);
    expect(await readdir(dir)).toEqual([]);
  });

  it('leaves an existing file untouched and no temp file behind when a cue is invalid', async () => {
    const out = path.join(dir, 'keep.srt');
    await writeFile(out, 'precious');
    await expect(writeSubtitleFile(out, [{ index: 1, start: 3, end: 1, text: 'bad' }])).rejects.toBeInstanceOf(InvalidOptionError);
    expect(await readFile(out, 'utf8')).toBe('precious');
    expect(await readdir(dir)).toEqual(['keep.srt']);
  });

  it('reports a missing output folder as an OutputError naming the path, leaving nothing behind', async () => {
    const out = path.join(dir, 'no-such-folder', 'movie.srt');
    const err = await writeSubtitleFile(out, tricky).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutputError);
    expect((err as OutputError).path).toBe(out);
    expect(await readdir(dir)).toEqual([]);
  });
});
