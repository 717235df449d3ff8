import { describe, expect, it } from 'vitest';
import { parseSubtitles, SubtitleParseError } from 'mmalign';
import { read, readError } from './fixture.js';

describe('ASS/SSA', () => {
  it('reads Dialogue lines, skipping Comment lines and drawing-only events', async () => {
    const doc = await read('sample.ass');
    expect(doc.format).toBe('ass');
    expect(doc.cues.map((c) => [c.start, c.end])).toEqual([
      [1, 3.5],
      [4, 5.25],
      [62.05, 64.1],
    ]);
  });

  it('strips override blocks and turns \\N and \\n into line breaks and \\h into a no-break space', async () => {
    const doc = await read('sample.ass');
    expect(doc.cues[0].text).toBe('Hello, Bob.\nHow are you?');
    expect(doc.cues[1].text).toBe('Fine,\u00a0thanks, and you?\nGood.');
  });

  it('keeps commas inside the Text field', async () => {
    expect((await read('sample.ass')).cues[2].text).toBe('A line, with commas, in its text');
  });

  it('keeps the Name field as the speaker', async () => {
    const doc = await read('sample.ass');
    expect(doc.cues.map((c) => c.speaker)).toEqual(['Alice', 'Bob', undefined]);
  });

  it('reads the fields in the order the Format line gives them', async () => {
    const doc = await read('shuffled-format.ass');
    expect(doc.cues).toEqual([{ index: 1, start: 1, end: 2, text: 'Fields in another order, too', speaker: 'Narrator' }]);
  });

  it('reads an SSA v4 script the same way', async () => {
    const doc = await read('sample.ssa');
    expect(doc.cues).toEqual([{ index: 1, start: 10.5, end: 12, text: 'An SSA v4 line', speaker: 'Carol' }]);
  });
});

describe('YouTube SBV', () => {
  it('reads time lines and multi-line text, with [br] as a line break', async () => {
    const doc = await read('sample.sbv');
    expect(doc.format).toBe('sbv');
    expect(doc.cues.map((c) => [c.start, c.end, c.text])).toEqual([
      [0.5, 2, 'Welcome to the channel.'],
      [2, 4.75, '>> Today we bake bread,\nand it is easy.'],
      [65.1, 67, 'Line with a\nconverter break'],
    ]);
  });
});

describe('TTML/DFXP', () => {
  it('reads tick times using ttp:tickRate and collapses XML whitespace', async () => {
    expect((await read('sample.ttml')).cues[0]).toMatchObject({ start: 1, end: 2.5, text: 'Ticks: one second to two and a half' });
  });

  it('reads clock times with frames using ttp:frameRate, flattening nested spans and keeping <br/> as a line break', async () => {
    expect((await read('sample.ttml')).cues[1]).toMatchObject({ start: 3.48, end: 4, text: 'Frames: nested twice\nand a break' });
  });

  it('reads an offset begin with a dur', async () => {
    expect((await read('sample.ttml')).cues[2]).toMatchObject({ start: 5, end: 6.5 });
  });

  it('counts a paragraph times from the begin of its div', async () => {
    expect((await read('sample.ttml')).cues[3]).toMatchObject({ start: 62, end: 63.5, text: 'Counted from its div' });
  });

  it('makes one cue per timed span of a paragraph that has no times of its own', async () => {
    const cues = (await read('sample.ttml')).cues.slice(4);
    expect(cues.map((c) => [c.start, c.end, c.text])).toEqual([
      [70, 71, 'Timed span one'],
      [71, 72, 'Timed span two'],
    ]);
  });

  it('reads the old DFXP namespace with clock times', async () => {
    const doc = await read('sample.dfxp');
    expect(doc.format).toBe('ttml');
    expect(doc.cues).toEqual([{ index: 1, start: 1.2, end: 3.4, text: 'Old DFXP namespace,\nclock times' }]);
  });

  it('refuses XML that is not well formed, naming the line', async () => {
    const err = await readError('broken.ttml');
    expect(err.line).toBe(2);
    expect(err.reason).toMatch(/not well-formed XML/);
  });

  it('refuses XML whose root is not <tt>, naming the root', () => {
    expect(() => parseSubtitles('<?xml version="1.0"?><rss><channel/></rss>')).toThrow(/root is <rss>/);
  });
});

describe('MicroDVD', () => {
  it('honours a {1}{1}23.976 first line as the frame rate', async () => {
    const doc = await read('microdvd-header.sub');
    expect(doc.format).toBe('microdvd');
    expect(doc.cues[0]).toEqual({ index: 1, start: 1.001, end: 3.003, text: 'First line\nsecond line' });
  });

  it('ends a cue with an empty end frame at the next cue', async () => {
    expect((await read('microdvd-header.sub')).cues[1]).toMatchObject({ start: 4.004, end: 5.005, text: 'Open end' });
  });

  it('refuses a file without a frame-rate line when no fps is given, saying to pass --fps', async () => {
    const err = await readError('microdvd-nofps.sub');
    expect(err).toBeInstanceOf(SubtitleParseError);
    expect(err.message).toContain('microdvd-nofps.sub');
    expect(err.reason).toMatch(/--fps/);
  });

  it('times frames with the fps option when the file does not give one', async () => {
    const doc = await read('microdvd-nofps.sub', { fps: 25 });
    expect(doc.cues.map((c) => [c.start, c.end, c.text])).toEqual([
      [1, 2, 'No frame-rate line\nhere'],
      [3, 4, 'Second'],
    ]);
  });

  it('prefers the file frame-rate line to the fps option, with a warning', async () => {
    const doc = await read('microdvd-header.sub', { fps: 25 });
    expect(doc.cues[0].start).toBe(1.001);
    expect(doc.warnings[0].message).toMatch(/23\.976 fps/);
  });
});
