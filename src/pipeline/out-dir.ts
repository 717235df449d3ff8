/**
 * The output folder DIR, which mmalign owns only where it wrote it:
 * - `DIR/.mmalign-out.json` lists the top-level names an align run created (write-ahead: a name is
 *   listed before it is written), and `frames/.mmalign-frames.json` lists every frame. A folder
 *   that is neither empty nor written by mmalign, or that holds a file where mmalign would write or
 *   remove one, is refused before anything in it is touched ({@link OutputNotOwnedError}).
 *   Entries mmalign did not write and never touches (notes.txt next to an owned dataset) stay.
 * - `DIR/.mmalign-out.lock` is the writer lock: a second run into the same DIR fails at once with
 *   {@link OutputLockedError} instead of mixing its files with the first run's.
 * - A run that fails removes the folder if it created it; an existing folder keeps its last complete run.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { environmentError, OutputError, OutputLockedError, OutputNotOwnedError } from '../core/errors/index.js';
import { parseTempName, removeStaleTemps, writeFileAtomic } from '../core/fs.js';
import { acquireLock, lockHolder, type HeldLock } from '../core/lock.js';
import { FRAMES_MANIFEST } from './frames/manifest.js';
import { SIDE_FILES } from './stages/export.js';

/** The ownership marker. */
export const OUT_MARKER = '.mmalign-out.json';
/** The writer lock. */
export const OUT_LOCK = '.mmalign-out.lock';
/** Top-level names an align run writes or removes (SIDE_FILES of the export stage at the end). */
export const OUTPUT_NAMES: readonly string[] = Object.freeze([
  'frames',
  'pairs.jsonl',
  'train.jsonl',
  'dev.jsonl',
  'dataset_info.json',
  'embeddings.f32',
  'embeddings.json',
  'run.json',
  ...SIDE_FILES,
]);
/** Written into an align folder by other mmalign commands (`mmalign report`); align never touches them. */
const OTHER_COMMANDS = new Set(['report.html']);
/** Files an OS drops into any folder; never touched, never a reason to refuse. */
const OS_FILES = new Set(['.DS_Store', 'Thumbs.db', 'desktop.ini']);
const MARKER_VERSION = 1;

interface Marker {
  version: number;
  tool: string;
  /** Top-level names mmalign created in DIR. */
  files: string[];
}

/** An output folder held by this run. */
export interface OutputFolder {
  readonly dir: string;
  readonly framesDir: string;
  /**
   * Lists, before they are written, the top-level names this run will create, so a crash never
   * leaves a file of ours that the marker does not name.
   */
  claim(names: readonly string[]): Promise<void>;
  /** Records the names of ours that exist now (after the run); the marker then lists exactly those. */
  settle(): Promise<void>;
  /** Releases the lock; after a failure also removes the folder if this run created it. */
  close(succeeded: boolean): Promise<void>;
}

/** Entries that are never a reason to refuse a folder: our lock and temp files, OS litter. */
function ignorable(name: string): boolean {
  return name === OUT_LOCK || OS_FILES.has(name) || parseTempName(name) !== null;
}

async function readMarker(dir: string): Promise<Marker | null> {
  try {
    const m = JSON.parse(await readFile(path.join(dir, OUT_MARKER), 'utf8')) as Partial<Marker>;
    if (m.version !== MARKER_VERSION || !Array.isArray(m.files) || !m.files.every((f) => typeof f === 'string')) return null;
    return { version: m.version, tool: String(m.tool ?? ''), files: m.files };
  } catch {
    return null;
  }
}

/** A folder an mmalign before the marker wrote: a run.json of ours next to the files it names. */
async function isLegacyOutput(dir: string): Promise<boolean> {
  try {
    const run = JSON.parse(await readFile(path.join(dir, 'run.json'), 'utf8')) as { version?: unknown; options?: unknown; files?: { pairs?: unknown } };
    return run.version === 1 && typeof run.options === 'object' && run.options !== null && typeof run.files?.pairs === 'string' && path.basename(run.files.pairs) === 'pairs.jsonl';
  } catch {
    return false;
  }
}

/** The frame files the frames manifest lists (any manifest version), or null when it does not read. */
async function listedFrames(framesDir: string): Promise<Set<string> | null> {
  try {
    const m = JSON.parse(await readFile(path.join(framesDir, FRAMES_MANIFEST), 'utf8')) as { frames?: { file?: unknown }[] };
    if (!Array.isArray(m.frames)) return null;
    return new Set(m.frames.map((f) => String(f.file)));
  } catch {
    return null;
  }
}

/**
 * What in DIR this run may not touch, and which names are ours. `foreign` is empty when the run may go on.
 * Read-only: nothing is written.
 */
