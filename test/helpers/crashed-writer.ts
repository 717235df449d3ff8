/**
 * Leaves a knowledge base the way a writer killed mid-run does: a committed SQLite transaction that
 * sits only in `store.sqlite-wal` (no checkpoint), with its `-shm`, and no clean close.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Runs `sql` on `kbDir/store.sqlite` in a child that SIGKILLs itself right after the commit.
 *
 * @example
 * commitAndCrash(kbDir, "INSERT INTO meta (key, value) VALUES ('crash', '1')");
 */
export function commitAndCrash(kbDir: string, sql: string): void {
  const script = `const D = require('better-sqlite3'); const db = new D(${JSON.stringify(join(kbDir, 'store.sqlite'))});
    db.pragma('wal_autocheckpoint = 0'); db.exec(${JSON.stringify(sql)}); process.kill(process.pid, 'SIGKILL');`;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' });
  if (r.signal !== 'SIGKILL') throw new Error(`the crashing writer did not crash: ${r.stderr}`);
}
