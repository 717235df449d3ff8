import type { Command } from 'commander';
import { Option } from 'commander';
import {
  formatSubtitles,
  readSubtitleFile,
  SUBTITLE_FORMATS,
  subtitleFormatFromPath,
  writeSubtitleFile,
  type SubtitleFormat,
} from '../../alignment/subtitles.js';
import { UsageError } from '../core/errors/index.js';
import type { Cue } from '../core/types.js';
import { printJson, printWarnings, type CliIo, type RegisterCommand } from './shared.js';

interface SubtitlesFlags {
  json?: boolean;
  to?: SubtitleFormat;
  output?: string;
}

/** `HH:MM:SS.mmm`, the way people read subtitle times. */
export function clockTime(seconds: number): string {
  const sign = seconds < 0 ? '-' : '';
  const total = Math.round(Math.abs(seconds) * 1000);
  const h = Math.floor(total / 3_600_000);
  const m = Math.floor(total / 60_000) % 60;
  const s = Math.floor(total / 1000) % 60;
  const ms = total % 1000;
  return `${sign}${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.${String(ms).padStart(3, '0')}`;
}

/** Cue text on one table row: line breaks shown as ` / `. */
export function oneLine(text: string): string {
  return text.replace(/\n/g, ' / ');
}

function printCueTable(io: CliIo, cues: readonly Cue[]): void {
  const width = Math.max(1, ...cues.map((c) => String(c.index).length));
  io.stdout.write(`${'#'.padStart(width)}  start         end           text\n`);
  for (const c of cues) {
    io.stdout.write(`${String(c.index).padStart(width)}  ${clockTime(c.start)}  ${clockTime(c.end)}  ${oneLine(c.text)}\n`);
  }
}

/** `mmalign subtitles FILE`: shows, exports or converts a subtitle file. */
export const registerSubtitles: RegisterCommand = (program: Command, io: CliIo) => {
  program
    .command('subtitles')
    .description('Parse an SRT or WebVTT file (format and encoding detected from the content) and print its cues.')
    .argument('<file>', 'subtitle file (.srt or .vtt; any text encoding)')
    .option('--json', 'print a JSON array of {index,start,end,text} on stdout (warnings go to stderr)')
    .addOption(new Option('--to <format>', 'convert: print the cues as this subtitle format').choices([...SUBTITLE_FORMATS]))
    .option('-o, --output <path>', 'convert: write the cues to this file (format from --to or the extension), atomically')
    .addHelpText(
      'after',
      '\nExamples:\n  mmalign subtitles movie.srt\n  mmalign subtitles movie.srt --json > cues.json\n  mmalign subtitles movie.srt --to vtt > movie.vtt\n  mmalign subtitles movie.srt -o movie.vtt',
    )
    .action(async (file: string, flags: SubtitlesFlags) => {
      if (flags.json && flags.to && !flags.output) throw new UsageError('--json and --to both choose what goes to stdout; use one (or add --output FILE)');
      if (flags.output && !flags.to && !subtitleFormatFromPath(flags.output)) {
        throw new UsageError(`cannot tell the format of --output ${flags.output}; name it .srt or .vtt, or add --to srt|vtt`);
      }
      const doc = await readSubtitleFile(file);
      printWarnings(io, doc.warnings);
      if (flags.output) {
        await writeSubtitleFile(flags.output, doc.cues, flags.to);
        io.stderr.write(`wrote ${doc.cues.length} cue(s) to ${flags.output}\n`);
      } else if (flags.to) {
        io.stdout.write(formatSubtitles(doc.cues, flags.to));
        return;
      }
      if (flags.json) {
        printJson(io, doc.cues.map(({ index, start, end, text }) => ({ index, start, end, text })));
      } else if (!flags.output) {
        printCueTable(io, doc.cues);
        io.stderr.write(`${doc.cues.length} cue(s), ${doc.format}, ${doc.encoding}${doc.warnings.length ? `, ${doc.warnings.length} skipped` : ''}\n`);
      }
    });
};
