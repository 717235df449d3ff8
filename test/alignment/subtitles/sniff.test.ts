import { open } from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { InputFileError, parseSubtitles, readSubtitleFile, SUBTITLE_DEFAULTS } from 'mmalign';
import { fixture, read, readError } from './fixture.js';
import { tempDir } from '../../helpers/tmp.js';

let dir: string;
beforeEach(() => {
  dir = tempDir('sniff');
});

/** A sparse file of `size` bytes that starts with `head` (no disk space is used for the rest). */
async function sparseFile(name: string, head: Buffer, size: number): Promise<string> {
  const file = path.join(dir, name);
  const handle = await open(file, 'w');
  await handle.write(head, 0, head.length, 0);
  await handle.truncate(size);
  await handle.close();
  return file;
}

describe('telling a subtitle file from other files by content', () => {
  it.each([
    ['not-subtitles.png', /looks like a PNG image/],
    ['not-subtitles.sup', /looks like a PGS\/SUP bitmap subtitle.*OCR/],
    ['not-subtitles.srt', /looks like an MP4 video/],
    ['random-bytes.srt', /looks like binary data/],
  ])('refuses %s, saying what it looks like', async (name, reason) => {
    const err = await readError(name);
    expect(err.reason).toMatch(reason);
    expect(err.message).toContain(name);
  });

  it.each([
    ['[ar:Artist]\n[00:01.00]la la\n', /LRC song lyrics/],
    ['<SAMI>\n<BODY><SYNC Start=1000><P>Hi\n', /SAMI/],
    ['<!DOCTYPE html>\n<html><body>page</body></html>\n', /an HTML page/],
    ['{"cues": []}\n', /JSON/],
    ['just some words\nand more words\n', /plain text/],
  ])('refuses text that is no subtitle format (%j), saying what it looks like', (text, reason) => {
    expect(() => parseSubtitles(text)).toThrow(reason);
  });

  it('detects the format from the content, not the file name', async () => {
    const doc = await read('sample.ass');
    expect(doc.format).toBe('ass');
    expect(parseSubtitles('0:00:01.000,0:00:02.000\nhi\n', { file: 'x.srt' }).format).toBe('sbv');
  });
});

describe('the subtitle size cap', () => {
  it('refuses a file larger than the cap before decoding it, naming the file and the option that raises the cap', async () => {
    const text = Buffer.from('1\n00:00:01,000 --> 00:00:02,000\nHello\n\n'.repeat(300));
    const file = await sparseFile('huge.srt', text, 600 * 1024 * 1024);
    const err = await readSubtitleFile(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputFileError);
    expect((err as InputFileError).message).toContain(file);
    expect((err as InputFileError).message).toMatch(/600\.0 MiB, more than the 50\.0 MiB.*--max-subtitle-size/);
  });

  it('refuses a 600 MB video passed as subtitles from its first bytes, saying it is a video', async () => {
    const head = Buffer.alloc(32);
    head.writeUInt32BE(32, 0);
    head.write('ftypisom', 4, 'latin1');
    const file = await sparseFile('movie.srt', head, 600 * 1024 * 1024);
    await expect(readSubtitleFile(file)).rejects.toThrow(/looks like an MP4 video/);
  });

  it('reads a file above a lowered cap only when maxBytes allows it', async () => {
    const small = fixture('basic.srt');
    await expect(readSubtitleFile(small, { maxBytes: 10 })).rejects.toBeInstanceOf(InputFileError);
    expect((await readSubtitleFile(small, { maxBytes: 10_000 })).cues).toHaveLength(3);
  });

  it('documents a default cap of 50 MiB', () => {
    expect(SUBTITLE_DEFAULTS.maxBytes).toBe(50 * 1024 * 1024);
  });
});