async function inspect(dir: string): Promise<{ owned: Set<string>; foreign: string[] }> {
  const entries = (await readdir(dir)).filter((n) => n !== OUT_MARKER && !ignorable(n)).sort();
  const marker = await readMarker(dir);
  let owned: Set<string>;
  let foreign: string[];
  if (marker) {
    owned = new Set(marker.files.filter((f) => OUTPUT_NAMES.includes(f)));
    // Names we would write or remove but did not create: the user's, even if they look like ours.
    foreign = entries.filter((n) => OUTPUT_NAMES.includes(n) && !owned.has(n));
  } else if (entries.length === 0) {
    owned = new Set();
    foreign = [];
  } else if (await isLegacyOutput(dir)) {
    owned = new Set(entries.filter((n) => OUTPUT_NAMES.includes(n)));
    foreign = entries.filter((n) => !OUTPUT_NAMES.includes(n) && !OTHER_COMMANDS.has(n));
  } else {
    // Neither empty nor ours: mmalign does not move in next to someone's files.
    return { owned: new Set(), foreign: entries };
  }
  // frames/ is replaced as a whole when the frames are redone: everything in it must be a frame we listed.
  if (owned.has('frames')) {
    const framesDir = path.join(dir, 'frames');
    const st = await stat(framesDir).catch(() => null);
    if (st && !st.isDirectory()) foreign.push('frames');
    else if (st) {
      const listed = (await listedFrames(framesDir)) ?? new Set<string>();
      for (const n of (await readdir(framesDir)).sort()) {
        if (n !== FRAMES_MANIFEST && !listed.has(n) && !OS_FILES.has(n)) foreign.push(`frames/${n}`);
      }
    }
  }
  return { owned, foreign };
}

function refuse(dir: string, foreign: readonly string[]): never {
  throw new OutputNotOwnedError(dir, foreign.slice(0, 5), foreign.length);
}

function writeError(dir: string, err: unknown): Error {
  const env = environmentError(err, dir, 'preparing the output folder');
  if (env && env.code === 'DISK_FULL') return env;
  const code = (err as NodeJS.ErrnoException).code;
  const why =
    code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
      ? 'is not writable (permission denied or read-only); choose another --out'
      : code === 'ENOTDIR'
        ? 'cannot be created: a parent path is a file'
        : `cannot be created or written: ${(err as Error).message}`;
  return new OutputError(dir, why, err);
}

/**
 * Opens DIR for one align run: creates it if missing, refuses it if it holds files mmalign did not
 * write, takes its writer lock, and removes what an interrupted run left (temp files, staging
 * folders of dead processes). Nothing in an existing folder is changed before all checks pass.
 *
 * @example
 * const folder = await openOutputFolder('/data/out', { purpose: 'align talk.mp4' });
 * let ok = false;
 * try { await folder.claim(['pairs.jsonl']); ...; await folder.settle(); ok = true; } finally { await folder.close(ok); }
 */
export async function openOutputFolder(out: string, { purpose = 'align' }: { purpose?: string } = {}): Promise<OutputFolder> {
  const st = await stat(out).catch(() => null);
  if (st && !st.isDirectory()) throw new OutputError(out, 'exists and is not a folder; pass a folder path to --out');
  const lockFile = path.join(out, OUT_LOCK);
  const lockedError = (file: string, holder: { pid: number | null; host: string | null; purpose: string | null }, waited: number) =>
    new OutputLockedError(out, file, holder, waited);
  if (st) {
    // Read-only first: a refused folder gets not even a lock file.
    const { foreign } = await inspect(out);
    if (foreign.length > 0) {
      // Mid-run, another run's folder can look foreign for a moment (frames being swapped): say what it is.
      const holder = lockHolder(lockFile);
      if (holder) throw lockedError(lockFile, holder, 0);
      refuse(out, foreign);
    }
  }
  let created: string | null = null;
  let lock: HeldLock;
  try {
    created = (await mkdir(out, { recursive: true })) ?? null;
    lock = await acquireLock(lockFile, { timeoutMs: 0, purpose, lockedError });
  } catch (err) {
    // Never remove a folder another run holds, even one this run created a moment before it.
    if (err instanceof OutputLockedError) throw err;
    if (created) await rm(created, { recursive: true, force: true });
    throw writeError(out, err);
  }
  let owned: Set<string>;
  try {
    // Again under the lock: the folder may have changed between the first look and the lock.
    const again = await inspect(out);
    if (again.foreign.length > 0) refuse(out, again.foreign);
    owned = again.owned;
    removeStaleTemps(out);
  } catch (err) {
    lock.release();
    throw err;
  }

  const writeMarker = async (files: Iterable<string>) => {
    const marker: Marker = { version: MARKER_VERSION, tool: 'mmalign align', files: [...new Set(files)].sort() };
    await writeFileAtomic(path.join(out, OUT_MARKER), JSON.stringify(marker, null, 1) + '\n');
  };
  return {
    dir: out,
    framesDir: path.join(out, 'frames'),
    async claim(names) {
      for (const n of names) owned.add(n);
      await writeMarker(owned);
    },
    async settle() {
      await writeMarker(OUTPUT_NAMES.filter((n) => existsSync(path.join(out, n))));
    },
    async close(succeeded) {
      if (succeeded || !created) {
        lock.release();
        return;
      }
      // Empty the folder this run created while still holding its lock, then let go and remove the
      // (now empty) folders: a run that takes the lock in between keeps its folder.
      for (const name of await readdir(out).catch(() => [] as string[])) {
        if (name !== OUT_LOCK) await rm(path.join(out, name), { recursive: true, force: true });
      }
      lock.release();
      for (let d = out; ; d = path.dirname(d)) {
        try {
          await rmdir(d);
        } catch {
          break; // not empty: someone else's now
        }
        if (d === created || path.dirname(d) === d) break;
      }
    },
  };
}
