import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { SAMPLE_MP4, SAMPLE_SRT, ffmpegMake } from '../helpers/media.js';
import { captureIo } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

let dir: string;
beforeEach(() => {
  dir = tempDir('bad-input');
});

describe('bad input', () => {
  async function expectFailure(args: string[], out: string, message: RegExp): Promise<void> {
    const io = captureIo();
    const code = await runCli(['align', ...args, '--out', out, '--no-embed'], io);
    expect(code).toBe(1);
    expect(io.err()).toMatch(message);
    expect(io.out()).toBe('');
  }

  it('fails on a missing video, naming it, and writes nothing', async () => {
    const out = path.join(dir, 'out');
    const missing = path.join(dir, 'missing.mp4');
    await expectFailure([missing, SAMPLE_SRT], out, new RegExp(`${missing}: no such file`));
    expect(existsSync(out)).toBe(false);
  });

  it('fails on a file that is not a video', async () => {
    const file = path.join(dir, 'fake.mp4');
    await writeFile(file, 'hello\n');
    const out = path.join(dir, 'out');
    await expectFailure([file, SAMPLE_SRT], out, /fake\.mp4: is not a media file ffmpeg can read/);
    expect(existsSync(out)).toBe(false);
  });

  it('fails on a truncated video and removes the output folder it had created', async () => {
    const file = path.join(dir, 'cut.mp4');
    const bytes = await readFile(SAMPLE_MP4);
    await writeFile(file, bytes.subarray(0, Math.floor(bytes.length * 0.4)));
    const out = path.join(dir, 'out');
    await expectFailure([file, SAMPLE_SRT], out, /cut\.mp4: is truncated or corrupt/);
    expect(existsSync(out)).toBe(false);
  });

  it('fails on an audio-only file', async () => {
    const file = path.join(dir, 'speech.m4a');
    ffmpegMake(['-i', SAMPLE_MP4, '-vn', '-c:a', 'copy', file]);
    const out = path.join(dir, 'out');
    await expectFailure([file, SAMPLE_SRT], out, /speech\.m4a: has no video stream/);
    expect(existsSync(out)).toBe(false);
  });

  it('fails on subtitles that do not parse, naming the file', async () => {
    const subs = path.join(dir, 'junk.srt');
    await writeFile(subs, 'this is not\na subtitle file\n');
    const out = path.join(dir, 'out');
    await expectFailure([SAMPLE_MP4, subs], out, /junk\.srt/);
    expect(existsSync(out)).toBe(false);
  });

  it('fails on subtitles that lie entirely outside the video', async () => {
    const subs = path.join(dir, 'late.srt');
    await writeFile(subs, '1\n00:01:00,000 --> 00:01:02,000\nToo late.\n');
    const out = path.join(dir, 'out');
    await expectFailure([SAMPLE_MP4, subs], out, /late\.srt: every cue .* lies outside the video/);
    expect(existsSync(out)).toBe(false);
  });

  it('fails when --out is a file, leaving the file as it was', async () => {
    const file = path.join(dir, 'taken');
    await writeFile(file, 'keep me');
    await expectFailure([SAMPLE_MP4, SAMPLE_SRT], file, /taken: exists and is not a folder/);
    expect(await readFile(file, 'utf8')).toBe('keep me');
  });

  it('fails when --out cannot be written', async () => {
    // root ignores permission bits, so use a path whose parent is a file (and a read-only folder otherwise).
    const parent = path.join(dir, 'locked');
    await mkdir(parent);
    await chmod(parent, 0o500);
    const file = path.join(dir, 'plain');
    await writeFile(file, '');
    const out = process.getuid?.() === 0 ? path.join(file, 'out') : path.join(parent, 'out');
    await expectFailure([SAMPLE_MP4, SAMPLE_SRT], out, /cannot be created|not writable/);
    await chmod(parent, 0o700);
  });

  it('checks each number once, in alignVideo, with the range it must lie in (exit 2), before anything is written', async () => {
    const out = path.join(dir, 'o');
    for (const [flag, value, expected] of [
      ['--fps', '0', /fps: 0\. Expected a frame rate > 0/],
      ['--per-cue', '0', /per-cue: 0\. Expected an integer from 1 to 100/],
      ['--split', '1.5', /split: 1\.5\. Expected a train fraction from 0 to 1/],
      ['--jpeg-quality', '101', /jpeg-quality: 101\. Expected an integer from 1 to 100/],
      ['--seed', 'x', /--seed: "x"\. Expected a whole number/],
    ] as const) {
      const io = captureIo();
      expect(await runCli(['align', SAMPLE_MP4, SAMPLE_SRT, '--out', out, '--no-embed', flag, value], io), flag).toBe(2);
      expect(io.err()).toMatch(expected);
    }
    expect(existsSync(out)).toBe(false);
  });

  it('rejects an unknown --format as usage (exit 2)', async () => {
    const io = captureIo();
    expect(await runCli(['align', SAMPLE_MP4, SAMPLE_SRT, '--out', path.join(dir, 'o'), '--format', 'llava'], io)).toBe(2);
    expect(io.err()).toMatch(/glm4v, glm41v, pairs/);
  });
});
