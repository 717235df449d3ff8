import type { Command } from 'commander';
import { Option } from 'commander';
import { readFile } from 'node:fs/promises';
import { alignByTimestamp, CUE_FRAMES_MODES, framesForCues, type CueFramesMode } from '../../alignment/align.js';
import { readSubtitleFile } from '../../alignment/subtitles/index.js';
import { CUE_OFFSET_SECONDS, PAIR_THRESHOLD_SECONDS } from '../core/defaults.js';
import { InputFileError, UsageError } from '../core/errors/index.js';
import type { Cue, FrameRef } from '../core/types.js';
import { numberOption } from './options.js';
import { printJson, printWarnings, type CliIo, type RegisterCommand } from './shared.js';
import { clockTime, oneLine } from './subtitles.js';

interface AlignTimesFlags {
  frames: string;
  subs: string;
  threshold: number;
  offset: number;
  json?: boolean;
  byCue?: boolean;
  mode?: CueFramesMode;
}

/**
 * Reads a frames file: a JSON array of times in seconds, or of objects with a numeric `time`
 * (so the output of a frame sampler can be passed as is).
 */
export async function readFramesFile(file: string): Promise<FrameRef[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputFileError(file, code === 'ENOENT' ? 'no such file; check the path' : `cannot read it: ${(err as Error).message}`, err);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new InputFileError(file, `not valid JSON (${(err as Error).message}); expected an array of times in seconds`, err);
  }
  if (!Array.isArray(data)) throw new InputFileError(file, 'expected a JSON array of times in seconds or of {"time": seconds} objects');
  return data.map((item: unknown, i) => {
    const time = typeof item === 'number' ? item : typeof item === 'object' && item !== null ? (item as { time?: unknown }).time : undefined;
    if (typeof time !== 'number' || !Number.isFinite(time)) {
      throw new InputFileError(file, `item ${i} is ${JSON.stringify(item)}; expected a number of seconds or {"time": seconds}`);
    }
    return { time };
  });
}

function printByCue(io: CliIo, frames: readonly FrameRef[], cues: readonly Cue[], flags: AlignTimesFlags): void {
  const groups = framesForCues(frames, cues, { threshold: flags.threshold, offset: flags.offset, mode: flags.mode });
  if (flags.json) {
    printJson(
      io,
      groups.map((g) => {
        const c = cues[g.cue];
        return {
          cue: { index: c.index, start: c.start + flags.offset, end: c.end + flags.offset, text: c.text },
          frames: g.frames.map((f) => ({ frame: f, time: frames[f].time })),
          distance: g.distance,
        };
      }),
    );
    return;
  }
  io.stdout.write('cue   start         end           distance  frames  text\n');
  for (const g of groups) {
    const c = cues[g.cue];
    const dist = g.distance === null ? '-' : g.distance.toFixed(3);
    const list = g.frames.length === 0 ? '-' : g.frames.join(',');
    io.stdout.write(
      `${`#${c.index}`.padEnd(5)} ${clockTime(c.start + flags.offset)}  ${clockTime(c.end + flags.offset)}  ${dist.padStart(8)}  ${list.padEnd(6)}  ${oneLine(c.text)}\n`,
    );
  }
  const covered = groups.filter((g) => g.frames.length > 0).length;
  io.stderr.write(`${covered} of ${groups.length} cue(s) got at least one of ${frames.length} frame(s)\n`);
}

/** `mmalign align-times`: pairs frame timestamps with subtitle cues, without any model. */
export const registerAlignTimes: RegisterCommand = (program: Command, io: CliIo) => {
  program
    .command('align-times')
    .description('Pair frame timestamps with the subtitle cue nearest in time (0 inside a cue, else the gap to its nearer end).')
    .requiredOption('--frames <file>', 'JSON array of frame times in seconds, or of {"time": seconds}')
    .requiredOption('--subs <file>', 'subtitle file (SRT or WebVTT)')
    .option('--threshold <seconds>', 'largest frame-to-cue gap that still pairs them', numberOption('--threshold', { min: 0 }), PAIR_THRESHOLD_SECONDS)
    .option('--offset <seconds>', 'seconds added to every cue time first: positive delays the subtitles, negative makes them earlier (use a negative value when subtitles appear late)', numberOption('--offset'), CUE_OFFSET_SECONDS)
    .option('--json', 'print a JSON array of {frame,time,cue,distance} on stdout (cue is {index,start,end,text} with --offset applied, or null)')
    .option('--by-cue', 'the other direction: for each cue, the frames inside it (or the nearest within --threshold)')
    .addOption(new Option('--mode <mode>', 'with --by-cue: which frames a cue gets (middle = one frame per cue)').choices([...CUE_FRAMES_MODES]))
    .addHelpText(
      'after',
      '\nExamples:\n  mmalign align-times --frames fixtures/frames.json --subs fixtures/subtitles/basic.srt --threshold 0.5\n  mmalign align-times --frames fixtures/frames.json --subs fixtures/subtitles/basic.srt --by-cue --mode middle --json',
    )
    .action(async (flags: AlignTimesFlags) => {
      if (flags.mode && !flags.byCue) throw new UsageError('--mode only applies with --by-cue');
      const frames = await readFramesFile(flags.frames);
      const doc = await readSubtitleFile(flags.subs);
      printWarnings(io, doc.warnings);
      if (flags.byCue) {
        printByCue(io, frames, doc.cues, flags);
        return;
      }
      const matches = alignByTimestamp(frames, doc.cues, { threshold: flags.threshold, offset: flags.offset });
      if (flags.json) {
        printJson(
          io,
          matches.map((m) => {
            const cue = m.cue === null ? null : doc.cues[m.cue];
            return {
              frame: m.frame,
              time: frames[m.frame].time,
              cue: cue === null ? null : { index: cue.index, start: cue.start + flags.offset, end: cue.end + flags.offset, text: cue.text },
              distance: m.distance,
            };
          }),
        );
        return;
      }
      io.stdout.write('frame  time          cue   distance  text\n');
      for (const m of matches) {
        const cue = m.cue === null ? null : doc.cues[m.cue];
        const cueCol = cue === null ? '-' : `#${cue.index}`;
        const dist = m.distance === null ? '-' : m.distance.toFixed(3);
        io.stdout.write(
          `${String(m.frame).padStart(5)}  ${clockTime(frames[m.frame].time)}  ${cueCol.padEnd(5)} ${dist.padStart(8)}  ${cue === null ? '' : oneLine(cue.text)}\n`,
        );
      }
      const paired = matches.filter((m) => m.cue !== null).length;
      io.stderr.write(`${paired} of ${matches.length} frame(s) paired with ${doc.cues.length} cue(s)\n`);
    });
};
