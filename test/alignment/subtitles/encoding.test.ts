import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { parseSubtitles } from 'mmalign';
import { read } from './fixture.js';

describe('decoding short legacy CJK files', () => {
  it('reads a three-character Big5 file as Big5, not as Latin text', async () => {
    const doc = await read('big5-short.srt');
    expect(doc.encoding).toBe('big5');
    expect(doc.cues[0].text).toBe('道德經');
  });

  it('reads a four-character GB18030 file as GB18030', async () => {
    const doc = await read('gb18030-short.srt');
    expect(doc.encoding).toBe('gb18030');
    expect(doc.cues[0].text).toBe('我们走吧');
  });

  it('warns that an encoding guessed from a few characters is a guess, naming the option to fix it', async () => {
    const doc = await read('big5-short.srt');
    expect(doc.warnings).toHaveLength(1);
    expect(doc.warnings[0].message).toMatch(/guessed as big5 from 3 character.*--encoding/);
  });

  it('guesses a longer Big5 cue without a warning', () => {
    const doc = parseSubtitles(iconv.encode('1\n00:00:01,000 --> 00:00:02,000\n我們今天晚上一起去看電影吧，好不好？\n', 'big5'));
    expect(doc.encoding).toBe('big5');
    expect(doc.cues[0].text).toBe('我們今天晚上一起去看電影吧，好不好？');
    expect(doc.warnings).toEqual([]);
  });

  it('decodes with the encoding the caller names, whatever the guess', () => {
    const bytes = iconv.encode('1\n00:00:01,000 --> 00:00:02,000\n道德經\n', 'big5');
    const doc = parseSubtitles(bytes, { encoding: 'gb18030' });
    expect(doc.encoding).toBe('gb18030');
    expect(doc.cues[0].text).toBe('笵紈竒');
    expect(doc.warnings).toEqual([]);
  });
});

describe('decoding Unicode files', () => {
  it('reads UTF-32 little endian with its byte order mark', async () => {
    const doc = await read('utf32le-bom.srt');
    expect(doc.encoding).toBe('utf-32le');
    expect(doc.cues[0].text).toBe('UTF-32 little endian: Ünïcödé');
  });

  it('reads UTF-32 big endian with its byte order mark', async () => {
    const doc = await read('utf32be-bom.srt');
    expect(doc.encoding).toBe('utf-32be');
    expect(doc.cues[0].text).toBe('UTF-32 big endian: Ünïcödé');
  });

  it('reads UTF-16 without a byte order mark, told by its zero bytes', async () => {
    const doc = await read('utf16le-nobom.srt');
    expect(doc.encoding).toBe('utf-16le');
    expect(doc.cues[0].text).toBe('UTF-16 without a byte order mark');
  });
});
