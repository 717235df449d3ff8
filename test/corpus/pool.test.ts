import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerCrashedError } from '../../src/core/errors/index.js';
import { RemoteError } from '../../src/corpus/errors.js';
import { ProcessPool } from '../../src/corpus/pool.js';
import type { PoolTestTask } from './fixtures/pool-child.js';

const CHILD = fileURLToPath(new URL('./fixtures/pool-child.ts', import.meta.url));
const PARENT = fileURLToPath(new URL('./fixtures/pool-parent.ts', import.meta.url));

let pool: ProcessPool<PoolTestTask, { pid: number; value: number; start?: number; end?: number }> | null = null;
afterEach(async () => {
  await pool?.destroy();
  pool = null;
});

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('process pool', () => {
  it('runs tasks on as many child processes as its size, at the same time', async () => {
    pool = new ProcessPool({ module: CHILD, size: 2 });
    const [a, b] = await Promise.all([pool.run({ op: 'sleep', ms: 1500 }), pool.run({ op: 'sleep', ms: 1500 })]);
    expect(a.pid).not.toBe(b.pid);
    expect([a.pid, b.pid]).not.toContain(process.pid);
    // The two sleeps overlapped in time.
    expect(a.start! < b.end! && b.start! < a.end!).toBe(true);
  });

  it('queues tasks beyond its size and answers each with its own result', async () => {
    pool = new ProcessPool({ module: CHILD, size: 2 });
    const values = await Promise.all(Array.from({ length: 6 }, (_, i) => pool!.run({ op: 'echo', value: i })));
    expect(values.map((v) => v.value)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(new Set(values.map((v) => v.pid)).size).toBeLessThanOrEqual(2);
  });

  it('hands back a task error with its code and whether a retry can help', async () => {
    pool = new ProcessPool({ module: CHILD, size: 1 });
    const err = await pool.run({ op: 'fail' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect(err).toMatchObject({ name: 'SubtitleParseError', code: 'SUBTITLE_PARSE', retryable: false, message: '/data/a.srt:3: bad time' });
  });

  it('fails only the task whose child died, and replaces the child for the next task', async () => {
    pool = new ProcessPool({ module: CHILD, size: 1 });
    const first = await pool.run({ op: 'echo', value: 1 });
    const err = await pool.run({ op: 'crash' }, 'video v1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerCrashedError);
    expect((err as WorkerCrashedError).message).toMatch(/video v1 \(exit code 3\)/);
    const next = await pool.run({ op: 'echo', value: 2 });
    expect(next.value).toBe(2);
    expect(next.pid).not.toBe(first.pid);
  });

  it('ends its children on close', async () => {
    pool = new ProcessPool({ module: CHILD, size: 2 });
    const pids = (await Promise.all([pool.run({ op: 'sleep', ms: 300 }), pool.run({ op: 'sleep', ms: 300 })])).map((r) => r.pid);
    await pool.close();
    pool = null;
    expect(pids.some(alive)).toBe(false);
  });

  it('loses its children when its own process is killed with SIGKILL', async () => {
    const parent = spawn(process.execPath, ['--import', 'tsx', PARENT], { stdio: ['ignore', 'pipe', 'inherit'] });
    const childPid = await new Promise<number>((resolve, reject) => {
      let out = '';
      parent.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /child (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      parent.on('exit', () => reject(new Error(`parent exited early: ${out}`)));
    });
    expect(alive(childPid)).toBe(true);
    parent.kill('SIGKILL');
    const deadline = Date.now() + 10_000;
    while (alive(childPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(alive(childPid)).toBe(false);
  });
});
