import type { Command } from 'commander';
import { MmalignError } from '../core/errors/index.js';
import type { Logger } from '../core/progress.js';
import type { Warning } from '../core/types.js';

/**
 * Where a command writes. Injected so tests can capture output without spawning a process.
 */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Aborted when the process is told to stop (SIGINT, SIGTERM); its reason is an InterruptedError. */
  signal?: AbortSignal;
}

export const processIo: CliIo = { stdout: process.stdout, stderr: process.stderr };

// The runs whose command hands `io.signal` to its work, and so stops cleanly when it is aborted.
const unwinding = new WeakSet<CliIo>();

/**
 * The signal a command hands its long work (alignVideo, syncSubtitles). Asking for it tells the CLI
 * that this command stops cleanly when interrupted, so the CLI waits for it to unwind (staging
 * removed, locks released) before exiting; a command that never asks is ended at once.
 *
 * @example
 * await alignVideo(video, subs, { out, signal: interruptSignal(io) });
 */
export function interruptSignal(io: CliIo): AbortSignal | undefined {
  unwinding.add(io);
  return io.signal;
}

/** Whether the command running with `io` asked for {@link interruptSignal}. */
export function unwindsOnInterrupt(io: CliIo): boolean {
  return unwinding.has(io);
}

/** A subcommand module adds itself to the program; one file per command keeps cli.ts a table of contents. */
export type RegisterCommand = (program: Command, io: CliIo) => void;

/** Prints a value as one JSON document on stdout (the `--json` contract: stdout is machine-readable only). */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

// Lines already written per output, so a notice reached by two paths (say, the device fallback
// heard by both the knowledge base's encoders and the align pipeline's) is printed once per run.
const printed = new WeakMap<CliIo, Set<string>>();

function warnOnce(io: CliIo, line: string): void {
  let seen = printed.get(io);
  if (!seen) printed.set(io, (seen = new Set()));
  if (seen.has(line)) return;
  seen.add(line);
  io.stderr.write(line);
}

/** Warnings always go to stderr so `--json` stdout stays parseable; an identical line is printed once. */
export function printWarnings(io: CliIo, warnings: readonly Warning[]): void {
  for (const w of warnings) {
    const where = w.file ? `${w.file}${w.line !== undefined ? `:${w.line}` : ''}: ` : '';
    warnOnce(io, `warning: ${where}${w.message}\n`);
  }
}

/**
 * The logger commands hand to encoders and the pipeline: notices become `warning:` lines on stderr,
 * each printed once per run; with `verbose`, details (which device `auto` picked and why) become
 * `mmalign:` lines.
 *
 * @example
 * const enc = await createEncoder('text', { logger: cliLogger(io, { verbose: flags.verbose }) });
 */
export function cliLogger(io: CliIo, { verbose = false }: { verbose?: boolean } = {}): Logger {
  return {
    warn: (message: string) => warnOnce(io, `warning: ${message}\n`),
    ...(verbose ? { info: (message: string) => warnOnce(io, `mmalign: ${message}\n`) } : {}),
  };
}

/** Parses a number option eagerly so a typo fails as usage (exit 2), not deep inside the work. */
export function parseNumberOption(name: string, min?: number): (raw: string) => number {
  return (raw: string) => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || (min !== undefined && n < min)) {
      const err = new MmalignError(
        `Invalid value for ${name}: ${JSON.stringify(raw)}. Expected a number${min !== undefined ? ` >= ${min}` : ''}.`,
        { code: 'INVALID_OPTION', exitCode: 2 },
      );
      throw err;
    }
    return n;
  };
}
