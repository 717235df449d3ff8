import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { readSubtitleFile } from 'mmalign';
import { terminalSafe } from '../../src/commands/terminal.js';
import { runCaptured } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const repo = (p: string): string => fileURLToPath(new URL(`../../${p}`, import.meta.url));

const cli = (...argv: string[]) => runCaptured(argv);

let dir: string;
beforeEach(() => {
  dir = tempDir('cli');
});

describe('mmalign subtitles', () => {
  it('prints a table of cues and exits 0', async () => {
    const r = await cli('subtitles', repo('fixtures/subtitles/basic.srt'));
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[1]).toMatch(/^1\s+00:00:01\.000\s+00:00:03\.000\s+Hello, and welcome\.$/);
    expect(r.stdout.trim().split('\n')).toHaveLength(4);
  });

  it('prints the cues as a JSON array on stdout and the warnings on stderr with --json', async () => {
    const file = repo('fixtures/subtitles/malformed.srt');
    const r = await cli('subtitles', file, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual((await readSubtitleFile(file)).cues);
    expect(r.stderr).toContain('malformed.srt:6');
    expect(r.stderr).toContain('malformed.srt:10');
  });

  it('converts to WebVTT on stdout with --to vtt', async () => {
    const r = await cli('subtitles', repo('fixtures/subtitles/basic.srt'), '--to', 'vtt');
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nHello, and welcome.\n')).toBe(true);
  });

  it('writes the converted file with --output, in the format its extension names', async () => {
    const out = path.join(dir, 'basic.vtt');
    const r = await cli('subtitles', repo('fixtures/subtitles/windows-1252.srt'), '--output', out);
    expect(r.code).toBe(0);
    const back = await readSubtitleFile(out);
    expect(back.format).toBe('vtt');
    expect(back.encoding).toBe('utf-8');
    expect(back.cues[0].text).toContain('café');
  });

  it('exits 1 naming the file when it does not exist', async () => {
    const r = await cli('subtitles', path.join(dir, 'nope.srt'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('nope.srt');
    expect(r.stdout).toBe('');
  });

  it('exits 1 with the line when a WebVTT file lacks its header', async () => {
    const r = await cli('subtitles', repo('fixtures/subtitles/no-header.vtt'), '--json');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no-header\.vtt:1: .*WEBVTT/);
  });

  it('exits 2 for an unknown --to format', async () => {
    expect((await cli('subtitles', repo('fixtures/subtitles/basic.srt'), '--to', 'ass')).code).toBe(2);
  });

  it('exits 2 when --json and --to compete for stdout', async () => {
    expect((await cli('subtitles', repo('fixtures/subtitles/basic.srt'), '--json', '--to', 'srt')).code).toBe(2);
  });

  it('exits 2 without a file argument', async () => {
    expect((await cli('subtitles')).code).toBe(2);
  });

  it('prints help and exits 0 with --help', async () => {
    const r = await cli('subtitles', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--json');
    expect(r.stdout).toContain('--to <format>');
  });
});

describe('mmalign subtitles with other formats and hostile input', () => {
  it('converts an ASS file to SRT on stdout with --to srt, and the SRT reads back as the same cues', async () => {
    const source = repo('fixtures/subtitles/sample.ass');
    const r = await cli('subtitles', source, '--to', 'srt');
    expect(r.code).toBe(0);
    const out = path.join(dir, 'back.srt');
    await writeFile(out, r.stdout);
    const speakerless = (await readSubtitleFile(source)).cues.map(({ speaker: _s, ...c }) => c);
    expect((await readSubtitleFile(out)).cues).toEqual(speakerless);
  });

  it('converts TTML to a WebVTT file with -o, keeping the cues', async () => {
    const out = path.join(dir, 'sample.vtt');
    const r = await cli('subtitles', repo('fixtures/subtitles/sample.ttml'), '-o', out);
    expect(r.code).toBe(0);
    expect((await readSubtitleFile(out)).cues).toEqual((await readSubtitleFile(repo('fixtures/subtitles/sample.ttml'))).cues);
  });

  it('times a MicroDVD file with --fps', async () => {
    const r = await cli('subtitles', repo('fixtures/subtitles/microdvd-nofps.sub'), '--fps', '25', '--json');
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { start: number }[]).map((c) => c.start)).toEqual([1, 3]);
  });

  it('exits 1 telling to pass --fps when a MicroDVD file needs it', async () => {
    const r = await cli('subtitles', repo('fixtures/subtitles/microdvd-nofps.sub'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/microdvd-nofps\.sub: .*--fps/);
  });

  it('prints the speaker in --json output when the file names one', async () => {
    const r = await cli('subtitles', repo('fixtures/subtitles/sample.ass'), '--json');
    expect((JSON.parse(r.stdout) as { speaker?: string }[])[0].speaker).toBe('Alice');
  });

  it('exits 1 naming a video passed as the subtitle file', async () => {
    const r = await cli('subtitles', repo('fixtures/subtitles/not-subtitles.srt'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not-subtitles\.srt: looks like an MP4 video/);
  });

  it('refuses a file above --max-subtitle-size', async () => {
    const r = await cli('subtitles', repo('fixtures/subtitles/basic.srt'), '--max-subtitle-size', '0.0001');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/basic\.srt: is \d+ bytes, more than/);
  });

  it('prints the table of a file with 206,000 cues', async () => {
    const file = path.join(dir, 'big.srt');
    const blocks: string[] = [];
    for (let i = 0; i < 206_000; i++) {
      const s = String(i % 60).padStart(2, '0');
      const h = String(Math.floor(i / 3600)).padStart(2, '0');
      const m = String(Math.floor(i / 60) % 60).padStart(2, '0');
      blocks.push(`${i + 1}\n${h}:${m}:${s},000 --> ${h}:${m}:${s},500\nLine ${i + 1}\n`);
    }
    await writeFile(file, blocks.join('\n'));
    const r = await cli('subtitles', file);
    expect(r.code).toBe(0);
    const rows = r.stdout.trimEnd().split('\n');
    expect(rows).toHaveLength(206_001);
    expect(rows[206_000]).toMatch(/^206000\s+57:13:19\.000\s+57:13:19\.500\s+Line 206000$/);
  });

  it('never prints raw control characters from the file on the terminal', async () => {
    const file = path.join(dir, 'evil.srt');
    await writeFile(file, 'junk\u001b]0;PWNED\u0007 before\n00:00:01,000 --> 00:00:02,000\nright-to-left \u202eoverride\n');
    const r = await cli('subtitles', file);
    expect(r.code).toBe(0);
    // eslint-disable-next-line no-control-regex
    expect(r.stdout + r.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(r.stdout).toContain('right-to-left \\u202eoverride');
  });
});

describe('terminalSafe', () => {
  it('shows escape sequences as visible escapes instead of sending them', () => {
    expect(terminalSafe('\u001b]0;PWNED\u0007\u001b[2Jok')).toBe('\\x1b]0;PWNED\\x07\\x1b[2Jok');
  });

  it('shows C1 controls, DEL and bidi overrides as escapes, and keeps line feeds and tabs', () => {
    expect(terminalSafe('a\u0085b\u007fc\u202ed\te\nf')).toBe('a\\x85b\\x7fc\\u202ed\te\nf');
  });

  it('escapes line feeds too when asked for one line', () => {
    expect(terminalSafe('a\nb', { newlines: false })).toBe('a\\x0ab');
  });
});

describe('mmalign align-times', () => {
  const subs = repo('fixtures/subtitles/basic.srt');
  const frames = repo('fixtures/frames.json');

  it('prints each frame with its cue and text, and exits 0', async () => {
    const r = await cli('align-times', '--frames', frames, '--subs', subs);
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split('\n').slice(1);
    expect(rows).toHaveLength(JSON.parse(await readFile(frames, 'utf8')).length);
    expect(rows[2]).toMatch(/^\s*2\s+00:00:01\.000\s+#1\s+0\.000\s+Hello, and welcome\.$/);
    expect(rows[0]).toMatch(/^\s*0\s+00:00:00\.000\s+-\s+-\s*$/);
  });

  it('prints a JSON array with the paired cue and distance with --json', async () => {
    const r = await cli('align-times', '--frames', frames, '--subs', subs, '--json', '--threshold', '0.25');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { frame: number; time: number; cue: { index: number; text: string } | null; distance: number | null }[];
    expect(out[1]).toEqual({ frame: 1, time: 0.5, cue: null, distance: null }); // 0.5 s from cue 1, over 0.25
    expect(out[12]).toEqual({ frame: 12, time: 8, cue: { index: 3, start: 8, end: 10, text: 'It pairs frames with subtitles.' }, distance: 0 });
  });

  it('applies --offset to the cues', async () => {
    const r = await cli('align-times', '--frames', frames, '--subs', subs, '--json', '--offset', '-1', '--threshold', '0');
    const out = JSON.parse(r.stdout) as { cue: { index: number; start: number } | null }[];
    expect(out[0].cue).toEqual(expect.objectContaining({ index: 1, start: 0 }));
  });

  it('accepts frames given as {time} objects', async () => {
    const f = path.join(dir, 'frames.json');
    await writeFile(f, JSON.stringify([{ time: 2 }, { time: 9.5, label: 'x' }]));
    const out = JSON.parse((await cli('align-times', '--frames', f, '--subs', subs, '--json')).stdout) as { cue: { index: number } | null }[];
    expect(out.map((m) => m.cue?.index)).toEqual([1, 3]);
  });

  it('lists the frames of each cue with --by-cue', async () => {
    const r = await cli('align-times', '--frames', frames, '--subs', subs, '--by-cue', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { cue: { index: number }; frames: { frame: number; time: number }[]; distance: number | null }[];
    expect(out.map((g) => g.cue.index)).toEqual([1, 2, 3]);
    expect(out[0].frames).toEqual([
      { frame: 2, time: 1 },
      { frame: 3, time: 2 },
      { frame: 4, time: 3 },
    ]);
  });

  it('gives each cue the one frame nearest its middle with --by-cue --mode middle', async () => {
    const r = await cli('align-times', '--frames', frames, '--subs', subs, '--by-cue', '--mode', 'middle', '--json');
    const out = JSON.parse(r.stdout) as { frames: { time: number }[] }[];
    expect(out.map((g) => g.frames.map((f) => f.time))).toEqual([[2], [5], [9]]);
  });

  it('prints a per-cue table with --by-cue', async () => {
    const r = await cli('align-times', '--frames', frames, '--subs', subs, '--by-cue');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[1]).toMatch(/^#1\s+00:00:01\.000\s+00:00:03\.000\s+0\.000\s+2,3,4\s+Hello, and welcome\.$/);
  });

  it('exits 2 for --mode without --by-cue', async () => {
    expect((await cli('align-times', '--frames', frames, '--subs', subs, '--mode', 'middle')).code).toBe(2);
  });

  it('exits 1 naming the frames file when it is not JSON', async () => {
    const f = path.join(dir, 'bad.json');
    await writeFile(f, '[1, 2,');
    const r = await cli('align-times', '--frames', f, '--subs', subs);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('bad.json');
  });

  it('exits 1 naming the item when a frame has no numeric time', async () => {
    const f = path.join(dir, 'frames.json');
    await writeFile(f, JSON.stringify([1, { t: 2 }]));
    const r = await cli('align-times', '--frames', f, '--subs', subs);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/frames\.json: item 1/);
  });

  it('exits 1 when the frames file is missing', async () => {
    const r = await cli('align-times', '--frames', path.join(dir, 'none.json'), '--subs', subs);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('none.json');
  });

  it('exits 1 when the subtitle file cannot be used', async () => {
    const r = await cli('align-times', '--frames', frames, '--subs', repo('fixtures/subtitles/empty.srt'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('empty.srt');
  });

  it('exits 2 when --subs is missing', async () => {
    const r = await cli('align-times', '--frames', frames);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--subs');
  });

  it('exits 2 for a negative or non-numeric --threshold', async () => {
    expect((await cli('align-times', '--frames', frames, '--subs', subs, '--threshold', '-1')).code).toBe(2);
    expect((await cli('align-times', '--frames', frames, '--subs', subs, '--threshold', 'abc')).code).toBe(2);
  });

  it('prints help and exits 0 with --help', async () => {
    const r = await cli('align-times', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--threshold <seconds>');
    expect(r.stdout).toContain('--offset <seconds>');
  });
});
