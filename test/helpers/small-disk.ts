/**
 * A small disk for the disk-full tests: a real tmpfs mount where this machine allows it (root with
 * CAP_SYS_ADMIN), else the same limit enforced through `node:fs/promises`, which the test file
 * mocks with {@link quotaFs}:
 *
 *   vi.mock('node:fs/promises', async (orig) => (await import('../helpers/small-disk.js')).quotaFs(await orig()));
 *
 * Either way writes under the disk's folder fail with ENOSPC once it is full, and the code under
 * test cannot tell which it got. This file imports only `node:fs` (sync), never `node:fs/promises`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';

const PAGE = 4096;

/** The simulated disk's limit (bytes still free under `root`); Infinity when no simulated disk is active. */
const quota: { root: string | null; remaining: number } = { root: null, remaining: Infinity };

export interface SmallDisk {
  /** A folder on the small disk. */
  dir: string;
  /** True for a real tmpfs mount, false for the simulated limit. */
  real: boolean;
  /** What a file of `bytes` costs on this disk (tmpfs: whole pages). */
  cost(bytes: number): number;
  /** Leaves exactly `bytes` free (a ballast file on tmpfs). */
  leave(bytes: number): void;
  /** Frees the space taken by {@link leave}. */
  free(): void;
}

let canMount: boolean | null = null;

function tryMount(dir: string, size: number): boolean {
  if (canMount === false) return false;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    canMount = true;
  } catch {
    canMount = false;
  }
  return canMount;
}

/**
 * A disk of `size` bytes, unmounted / lifted when the current test finishes.
 *
 * @example
 * const disk = smallDisk(2 << 20); disk.leave(100_000); // the next 100 kB of writes under disk.dir fit, then ENOSPC
 */
export function smallDisk(size: number): SmallDisk {
  // Not tempDir(): the tmpfs must be unmounted before the folder is removed, so one hook does both in order.
  const root = mkdtempSync(path.join(tmpdir(), 'mmalign-small-disk-'));
  const real = tryMount(root, size);
  const ballast = path.join(root, 'ballast');
  onTestFinished(() => {
    if (real) execFileSync('umount', [root], { stdio: 'ignore' });
    quota.root = null;
    quota.remaining = Infinity;
    rmSync(root, { recursive: true, force: true });
  });
  if (!real) {
    quota.root = root;
    quota.remaining = size;
  }
  const freeBytes = () => {
    const s = statfsSync(root);
    return s.bavail * s.bsize;
  };
  return {
    dir: root,
    real,
    cost: (bytes) => (real ? Math.ceil(bytes / PAGE) * PAGE : bytes),
    leave(bytes) {
      if (!real) {
        quota.remaining = bytes;
        return;
      }
      rmSync(ballast, { force: true });
      const fill = freeBytes() - bytes;
      if (fill < 0) throw new Error(`small disk: only ${freeBytes()} bytes free, cannot leave ${bytes}`);
      writeFileSync(ballast, Buffer.alloc(fill));
      if (freeBytes() !== bytes) throw new Error(`small disk: ${freeBytes()} bytes free after the ballast, wanted ${bytes}`);
    },
    free() {
      if (real) rmSync(ballast, { force: true });
      else quota.remaining = Infinity;
    },
  };
}

/** Sum of what the files in a folder tree cost on a disk. */
export function treeCost(dir: string, cost: (bytes: number) => number): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? treeCost(p, cost) : cost(statSync(p).size);
  }
  return total;
}

function charge(file: unknown, data: unknown): void {
  if (!quota.root || typeof file !== 'string' || !path.resolve(file).startsWith(quota.root + path.sep)) return;
  const bytes = typeof data === 'string' ? Buffer.byteLength(data) : ArrayBuffer.isView(data) ? data.byteLength : 0;
  if (bytes > quota.remaining) {
    throw Object.assign(new Error(`ENOSPC: no space left on device, write '${file}'`), { code: 'ENOSPC', errno: -28, syscall: 'write', path: file });
  }
  quota.remaining -= bytes;
}

type FsPromises = typeof import('node:fs/promises');

/** `node:fs/promises` with the simulated disk's limit applied to `writeFile` and to `open(...).writeFile`. */
export function quotaFs(real: FsPromises): FsPromises {
  const writeFile: FsPromises['writeFile'] = async (file, data, options) => {
    charge(file, data);
    return real.writeFile(file, data, options);
  };
  const open: FsPromises['open'] = async (file, flags, mode) => {
    const fh = await real.open(file, flags, mode);
    return new Proxy(fh, {
      get(target, key) {
        if (key === 'writeFile') {
          return async (data: string | Uint8Array, options?: unknown) => {
            charge(file, data);
            return target.writeFile(data, options as never);
          };
        }
        const value = Reflect.get(target, key) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  };
  const mocked = { ...real, writeFile, open };
  return { ...mocked, default: mocked } as FsPromises;
}
