#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { INTERRUPT_EXIT_CODES, InterruptedError, MmalignError, type InterruptSignal } from './core/errors/index.js';
import { PACKAGE } from './core/package.js';
import { processIo, unwindsOnInterrupt, type CliIo, type RegisterCommand } from './commands/shared.js';
import { registerSubtitles } from './commands/subtitles.js';
import { registerAlignTimes } from './commands/align-times.js';
import { registerAlign } from './commands/align.js';
import { registerHeads } from './commands/heads.js';
import { registerModels } from './commands/models.js';
import { registerEmbed } from './commands/embed.js';
import { registerKb } from './commands/kb.js';
import { registerSearch } from './commands/search.js';
import { registerCorpus } from './commands/corpus.js';
import { registerReport } from './commands/report.js';
import { registerSync } from './commands/sync.js';

// One line per subcommand; each module owns its flags, help and output.
const COMMANDS: readonly RegisterCommand[] = [
  registerSubtitles,
  registerAlignTimes,
  registerAlign,
  registerHeads,
  registerModels,
  registerEmbed,
  registerKb,
  registerSearch,
  registerCorpus,
  registerReport,
  registerSync,
];

/**
 * Builds the `mmalign` program. Exported so tests can run commands in-process with captured I/O.
 *
 * @example
 * await buildProgram().parseAsync(['node', 'mmalign', 'subtitles', 'movie.srt', '--json']);
 */
export function buildProgram(io: CliIo = processIo): Command {
  const program = new Command('mmalign')
    .description('Align video frames, audio and subtitles; embed, index and export them as training data.')
    .version(PACKAGE.version)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride();
  for (const register of COMMANDS) register(program, io);
  for (const cmd of program.commands) cmd.exitOverride().configureOutput(program.configureOutput());
  return program;
}

/** Maps any thrown value to an exit status: 0 help/version, 2 usage, 130/143 interrupted, 1 failed work. */
export function exitCodeFor(err: unknown, io: CliIo): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    return 2; // commander already printed the message
  }
  // An interrupted run fails with whatever its work threw on abort (an AbortError from a killed
  // ffmpeg, say): the interruption is what the user needs to hear.
  const reason: unknown = io.signal?.aborted ? io.signal.reason : undefined;
  const error = reason instanceof InterruptedError ? reason : err;
  if (error instanceof MmalignError) {
    io.stderr.write(`mmalign: ${error.message}\n`);
    return error.exitCode;
  }
  const e = error instanceof Error ? error : new Error(String(error));
  io.stderr.write(`mmalign: unexpected error: ${e.stack ?? e.message}\n`);
  return 1;
}

/** Runs the CLI and resolves to the exit status instead of exiting, so it can be tested. */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  try {
    await buildProgram(io).parseAsync(['node', 'mmalign', ...argv]);
    return 0;
  } catch (err) {
    return exitCodeFor(err, io);
  }
}

/** How long an interrupted command may take to unwind before the CLI exits anyway. */
const UNWIND_MS = 30_000;

/**
 * The process around {@link runCli}: Unix manners. A closed stdout or stderr (`mmalign ... | head`)
 * ends the process quietly with status 0, since the reader has what it wanted. The first SIGINT or
 * SIGTERM aborts the command's work; a command that stops cleanly ({@link interruptSignal}) is
 * given time to unwind, any other is ended at once; either way one line is printed and the status
 * is 130 or 143. A second signal ends the process at once.
 */
async function main(): Promise<void> {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
  }
  const controller = new AbortController();
  const io: CliIo = { ...processIo, signal: controller.signal };
  const stop = (signal: InterruptSignal) => {
    if (controller.signal.aborted) process.exit(INTERRUPT_EXIT_CODES[signal]);
    const reason = new InterruptedError(signal);
    controller.abort(reason);
    if (!unwindsOnInterrupt(io)) {
      io.stderr.write(`mmalign: ${reason.message}\n`);
      process.exit(reason.exitCode);
    }
    setTimeout(() => process.exit(reason.exitCode), UNWIND_MS).unref();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.exitCode = await runCli(process.argv.slice(2), io);
}

function isMain(): boolean {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) await main();
