/**
 * Atomic writes, the one way mmalign puts a file in place: write a temp file next to the target,
 * fsync it, rename it over the target, fsync the folder. Readers see the old content or the new,
 * never a prefix, and a crash leaves at most a temp file that {@link removeStaleTemps} recognises.
 *
 * Temp names follow one scheme: `.<name>.tmp-<pid>-<8 hex>` for files and `.<name>.partial-<pid>-<8 hex>`
 * for staging folders, in the target's own folder (a rename across filesystems would not be atomic).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { OutputError } from './errors/index.js';

/** `tmp`: a file being written; `partial`: a folder being filled. */
export type TempKind = 'tmp' | 'partial';

const TEMP_NAME = /^\.(.+)\.(tmp|partial)-(\d+)-[0-9a-f]{8}$/;

/**
 * A fresh temp name for `target`, in the same folder.
 *
 * @example
 * tempPathFor('/out/run.json'); // '/out/.run.json.tmp-4242-9f86d081'
 */
export function tempPathFor(target: string, kind: TempKind = 'tmp'): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${kind}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/**
 * What a temp name stands for, or null when the name is not one of ours.
 *
 * @example
 * parseTempName('.run.json.tmp-4242-9f86d081'); // { target: 'run.json', kind: 'tmp', pid: 4242 }
 */
export function parseTempName(name: string): { target: string; kind: TempKind; pid: number } | null {
  const m = TEMP_NAME.exec(name);
  return m ? { target: m[1], kind: m[2] as TempKind, pid: Number(m[3]) } : null;
}

/**
 * Whether a process with this pid runs on this machine (one of another user counts).
 *
 * @example
 * processAlive(process.pid); // true
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A failed read or write in words a user can act on.
 *
 * @example
 * describeFsError(Object.assign(new Error('...'), { code: 'ENOENT' }), 'write'); // 'the folder does not exist; create it first'
 */
export function describeFsError(err: unknown, verb: 'read' | 'write'): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return verb === 'read' ? 'no such file; check the path' : 'the folder does not exist; create it first';
    case 'EISDIR':
      return `is a directory, not a file`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied; cannot ${verb} it`;
    default:
      return `cannot ${verb} it: ${err instanceof Error ? err.message : String(err)}`;
  }
}

// Some filesystems (and Windows) refuse to fsync a folder; the rename is still atomic there.
async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r').catch(() => null);
  if (!fh) return;
  try {
    await fh.sync();
  } catch {
    // see above
  } finally {
    await fh.close();
  }
}

function fsyncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // see fsyncDir
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

async function fsyncFile(file: string): Promise<void> {
  const fh = await open(file, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function fsyncFileSync(file: string): void {
  const fd = openSync(file, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Lets `write` produce the file at a temp path (for writers that want a path: streams, native
 * libraries), then fsyncs it and renames it over `file`. If `write` throws, the temp file is removed
 * and its error goes to the caller unchanged; a failed fsync or rename is an {@link OutputError}.
 *
 * @example
 * await withAtomicFile('model.onnx', async (tmp) => { await streamGraphTo(tmp); });
 */
export async function withAtomicFile<T>(file: string, write: (tmp: string) => Promise<T>): Promise<T> {
  const tmp = tempPathFor(file);
  let result: T;
  try {
    result = await write(tmp);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  try {
    await fsyncFile(tmp);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new OutputError(file, describeFsError(err, 'write'), err);
  }
  await fsyncDir(path.dirname(file));
  return result;
}

/**
 * {@link withAtomicFile} for synchronous writers (a native library's `writeSync`).
 *
 * @example
 * withAtomicFileSync('vectors.3.hnsw', (tmp) => hnsw.writeIndexSync(tmp));
 */
export function withAtomicFileSync<T>(file: string, write: (tmp: string) => T): T {
  const tmp = tempPathFor(file);
  let result: T;
  try {
    result = write(tmp);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  try {
    fsyncFileSync(tmp);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new OutputError(file, describeFsError(err, 'write'), err);
  }
  fsyncDirSync(path.dirname(file));
  return result;
}

/**
 * Replaces `file` with `data` atomically. Any failure is an {@link OutputError} naming `file`, and
 * leaves the old file as it was and no temp file behind.
 *
 * @example
 * await writeFileAtomic('out/run.json', JSON.stringify(run, null, 2) + '\n');
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await withAtomicFile(file, async (tmp) => {
    try {
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(data);
      } finally {
        await fh.close();
      }
    } catch (err) {
      throw new OutputError(file, describeFsError(err, 'write'), err);
    }
  });
}

/**
 * Creates an empty staging folder next to `target` (`.<name>.partial-<pid>-<hex>`), to fill and then
 * move into place with {@link replaceWithStaged}.
 *
 * @example
 * const staging = await makeStagingDir('out/frames');
 */
export async function makeStagingDir(target: string): Promise<string> {
  await mkdir(path.dirname(target), { recursive: true });
  const dir = tempPathFor(target, 'partial');
  await mkdir(dir);
  return dir;
}

/**
 * Moves a finished file or folder over `target`: a file replaces the old one atomically; a folder
 * replaces the old folder, which is removed first (a folder cannot be renamed over a non-empty one).
 * Both must be on one filesystem, as a staging path next to the target is.
 *
 * @example
 * await replaceWithStaged(staging, 'out/frames');
 */
export async function replaceWithStaged(staged: string, target: string): Promise<void> {
  try {
    if ((await stat(staged)).isDirectory()) await rm(target, { recursive: true, force: true });
    await rename(staged, target);
  } catch (err) {
    throw new OutputError(target, describeFsError(err, 'write'), err);
  }
  await fsyncDir(path.dirname(target));
}

/**
 * Removes the temp files and staging folders in `dir` that a killed or crashed writer left behind:
 * names in the temp scheme whose process is gone. A live process's temps are left alone, so this is
 * safe to run while another process writes into the same folder. Returns the names (removed, or
 * that would be with `dryRun`).
 *
 * @example
 * removeStaleTemps('out'); // ['.run.json.tmp-4242-9f86d081']
 */
export function removeStaleTemps(dir: string, { dryRun = false }: { dryRun?: boolean } = {}): string[] {
  if (!existsSync(dir)) return [];
  const stale: string[] = [];
  for (const name of readdirSync(dir)) {
    const temp = parseTempName(name);
    if (!temp || processAlive(temp.pid)) continue;
    if (!dryRun) rmSync(path.join(dir, name), { recursive: true, force: true });
    stale.push(name);
  }
  return stale;
}
