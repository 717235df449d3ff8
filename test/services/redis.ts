/**
 * A Redis for the services suite: `MMALIGN_TEST_REDIS_URL` when set, else a `redis-server` started
 * here on a random loopback port (and stopped after). Without either the suite fails, saying how to
 * provide one: a suite that needs a server never passes by skipping.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';

export interface TestRedis {
  url: string;
  stop(): Promise<void>;
}

function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return null;
}

async function ping(url: string, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  let last: unknown = null;
  while (Date.now() < deadline) {
    const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
    r.on('error', () => undefined);
    try {
      await r.connect();
      await r.ping();
      return;
    } catch (err) {
      last = err;
    } finally {
      r.disconnect();
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`Redis at ${url} does not answer: ${(last as Error | null)?.message ?? 'timeout'}`);
}

/** Connects to or starts the suite's Redis. */
export async function startTestRedis(): Promise<TestRedis> {
  const given = process.env.MMALIGN_TEST_REDIS_URL;
  if (given) {
    await ping(given, 10_000);
    return { url: given, stop: async () => {} };
  }
  const bin = onPath('redis-server');
  if (!bin) {
    throw new Error(
      'npm run test:services needs Redis 6.2+: set MMALIGN_TEST_REDIS_URL=redis://127.0.0.1:6379/0 to a running server, ' +
        'or install redis-server (Debian: apt-get install redis-server) so the suite can start one on a loopback port.',
    );
  }
  const port = 20000 + Math.floor(Math.random() * 40000);
  const child: ChildProcess = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}/0`;
  try {
    await ping(url, 10_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    url,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
