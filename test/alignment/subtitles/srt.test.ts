import { describe, expect, it } from 'vitest';
import { parseSubtitles } from 'mmalign';
import { read } from './fixture.js';

describe('SRT cue text across blank lines', () => {
  it('keeps the text after a blank line inside a cue as part of that cue', async () => {
    const doc = await read('srt-blank-inside.srt');
    expect(doc.cues[0].text).toBe('First line of the cue\nsecond paragraph after a blank line');
    expect(doc.warnings).toEqual([]);
  });

  it('keeps a cue whose text follows a blank line right after its time line', async () => {
    const doc = await read('srt-blank-inside.srt');
    expect(doc.cues.map((c) => [c.index, c.text])).toEqual([
      [1, 'First line of the cue\nsecond paragraph after a blank line'],
      [2, '[Music]'],
      [3, 'Last cue'],
    ]);
  });

  it('still skips a numbered block that has no time line, with a warning naming its line', () => {
    const doc = parseSubtitles('1\n00:00:01,000 --> 00:00:02,000\nOne\n\n2\nNo time here\n\n3\n00:00:05,000 --> 00:00:06,000\nThree\n');
    expect(doc.cues.map((c) => c.text)).toEqual(['One', 'Three']);
    expect(doc.warnings.map((w) => w.line)).toEqual([5]);
    expect(doc.warnings[0].message).toMatch(/cue 2 has no .*time line/);
  });
});

describe('SRT tags from OCR and editors', () => {
  it('removes tags with spaces inside them, such as "< i>" and "< /  i >"', async () => {
    expect((await read('srt-ocr-tags.srt')).cues[0].text).toBe('Spaced open and spaced close');
  });

  it('removes unknown tags such as <xyz> and <shout.loud>', async () => {
    expect((await read('srt-ocr-tags.srt')).cues[1].text).toBe('Unknown tag classed');
  });

  it('keeps "<" that is prose rather than a tag', async () => {
    expect((await read('srt-ocr-tags.srt')).cues[2].text).toBe('Maths: x<y and y>z, and 3 < 5');
  });
});

describe('SRT time lines', () => {
  it('reads a file with one hour-less time line as SRT instead of rejecting it', async () => {
    const doc = await read('srt-hourless.srt');
    expect(doc.format).toBe('srt');
    expect(doc.cues.map((c) => [c.start, c.end])).toEqual([
      [0.5, 1.25],
      [2, 3],
    ]);
  });

  it.each([
    [0, 'three-digit seconds', 13.567, 14],
    [1, 'four fraction digits', 28.967, 29.5],
    [2, 'a colon before the milliseconds', 4.609, 5.985],
    [3, 'junk glued after the end time', 60, 80],
    [4, 'full-width colon and comma', 90.25, 91],
    [5, 'spaces standing for zeros', 100.05, 101.05],
    [6, 'a "- >" arrow', 120, 121],
    [7, 'a "-- >" arrow', 122, 123],
  ])('reads cue %i, written with %s', async (i, _shape, start, end) => {
    const doc = await read('srt-time-shapes.srt');
    expect(doc.warnings).toEqual([]);
    expect([doc.cues[i].start, doc.cues[i].end]).toEqual([start, end]);
  });

  it('does not take a one-dash "->" for an arrow', () => {
    const doc = parseSubtitles('1\n00:00:01,000 --> 00:00:02,000\nOk\n\n2\n00:00:03,000 -> 00:00:04,000\nOne dash\n');
    expect(doc.cues).toHaveLength(1);
    expect(doc.warnings[0].message).toMatch(/malformed time line/);
  });
});
