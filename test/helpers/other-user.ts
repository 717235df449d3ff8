/**
 * Running mmalign as a user who may not write the test's files. Root ignores file permissions, so when
 * the tests run as root the child drops to `nobody` (setpriv); otherwise it runs as the current user,
 * for whom a chmod already applies. Read-only mounts need root and `mount`: {@link canMount}.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const NOBODY = 65534;

export const RUNNING_AS_ROOT = process.getuid?.() === 0;

/**
 * Runs `mmalign ARGS` in a child process as a user without write access to what the test made
 * read-only (see the file comment). Resolves with the exit code and what it printed.
 *
 * @example
 * const r = await runCliAsOtherUser(['kb', 'versions', '--kb', dir, '--json']);
 */
export function runCliAsOtherUser(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let cmd = process.execPath;
  let argv = ['--import', 'tsx', CLI, ...args];
  if (RUNNING_AS_ROOT) {
    if (spawnSync('setpriv', ['--version']).error) throw new Error('these tests run as root and need setpriv (util-linux) to drop to an unprivileged user');
    // A checkout inside a 0700 folder (`mktemp -d`) is out of the other user's reach: say so, rather
    // than fail on the child's "cannot find module".
    if (spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'test', '-r', CLI]).status !== 0) {
      throw new Error(`the other user (uid ${NOBODY}) cannot read ${CLI}: make the folders above the checkout world-searchable (chmod o+x) to run these tests`);
    }
    argv = [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', cmd, ...argv];
    cmd = 'setpriv';
  }
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd: dirname(dirname(CLI)), env: { ...process.env, HOME: tmpdir() }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Lets the other user into `dir` (temp folders are created 0700). */
export function openToOthers(dir: string): void {
  chmodSync(dir, 0o755);
}

/** Makes a folder and the files in it read-only for everyone but root. */
export function makeReadOnly(dir: string, files: readonly string[]): void {
  for (const f of files) chmodSync(join(dir, f), 0o444);
  chmodSync(dir, 0o555);
}

/** True where this process may bind-mount a folder read-only (root with CAP_SYS_ADMIN). */
export function canMount(): boolean {
  if (!RUNNING_AS_ROOT) return false;
  // Not tempDir(): this runs while a test file is collected (to decide skipIf), outside any test.
  const probe = mkdtempSync(join(tmpdir(), 'mmalign-mount-probe-'));
  try {
    const ok = spawnSync('mount', ['--bind', probe, probe]).status === 0;
    if (ok) spawnSync('umount', [probe]);
    return ok;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

/**
 * Bind-mounts `source` read-only at `target` (an empty folder); returns the unmount. Only where
 * {@link canMount}.
 */
export function mountReadOnly(source: string, target: string): () => void {
  const run = (cmd: string, args: string[]): void => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  };
  run('mount', ['--bind', source, target]);
  run('mount', ['-o', 'remount,bind,ro', target]);
  return () => run('umount', [target]);
}

/** A tmpfs of `sizeKb` mounted at `target`; returns the unmount. Root only (see {@link canMount}). */
export function mountTmpfs(target: string, sizeKb: number): () => void {
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k`, 'tmpfs', target], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mount tmpfs failed: ${r.stderr}`);
  return () => void spawnSync('umount', [target]);
}
