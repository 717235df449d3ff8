#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MmalignError } from './core/errors/index.js';
import { PACKAGE } from './core/package.js';
import { processIo, type CliIo, type RegisterCommand } from './commands/shared.js';
import { registerSubtitles } from './commands/subtitles.js';
import { registerAlignTimes } from './commands/align-times.js';
import { registerAlign } from './commands/align.js';
import { registerHeads } from './commands/heads.js';
import { registerModels } from './commands/models.js';
import { registerEmbed } from './commands/embed.js';
import { registerKb } from './commands/kb.js';
import { registerSearch } from './commands/search.js';
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

/** Maps any thrown value to an exit status: 0 help/version, 2 usage, 1 failed work. */
export function exitCodeFor(err: unknown, io: CliIo): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    return 2; // commander already printed the message
  }
  if (err instanceof MmalignError) {
    io.stderr.write(`mmalign: ${err.message}\n`);
    return err.exitCode;
  }
  const e = err instanceof Error ? err : new Error(String(err));
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

function isMain(): boolean {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  process.exitCode = await runCli(process.argv.slice(2));
}
