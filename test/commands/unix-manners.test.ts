/**
 * The CLI as a process among others: a reader that closes the pipe early, Ctrl-C and SIGTERM in the
 * middle of the work. Each runs the real CLI in a child process (tsx), as a shell would.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultBinary } from '../../src/core/ffmpeg/index.js';
import { OUT_LOCK } from '../../src/pipeline/out-dir.js';
import { CLI_SOURCE, spawnCli } from '../helpers/cli.js';
import { SAMPLE_MP4, SAMPLE_SRT } from '../helpers/media.js';
import { tempDir } from '../helpers/tmp.js';

/** `bash -o pipefail`-free: runs `CMD | READER` and returns mmalign's own exit status and stderr. */
function piped(args: readonly string[], reader: string, dir: string): { status: number; stderr: string; read: string } {
  const err = path.join(dir, 'stderr.txt');
  const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const script = `'${process.execPath}' --import tsx '${CLI_SOURCE}' ${quoted} 2>'${err}' | ${reader}; exit "\${PIPESTATUS[0]}"`;
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
  return { status: r.status ?? -1, stderr: execFileSync('cat', [err], { encoding: 'utf8' }), read: r.stdout };
}

/** A subtitle file whose listing is far bigger than a pipe's 64 KiB buffer. */
async function bigSrt(dir: string): Promise<string> {
  const file = path.join(dir, 'big.srt');
  const t = (s: number) => `${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')},000`;
  await writeFile(file, Array.from({ length: 5000 }, (_, i) => `${i + 1}\n${t(i)} --> ${t(i + 1)}\nline ${i + 1} of a long film, long enough to fill pipes\n`).join('\n'));
  return file;
}

const NO_TRACE = /EPIPE|Error:|\n\s+at /;

describe('a reader that closes the pipe early', { timeout: 120_000 }, () => {
  it('ends `mmalign subtitles big.srt | head -1` quietly with status 0', async () => {
    const dir = tempDir('epipe');
    const r = piped(['subtitles', await bigSrt(dir)], 'head -1', dir);
    expect(r.read.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.stderr).not.toMatch(NO_TRACE);
    expect(r.status).toBe(0);
  });

  it('ends `mmalign embed --text ... | head -c 10` quietly with status 0', () => {
    const dir = tempDir('epipe-embed');
    const r = piped(['embed', '--text', 'a dog on the beach', '--device', 'cpu'], 'head -c 10', dir);
    expect(r.read).toHaveLength(10);
    expect(r.stderr).not.toMatch(NO_TRACE);
    expect(r.status).toBe(0);
  });
});

/**
 * An ffmpeg whose frame-sampling run says it started and then hangs, so a signal surely arrives
 * mid-work; every other call is the real (resolved) ffmpeg.
 */
async function hangingFfmpeg(dir: string): Promise<{ bin: string; started: string }> {
  const bin = path.join(dir, 'ffmpeg');
  const started = path.join(dir, 'sampling-started');
  await writeFile(bin, `#!/bin/sh\ncase "$*" in *image2pipe*) touch '${started}'; exec sleep 60;; esac\nexec '${defaultBinary('ffmpeg').path}' "$@"\n`, { mode: 0o755 });
  return { bin, started };
}

async function waitFor(file: string, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!existsSync(file)) {
    if (Date.now() - t0 > ms) throw new Error(`${file} did not appear within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Names in the output folder that only an unfinished run leaves: staging folders, temp files, the lock. */
async function leftovers(out: string): Promise<string[]> {
  if (!existsSync(out)) return [];
  return (await readdir(out)).filter((n) => n === OUT_LOCK || /\.(partial|tmp)-\d+-/.test(n));
}

// Each test starts the CLI two or three times; on a loaded 2-core machine one tsx start alone can take 10 s.
describe('a signal in the middle of align', { timeout: 180_000 }, () => {
  it('stops on SIGINT with one line and status 130, and the same command then runs to the end', async () => {
    const dir = tempDir('sigint');
    const out = path.join(dir, 'out');
    const { bin, started } = await hangingFfmpeg(dir);
    const args = ['align', SAMPLE_MP4, SAMPLE_SRT, '--out', out, '--no-embed'];
    const run = spawnCli(args, { env: { FFMPEG_PATH: bin } });
    await waitFor(started);
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code).toBe(130);
    const lines = r.stderr.trim().split('\n');
    expect(lines.filter((l) => /interrupted/.test(l))).toEqual(['mmalign: interrupted by SIGINT; what was complete is kept: run the same command again to finish.']);
    expect(lines[lines.length - 1]).toMatch(/^mmalign: interrupted by SIGINT/);
    expect(r.stderr).not.toMatch(/\n\s+at |AbortError/);
    expect(await leftovers(out)).toEqual([]);

    const again = await spawnCli(args).done;
    expect(again.code).toBe(0);
    expect(JSON.parse(await readFile(path.join(out, 'run.json'), 'utf8'))).toMatchObject({ frames: 18 });
  });

  it('stops on SIGTERM with status 143, keeps the previous complete run, and a rerun finishes the new one', async () => {
    const dir = tempDir('sigterm');
    const out = path.join(dir, 'out');
    const first = await spawnCli(['align', SAMPLE_MP4, SAMPLE_SRT, '--out', out, '--no-embed']).done;
    expect(first.code).toBe(0);
    const before = await readFile(path.join(out, 'run.json'), 'utf8');

    const { bin, started } = await hangingFfmpeg(dir);
    const args = ['align', SAMPLE_MP4, SAMPLE_SRT, '--out', out, '--no-embed', '--fps', '2'];
    const run = spawnCli(args, { env: { FFMPEG_PATH: bin } });
    await waitFor(started);
    run.child.kill('SIGTERM');
    const r = await run.done;
    expect(r.code).toBe(143);
    expect(r.stderr.trim().split('\n').pop()).toBe('mmalign: interrupted by SIGTERM; what was complete is kept: run the same command again to finish.');
    expect(await readFile(path.join(out, 'run.json'), 'utf8')).toBe(before);
    expect(await leftovers(out)).toEqual([]);

    const again = await spawnCli(args).done;
    expect(again.code).toBe(0);
    expect(JSON.parse(await readFile(path.join(out, 'run.json'), 'utf8'))).toMatchObject({ frames: 36 });
  });
});
