/** DIR belongs to mmalign only where mmalign wrote it, and to one run at a time. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { OutputLockedError, OutputNotOwnedError } from '../../src/core/errors/index.js';
import { defaultBinary } from '../../src/core/ffmpeg/index.js';
import { alignVideo } from '../../src/pipeline/index.js';
import { OUT_LOCK, OUT_MARKER } from '../../src/pipeline/out-dir.js';
import { captureIo } from '../helpers/cli.js';
import { SAMPLE_MP4, SAMPLE_SRT } from '../helpers/media.js';
import { tempDir } from '../helpers/tmp.js';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

let dir: string;
beforeEach(() => {
  dir = tempDir('out-folder');
});

/** Every file in a folder tree with its content, to prove nothing changed. */
async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out[path.relative(root, p)] = (await readFile(p)).toString('base64');
    }
  };
  await walk(root);
  return out;
}

async function readJsonl(file: string): Promise<Record<string, unknown>[]> {
  return (await readFile(file, 'utf8')).trimEnd().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Checks that a folder holds one complete, self-consistent run: every dataset line's frame exists, run.json counts match. */
async function expectConsistentRun(out: string): Promise<void> {
  const run = JSON.parse(await readFile(path.join(out, 'run.json'), 'utf8')) as { frames: number; pairs: number };
  const jpgs = (await readdir(path.join(out, 'frames'))).filter((n) => /^t\d{6}\.\d{3}\.jpg$/.test(n));
  expect(jpgs).toHaveLength(run.frames);
  const pairs = await readJsonl(path.join(out, 'pairs.jsonl'));
  expect(pairs).toHaveLength(run.pairs);
  for (const p of pairs) expect(existsSync(p.frame as string), p.frame as string).toBe(true);
  const records = [...(await readJsonl(path.join(out, 'train.jsonl'))), ...(await readJsonl(path.join(out, 'dev.jsonl')))];
  expect(records).toHaveLength(run.pairs);
}

describe('a folder holding files mmalign did not write', () => {
  it('is refused with exit 1 and one line naming those files, and nothing in it changes', async () => {
    const out = path.join(dir, 'out');
    await mkdir(path.join(out, 'frames'), { recursive: true });
    await writeFile(path.join(out, 'frames', 'holiday.jpg'), 'my holiday');
    await writeFile(path.join(out, 'dev.jsonl'), '{"mine":true}\n');
    const before = await snapshot(out);
    const io = captureIo();
    expect(await runCli(['align', SAMPLE_MP4, SAMPLE_SRT, '--out', out, '--no-embed'], io)).toBe(1);
    const err = io.err().trim();
    expect(err.split('\n')).toHaveLength(1);
    expect(err).toMatch(/holds files mmalign did not write \(dev\.jsonl, frames.*\); nothing was changed\. Choose an empty or new --out folder/);
    expect(err).not.toMatch(/\n\s+at /);
    expect(await snapshot(out)).toEqual(before);
    expect(await readdir(out)).toEqual(['dev.jsonl', 'frames']);
  });

  it('names the files inside frames/ when mmalign owns the folder but not them, and keeps them', async () => {
    const out = path.join(dir, 'out');
    await alignVideo(SAMPLE_MP4, SAMPLE_SRT, { out, embed: false });
    await writeFile(path.join(out, 'frames', 'holiday.jpg'), 'my holiday');
    const err = await alignVideo(SAMPLE_MP4, SAMPLE_SRT, { out, embed: false, mode: 'cue' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutputNotOwnedError);
    expect((err as OutputNotOwnedError).foreign).toEqual(['frames/holiday.jpg']);
    expect(await readFile(path.join(out, 'frames', 'holiday.jpg'), 'utf8')).toBe('my holiday');
    await expectConsistentRun(out); // the earlier run is intact
  });

  it('refuses a file of the user where a rerun would write one mmalign has not written there', async () => {
    const out = path.join(dir, 'out');
    await alignVideo(SAMPLE_MP4, SAMPLE_SRT, { out, embed: false, format: 'glm4v' });
    await writeFile(path.join(out, 'dataset_info.json'), '{"my":"card"}');
    const err = await alignVideo(SAMPLE_MP4, SAMPLE_SRT, { out, embed: false, format: 'glm41v' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutputNotOwnedError);
    expect((err as OutputNotOwnedError).foreign).toEqual(['dataset_info.json']);
    expect(await readFile(path.join(out, 'dataset_info.json'), 'utf8')).toBe('{"my":"card"}');
  });

  it('leaves alone a file mmalign never writes when it sits next to an output mmalign owns', async () => {
    const out = path.join(dir, 'out');
    await alignVideo(SAMPLE_MP4, SAMPLE_SRT, { out, embed: false });
    await writeFile(path.join(out, 'notes.txt'), 'keep');
    const r = await alignVideo(SAMPLE_MP4, SAMPLE_SRT, { out, embed: false, mode: 'cue' });
    expect(r.frames).toBe(5);
    expect(await readFile(path.join(out, 'notes.txt'), 'utf8')).toBe('keep');
    await expectConsistentRun(out);
  });
});

describe('a folder mmalign owns', () => {
  it('is written into when it exists and is empty, and the marker then lists what the run wrote', async () => {
    const out = path.join(dir, 'out');
    await mkdir(out);
    await alignVideo(SAMPLE_MP4, SAMPLE_SRT, { out, embed: false, format: 'glm41v' });
    const marker = JSON.parse(await readFile(path.join(out, OUT_MARKER), 'utf8')) as { files: string[] };
    expect(marker.files).toEqual(['dataset_info.json', 'dev.jsonl', 'frames', 'pairs.jsonl', 'run.json', 'sync.json', 'train.jsonl']);
    expect(existsSync(path.join(out, OUT_LOCK))).toBe(false); // released
  });

  it('drops from the marker a file the rerun removed, so a user file of that name is not taken for ours later', async () => {
    const out = path.join(dir, 'out');
    await alignVideo(SAMPLE_MP4, SAMPLE_SRT, { out, embed: false, format: 'glm41v' });
    await alignVideo(SAMPLE_MP4, SAMPLE_SRT, { out, embed: false, format: 'glm4v' });
    expect(existsSync(path.join(out, 'dataset_info.json'))).toBe(false);
    const marker = JSON.parse(await readFile(path.join(out, OUT_MARKER), 'utf8')) as { files: string[] };
    expect(marker.files).not.toContain('dataset_info.json');
  });

  it('is resumed when an mmalign from before the marker wrote it', async () => {
    const out = path.join(dir, 'out');
    await alignVideo(SAMPLE_MP4, SAMPLE_SRT, { out, embed: false });
    await rm(path.join(out, OUT_MARKER));
    const r = await alignVideo(SAMPLE_MP4, SAMPLE_SRT, { out, embed: false });
    expect(r.framesReused).toBe(true);
    expect(existsSync(path.join(out, OUT_MARKER))).toBe(true);
  });
});

describe('two runs into one folder', () => {
  it('fails the second with OutputLockedError while the first runs, and the first completes a consistent dataset', async () => {
    const out = path.join(dir, 'out');
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let reachedSink!: () => void;
    const inSink = new Promise<void>((r) => (reachedSink = r));
    const first = alignVideo(SAMPLE_MP4, SAMPLE_SRT, {
      out,
      embed: false,
      fps: 2,
      sink: async () => {
        reachedSink();
        await held; // the first run holds DIR, mid-way, with new frames staged
      },
    });
    await inSink;
    const second = await alignVideo(SAMPLE_MP4, SAMPLE_SRT, { out, embed: false, fps: 0.5 }).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(OutputLockedError);
    expect((second as OutputLockedError).holderPid).toBe(process.pid);
    expect((second as Error).message).toMatch(/is writing into this output folder \(align .*sample\.mp4\)/);
    expect((await readdir(out)).some((n) => n.startsWith('.frames.partial-'))).toBe(true); // the first run's staging survived
    release();
    const r = await first;
    expect(r.frames).toBe(36);
    await expectConsistentRun(out);
  });

  it('runs two CLI processes on one folder: the first writes a consistent dataset, the second exits 1 with one line and no stack trace', async () => {
    const out = path.join(dir, 'out');
    // The first run's ffmpeg starts sampling only once the test says go, so the first run surely holds the folder meanwhile.
    const go = path.join(dir, 'go');
    const slow = path.join(dir, 'slow-ffmpeg');
    await writeFile(slow, `#!/bin/sh\ncase "$*" in *image2pipe*) n=0; while [ ! -e '${go}' ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n+1)); done;; esac\nexec '${defaultBinary('ffmpeg').path}' "$@"\n`, {
      mode: 0o755,
    });
    const run = (fps: string, env: NodeJS.ProcessEnv = {}) => {
      const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'align', SAMPLE_MP4, SAMPLE_SRT, '--out', out, '--no-embed', '--fps', fps], {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, ...env },
      });
      let err = '';
      child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
      return new Promise<{ code: number | null; err: string }>((resolve) => child.on('close', (code) => resolve({ code, err })));
    };
    const first = run('2', { FFMPEG_PATH: slow });
    // The second starts once the first holds the folder (its lock is there), as `align ... &` twice does.
    while (!existsSync(path.join(out, OUT_LOCK))) await new Promise((r) => setTimeout(r, 20));
    const second = await run('0.5');
    await writeFile(go, '');
    expect(second.code).toBe(1);
    expect(second.err.trim().split('\n')).toEqual([expect.stringMatching(/^mmalign: .*out: process \d+ on .* is writing into this output folder \(align .*sample\.mp4\)/)]);
    expect((await first).code).toBe(0);
    await expectConsistentRun(out);
    const run1 = JSON.parse(await readFile(path.join(out, 'run.json'), 'utf8')) as { frames: number };
    expect(run1.frames).toBe(36); // the first run's, at 2 fps
    expect((await readdir(out)).filter((n) => n.includes('.partial-') || n.includes('.tmp-') || n === OUT_LOCK)).toEqual([]);
  }, 120_000);

  it('takes over the lock a killed run left behind', async () => {
    const out = path.join(dir, 'out');
    await alignVideo(SAMPLE_MP4, SAMPLE_SRT, { out, embed: false });
    const dead = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, ['-e', '']);
      child.on('exit', () => resolve(child.pid!));
    });
    await writeFile(path.join(out, OUT_LOCK), JSON.stringify({ pid: dead, host: hostname(), since: Date.now(), purpose: 'align killed.mp4' }));
    const r = await alignVideo(SAMPLE_MP4, SAMPLE_SRT, { out, embed: false });
    expect(r.framesReused).toBe(true);
    expect(existsSync(path.join(out, OUT_LOCK))).toBe(false);
  });
});
