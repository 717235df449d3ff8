import { spawn, type ChildProcess } from 'node:child_process';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/cli.js';
import type { CliIo } from '../../src/commands/shared.js';

/** CLI output captured in memory: pass it to `runCli` as the io, then read `out()` / `err()`. */
export function captureIo(): CliIo & { out: () => string; err: () => string } {
  let o = '';
  let e = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, cb) {
        append(String(chunk));
        cb();
      },
    });
  return { stdout: sink((s) => (o += s)), stderr: sink((s) => (e += s)), out: () => o, err: () => e };
}

/** Runs `mmalign ARGS` in-process and returns its exit code and what it printed. */
export async function runCaptured(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = captureIo();
  const code = await runCli(args, io);
  return { code, stdout: io.out(), stderr: io.err() };
}

/** The CLI's source, for tests that run it as a real process (`node --import tsx CLI ...`). */
export const CLI_SOURCE = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

export interface CliProcess {
  child: ChildProcess;
  /** What it has printed on stderr so far. */
  stderr(): string;
  /** Resolves when it has exited, with its status (null when killed by a signal) and all it printed. */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/**
 * Runs `mmalign ARGS` as a child process (signals, pipes and exit codes are the point of such
 * tests), with `env` added to this process's environment.
 *
 * @example
 * const run = spawnCli(['align', video, subs, '--out', out]);
 * run.child.kill('SIGINT');
 * expect((await run.done).code).toBe(130);
 */
export function spawnCli(args: readonly string[], { env = {} }: { env?: NodeJS.ProcessEnv } = {}): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_SOURCE, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout: out, stderr: err })),
  );
  return { child, stderr: () => err, done };
}
