import { linkSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { KbLockedError } from './errors/index.js';
import { LOCK_TIMEOUT_MS } from './defaults.js';
import { processAlive, tempPathFor } from './fs.js';

/** Who holds a lock, as written in the lock file. */
export interface LockHolder {
  pid: number;
  host: string;
  /** ms since epoch. */
  since: number;
  /** What the holder is doing, e.g. `sync /data/photos`. */
  purpose: string;
}

/** A held lock; release it exactly once (a second call is harmless). */
export interface HeldLock {
  readonly file: string;
  readonly holder: LockHolder;
  release(): void;
}

export interface LockOptions {
  /** How long to wait for another holder before failing with {@link KbLockedError} (default 10 s; 0 = try once). */
  timeoutMs?: number;
  /** Poll interval while waiting (default 50 ms). */
  pollMs?: number;
  purpose?: string;
  clock?: () => number;
  /**
   * The error to throw when the wait runs out; default {@link KbLockedError} (the knowledge base's writer
   * lock). Other owners (an align output folder) name their own resource.
   */
  lockedError?: (file: string, holder: { pid: number | null; host: string | null; since: number | null; purpose: string | null }, waitedMs: number) => Error;
}

function readHolder(file: string): LockHolder | null {
  try {
    const h = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockHolder>;
    if (typeof h.pid !== 'number' || typeof h.host !== 'string' || typeof h.since !== 'number') return null;
    return { pid: h.pid, host: h.host, since: h.since, purpose: typeof h.purpose === 'string' ? h.purpose : '' };
  } catch {
    return null;
  }
}

/**
 * Takes an exclusive writer lock: a file created atomically (written in full to a temp name, then
 * hard-linked into place, which fails if it exists), holding pid, host and start time. A lock whose
 * process is dead on this host is stale and taken over; otherwise we poll until `timeoutMs` and then
 * throw {@link KbLockedError} naming the holder.
 *
 * @example
 * const lock = await acquireLock('/data/kb/writer.lock', { timeoutMs: 5000, purpose: 'sync' });
 * try { ... } finally { lock.release(); }
 */
export async function acquireLock(
  file: string,
  { timeoutMs = LOCK_TIMEOUT_MS, pollMs = 50, purpose = '', clock = Date.now, lockedError }: LockOptions = {},
): Promise<HeldLock> {
  const started = clock();
  const me: LockHolder = { pid: process.pid, host: hostname(), since: started, purpose };
  for (;;) {
    me.since = clock();
    const tmp = tempPathFor(file);
    writeFileSync(tmp, JSON.stringify(me));
    let got = false;
    try {
      linkSync(tmp, file);
      got = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        rmSync(tmp, { force: true });
        throw err;
      }
    } finally {
      rmSync(tmp, { force: true });
    }
    if (got) {
      let released = false;
      return {
        file,
        holder: { ...me },
        release() {
          if (released) return;
          released = true;
          // Only remove our own lock: if it was (wrongly) taken over, leave the new holder's file alone.
          const h = readHolder(file);
          if (h && h.pid === me.pid && h.since === me.since && h.host === me.host) rmSync(file, { force: true });
        },
      };
    }
    const holder = readHolder(file);
    if (holder && holder.host === me.host && !processAlive(holder.pid)) {
      // The holder died (crash, SIGKILL) without releasing. Remove only if the file is still that holder's.
      const again = readHolder(file);
      if (again && again.pid === holder.pid && again.since === holder.since) rmSync(file, { force: true });
      continue;
    }
    if (holder === null) {
      // Unreadable lock file (not ours: we never write one partially). Treat as stale once it is old.
      let age = 0;
      try {
        const { mtimeMs } = statSync(file);
        age = Date.now() - mtimeMs;
      } catch {
        continue; // vanished meanwhile
      }
      if (age > 5_000) {
        rmSync(file, { force: true });
        continue;
      }
    }
    const waited = clock() - started;
    if (waited >= timeoutMs) {
      const who = { pid: holder?.pid ?? null, host: holder?.host ?? null, since: holder?.since ?? null };
      throw lockedError ? lockedError(file, { ...who, purpose: holder?.purpose ?? null }, waited) : new KbLockedError(file, who, waited);
    }
    await sleep(Math.min(pollMs, Math.max(1, timeoutMs - waited)));
  }
}

/**
 * Who holds the lock now, or null (stale locks of dead processes count as free).
 *
 * @example
 * const h = lockHolder('/data/kb/writer.lock'); if (h) console.log(`busy: pid ${h.pid}`);
 */
export function lockHolder(file: string): LockHolder | null {
  const h = readHolder(file);
  if (!h) return null;
  if (h.host === hostname() && !processAlive(h.pid)) return null;
  return h;
}
