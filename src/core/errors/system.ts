/**
 * Failures of the machine rather than of the input: a full disk, a read-only or forbidden folder.
 * Every writer maps the raw errno / SQLite code to one of these with {@link environmentError}, so a
 * user sees the path and what to do instead of `ENOSPC` and a stack trace.
 */
import { MmalignError } from './base.js';

/** The disk (or quota) filled up while writing `path`. */
export class DiskFullError extends MmalignError {
  readonly path: string;
  /** What mmalign was doing, e.g. `writing frames`. */
  readonly action: string;
  constructor(path: string, action: string, cause?: unknown) {
    super(
      `${path}: no space left on the device while ${action}. Free some space (or write somewhere else) and run the ` +
        'command again; what was complete before is intact and is reused.',
      { code: 'DISK_FULL', cause },
    );
    this.path = path;
    this.action = action;
  }
}

/** The signals that stop a command, and the exit status a shell expects for each (128 + the signal number). */
export const INTERRUPT_EXIT_CODES = Object.freeze({ SIGINT: 130, SIGTERM: 143 } as const);
export type InterruptSignal = keyof typeof INTERRUPT_EXIT_CODES;

/**
 * The user (Ctrl-C) or the system (SIGTERM) stopped the work. Whatever was complete stays; the
 * command's own atomic writes mean nothing half-written is left as if it were whole.
 */
export class InterruptedError extends MmalignError {
  readonly signal: InterruptSignal;
  constructor(signal: InterruptSignal) {
    super(`interrupted by ${signal}; what was complete is kept: run the same command again to finish.`, {
      code: 'INTERRUPTED',
      exitCode: INTERRUPT_EXIT_CODES[signal],
    });
    this.signal = signal;
  }
}

/** A location mmalign must write to but may not: permissions, or a read-only filesystem. */
export class NotWritableError extends MmalignError {
  readonly path: string;
  readonly action: string;
  /** True for a read-only filesystem or database (EROFS, SQLITE_READONLY), false for missing permission. */
  readonly readOnly: boolean;
  constructor(path: string, action: string, readOnly: boolean, cause?: unknown) {
    super(
      `${path}: cannot write here while ${action}: ${readOnly ? 'the filesystem or file is read-only' : 'permission denied'}. ` +
        (readOnly ? 'Copy it to a writable place, or remount it read-write.' : 'Fix the permissions, or run as a user who may write there.'),
      { code: 'NOT_WRITABLE', cause },
    );
    this.path = path;
    this.action = action;
    this.readOnly = readOnly;
  }
}

/** Another mmalign process is writing into the same output folder. */
export class OutputLockedError extends MmalignError {
  readonly dir: string;
  readonly lockFile: string;
  readonly holderPid: number | null;
  readonly holderHost: string | null;
  readonly waitedMs: number;
  constructor(dir: string, lockFile: string, holder: { pid: number | null; host: string | null; purpose: string | null }, waitedMs: number) {
    const who = holder.pid === null ? 'another process' : `process ${holder.pid}${holder.host ? ` on ${holder.host}` : ''}`;
    super(
      `${dir}: ${who} is writing into this output folder${holder.purpose ? ` (${holder.purpose})` : ''}. ` +
        'Wait for it to finish or choose another --out; two runs into one folder would mix their files. ' +
        `If that process is gone, delete ${lockFile}.`,
      { code: 'OUTPUT_LOCKED' },
    );
    this.dir = dir;
    this.lockFile = lockFile;
    this.holderPid = holder.pid;
    this.holderHost = holder.host;
    this.waitedMs = waitedMs;
  }
}

const DISK_FULL = new Set(['ENOSPC', 'EDQUOT', 'EFBIG', 'SQLITE_FULL']);
const FORBIDDEN = new Set(['EACCES', 'EPERM']);
const READ_ONLY = new Set(['EROFS', 'SQLITE_READONLY', 'SQLITE_READONLY_DBMOVED', 'SQLITE_READONLY_DIRECTORY', 'SQLITE_READONLY_RECOVERY', 'SQLITE_READONLY_CANTINIT', 'SQLITE_READONLY_CANTLOCK']);

/** The errno or SQLite code of an error (or of its cause chain), if any. */
export function systemErrorCode(err: unknown): string | null {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (/^E[A-Z]+$/.test(code) || code.startsWith('SQLITE_'))) return code;
  }
  return null;
}

/**
 * The mmalign error for an environment failure (disk full, permission, read-only), or null when `err`
 * is something else and should be handled (or rethrown) as it is.
 *
 * @example
 * try { await writeFile(f, data); } catch (err) { throw environmentError(err, f, 'writing frames') ?? err; }
 */
export function environmentError(err: unknown, path: string, action: string): MmalignError | null {
  if (err instanceof MmalignError && !(err.cause && systemErrorCode(err.cause))) return null;
  const code = systemErrorCode(err);
  if (code === null) return null;
  if (DISK_FULL.has(code)) return new DiskFullError(path, action, err);
  if (READ_ONLY.has(code)) return new NotWritableError(path, action, true, err);
  if (FORBIDDEN.has(code)) return new NotWritableError(path, action, false, err);
  return null;
}
