import { describe, expect, it } from 'vitest';
import { formatSrt, formatVtt, parseSubtitles, type Cue } from 'mmalign';
import { read } from './fixture.js';

const SOURCES = ['sample.ass', 'sample.ssa', 'sample.sbv', 'sample.ttml', 'sample.dfxp', 'microdvd-header.sub', 'srt-time-shapes.srt', 'vtt-cue-text.vtt'];

const withoutSpeaker = (cues: readonly Cue[]): Cue[] => cues.map(({ speaker: _speaker, ...rest }) => rest);

describe('converting between formats', () => {
  it.each(SOURCES)('converts %s to WebVTT and reads back the same cues, speakers included', async (name) => {
    const { cues } = await read(name);
    expect(parseSubtitles(formatVtt(cues)).cues).toEqual(cues.map((c, i) => ({ ...c, index: i + 1 })));
  });

  it.each(SOURCES)('converts %s to SRT and reads back the same cues except speakers, which SRT cannot hold', async (name) => {
    const { cues } = await read(name);
    expect(parseSubtitles(formatSrt(cues)).cues).toEqual(withoutSpeaker(cues).map((c, i) => ({ ...c, index: i + 1 })));
  });

  it('writes the speaker as a WebVTT voice tag', () => {
    expect(formatVtt([{ index: 1, start: 0, end: 1, text: 'Hi', speaker: 'A <b> & C' }])).toContain('<v A &lt;b&gt; &amp; C>Hi\n');
  });
});
