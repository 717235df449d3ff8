import { describe, expect, it } from 'vitest';
import { parseSubtitles } from 'mmalign';
import { read, readError } from './fixture.js';

describe('WebVTT cue text, as the spec builds it', () => {
  it('drops unknown tags and an unterminated tag with the rest of the payload', async () => {
    expect((await read('vtt-cue-text.vtt')).cues[0].text).toBe('Unknown tag and');
  });

  it('decodes the full HTML5 entity set, including legacy forms without a semicolon', async () => {
    expect((await read('vtt-cue-text.vtt')).cues[1].text).toBe('∲ ∉ & no semicolon, ¬ it');
  });

  it('keeps the text of an <rt> that is not inside <ruby>', async () => {
    expect((await read('vtt-cue-text.vtt')).cues[2].text).toBe('ruby text outside ruby');
  });

  it('drops ruby annotations inside <ruby> and karaoke timestamps', async () => {
    expect((await read('vtt-cue-text.vtt')).cues[3].text).toBe('漢字 with karaoke');
  });

  it('keeps the <v> annotation as the cue speaker', async () => {
    expect((await read('vtt-cue-text.vtt')).cues[4]).toMatchObject({ text: 'Voice with a class', speaker: 'Mary Ann' });
  });

  it('replaces NUL with U+FFFD as the WebVTT parser does', async () => {
    expect((await read('vtt-nul.vtt')).cues[0].text).toBe('nul\ufffdinside');
  });

  it('builds the tree like a browser: an end tag closes only the element that is open', () => {
    const doc = parseSubtitles('WEBVTT\n\n00:00.000 --> 00:01.000\n<ruby>base<rt><b>note</rt></ruby>after\n');
    expect(doc.cues[0].text).toBe('base');
  });
});

describe('WebVTT timings, as the spec reads them', () => {
  it('skips cues whose times the spec rejects (two fraction digits, one-digit minutes, a comma), warning for each', async () => {
    const doc = await read('vtt-strict-times.vtt');
    expect(doc.cues.map((c) => c.text)).toEqual(['valid', 'valid without hours']);
    expect(doc.warnings.map((w) => w.line)).toEqual([6, 9, 12]);
  });

  it('reads settings glued to the end time, as the spec does', () => {
    const doc = parseSubtitles('WEBVTT\n\n00:00.000 --> 00:01.000line:40%\nGlued\n');
    expect(doc.cues[0]).toMatchObject({ start: 0, end: 1, text: 'Glued' });
  });

  it('ends a cue at a line containing "-->" and reads that line as the next cue', () => {
    const doc = parseSubtitles('WEBVTT\n\n00:00.000 --> 00:01.000\none\n00:02.000 --> 00:03.000\ntwo\n');
    expect(doc.cues.map((c) => [c.start, c.text])).toEqual([
      [0, 'one'],
      [2, 'two'],
    ]);
  });

  it('refuses a file whose WEBVTT signature is not on its very first line, naming that line', async () => {
    const err = await readError('vtt-late-signature.vtt');
    expect(err.line).toBe(2);
    expect(err.reason).toMatch(/must start with the line "WEBVTT"/);
  });
});
