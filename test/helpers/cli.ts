import { Writable } from 'node:stream';
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
