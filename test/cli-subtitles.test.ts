import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readSubtitleFile } from 'mmalign';
import { runCaptured } from './helpers/cli.js';

const repo = (p: string): string => fileURLToPath(new URL(`../${p}`, import.meta.url));

const cli = (...argv: string[]) => runCaptured(argv);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mmalign-cli-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
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
