/**
 * The output folder DIR: checked and created before any output is written, and removed again when
 * a run that created it fails.
 */
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { OutputError } from '../core/errors/index.js';

/**
 * Checks that DIR is (or can become) a writable folder, by creating it and a probe file in it.
 * Returns the top-most folder it created (to remove if the run fails), or null.
 *
 * @example
 * const created = await prepareOutDir('/data/out');
 */
export async function prepareOutDir(out: string): Promise<string | null> {
  const st = await stat(out).catch(() => null);
  if (st && !st.isDirectory()) throw new OutputError(out, 'exists and is not a folder; pass a folder path to --out');
  let created: string | undefined;
  try {
    created = await mkdir(out, { recursive: true });
    const probe = path.join(out, `.write-test-${process.pid}`);
    await writeFile(probe, '');
    await rm(probe, { force: true });
    return created ?? null;
  } catch (err) {
    if (created) await rm(created, { recursive: true, force: true });
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
        ? 'is not writable (permission denied or read-only); choose another --out'
        : code === 'ENOTDIR'
          ? 'cannot be created: a parent path is a file'
          : `cannot be created or written: ${(err as Error).message}`;
    throw new OutputError(out, why, err);
  }
}
