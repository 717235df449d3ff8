/**
 * A disk that fills up during `align`: a DiskFullError with the path and what to do (CLI: exit 1,
 * one line), the previous complete run in DIR left whole, no staging left behind, and a rerun that
 * completes once space is freed. On a real tmpfs where the machine allows it, else on the same limit
 * enforced through node:fs/promises (see test/helpers/small-disk.ts).
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli.js';
import { DiskFullError } from '../../src/core/errors/index.js';
import { alignVideo } from '../../src/pipeline/index.js';
import { OUT_LOCK } from '../../src/pipeline/out-dir.js';
import { captureIo } from '../helpers/cli.js';
import { SAMPLE_MP4, SAMPLE_SRT } from '../helpers/media.js';
import { smallDisk, treeCost } from '../helpers/small-disk.js';
import { tempDir } from '../helpers/tmp.js';
import { constantEncoders } from '../helpers/fake-encoders.js';

vi.mock('node:fs/promises', async (orig) => (await import('../helpers/small-disk.js')).quotaFs(await orig()));

let dir: string;
beforeEach(() => {
  dir = tempDir('disk-full');
});

const fakeEncoders = constantEncoders;

async function readJsonl(file: string): Promise<Record<string, unknown>[]> {
  return (await readFile(file, 'utf8')).trimEnd().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** One complete run with `frames` frames, every dataset line pointing at a frame that exists. */
async function expectCompleteRun(out: string, frames: number): Promise<void> {
  const run = JSON.parse(await readFile(path.join(out, 'run.json'), 'utf8')) as { frames: number; pairs: number };
  expect(run.frames).toBe(frames);
  expect((await readdir(path.join(out, 'frames'))).filter((n) => n.endsWith('.jpg'))).toHaveLength(frames);
  const pairs = await readJsonl(path.join(out, 'pairs.jsonl'));
  expect(pairs).toHaveLength(run.pairs);
  for (const p of pairs) expect(existsSync(p.frame as string)).toBe(true);
}

async function expectNoLeftovers(out: string): Promise<void> {
  expect((await readdir(out)).filter((n) => n.includes('.partial-') || n.includes('.tmp-') || n === OUT_LOCK)).toEqual([]);
}

describe('a disk that fills while frames are written', () => {
  it('fails with one line naming DIR/frames (exit 1), keeps the previous run whole, and completes once space is freed', async () => {
    const disk = smallDisk(4 << 20);
    const out = path.join(disk.dir, 'out');
    await alignVideo(SAMPLE_MP4, SAMPLE_SRT, { out, embed: false, mode: 'cue' });
    disk.leave(disk.cost(200_000)); // 10 fps needs ~180 frames of ~15 kB
    const io = captureIo();
    expect(await runCli(['align', SAMPLE_MP4, SAMPLE_SRT, '--out', out, '--no-embed', '--fps', '10'], io)).toBe(1);
    expect(io.err().trim().split('\n')).toEqual([
      `mmalign: ${path.join(out, 'frames')}: no space left on the device while writing frames. Free some space (or write somewhere else) and run the command again; what was complete before is intact and is reused.`,
    ]);
    await expectCompleteRun(out, 5);
    await expectNoLeftovers(out);

    disk.free();
    expect(await runCli(['align', SAMPLE_MP4, SAMPLE_SRT, '--out', out, '--no-embed', '--fps', '10'], captureIo())).toBe(0);
    await expectCompleteRun(out, 180);
  });
});

describe('a disk that fills while the dataset is written', () => {
  it('fails with DiskFullError naming the file, keeps the previous run whole, and the rerun reuses nothing stale', async () => {
    // How much the new run's frames take, measured on a normal disk with the same sampling.
    const ref = path.join(dir, 'ref');
    await alignVideo(SAMPLE_MP4, SAMPLE_SRT, { out: ref, embed: false, fps: 1 });

    const disk = smallDisk(4 << 20);
    const out = path.join(disk.dir, 'out');
    await alignVideo(SAMPLE_MP4, SAMPLE_SRT, { out, mode: 'cue', createEncoder: fakeEncoders });
    const before = await readFile(path.join(out, 'pairs.jsonl'), 'utf8');
    // Room for the new frames, the lock and the marker, and a little more: never for the dataset
    // (pairs.jsonl alone is ~4 kB, the vectors ~28 kB).
    const frames = treeCost(path.join(ref, 'frames'), disk.cost);
    disk.leave(frames + disk.cost(1000) * 3);

    const err = await alignVideo(SAMPLE_MP4, SAMPLE_SRT, { out, fps: 1, createEncoder: fakeEncoders }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiskFullError);
    expect((err as DiskFullError).path).toMatch(/(pairs|train|dev)\.jsonl$|embeddings\.(f32|json)$/);
    expect((err as Error).message).toMatch(/no space left on the device while writing the dataset/);
    expect(await readFile(path.join(out, 'pairs.jsonl'), 'utf8')).toBe(before);
    await expectCompleteRun(out, 5);
    await expectNoLeftovers(out);

    disk.free();
    const r = await alignVideo(SAMPLE_MP4, SAMPLE_SRT, { out, fps: 1, createEncoder: fakeEncoders });
    expect(r.framesReused).toBe(false);
    await expectCompleteRun(out, 18);
    const index = JSON.parse(await readFile(path.join(out, 'embeddings.json'), 'utf8')) as { rows: { modality: string }[] };
    expect(index.rows.filter((x) => x.modality === 'image')).toHaveLength(new Set((await readJsonl(path.join(out, 'pairs.jsonl'))).map((p) => p.frame)).size);
  });
});
