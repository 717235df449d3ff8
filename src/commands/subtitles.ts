import type { Command } from 'commander';
import { Option } from 'commander';
import {
  formatSubtitles,
  readSubtitleFile,
  SUBTITLE_DEFAULTS,
  subtitleFormatFromPath,
  WRITABLE_SUBTITLE_FORMATS,
  writeSubtitleFile,
  type WritableSubtitleFormat,
} from '../../alignment/index.js';
import { UsageError } from '../core/errors/index.js';
import { listSubtitleStreams, resolveFfmpegBinaries, subtitleStreamLabel, withSubtitleStream, type SubtitleStreamInfo } from '../core/ffmpeg/index.js';
import type { Cue } from '../core/types.js';
import { numberOption } from './options.js';
import { printJson, printWarnings, type CliIo, type RegisterCommand } from './shared.js';
import { terminalSafe } from './terminal.js';

interface SubtitlesFlags {
  json?: boolean;
  list?: boolean;
  stream?: string;
  to?: WritableSubtitleFormat;
  output?: string;
  fps?: number;
  encoding?: string;
  maxSubtitleSize?: number;
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

/** Cue text on one table row: line breaks shown as ` / `, anything a terminal would act on escaped. */
export function oneLine(text: string): string {
  return terminalSafe(text.replace(/\n/g, ' / '), { newlines: false });
}

function printCueTable(io: CliIo, cues: readonly Cue[]): void {
  // A loop, not Math.max(...): a spread of 200k cues overflows the call stack.
  let width = 1;
  for (const c of cues) width = Math.max(width, String(c.index).length);
  const rows: string[] = [`${'#'.padStart(width)}  start         end           text\n`];
  for (const c of cues) {
    const who = c.speaker === undefined ? '' : `[${oneLine(c.speaker)}] `;
    rows.push(`${String(c.index).padStart(width)}  ${clockTime(c.start)}  ${clockTime(c.end)}  ${who}${oneLine(c.text)}\n`);
    if (rows.length >= 4096) io.stdout.write(rows.splice(0).join(''));
  }
  io.stdout.write(rows.join(''));
}

/** `--list`'s table: one row per subtitle stream of the video. */
function printStreamTable(io: CliIo, video: string, streams: readonly SubtitleStreamInfo[]): void {
  if (streams.length === 0) {
    io.stderr.write(`${terminalSafe(video, { newlines: false })}: no subtitle stream\n`);
    return;
  }
  const rows = ['#  index  codec               kind    language  flags             title\n'];
  for (const s of streams) {
    const flags = [s.default ? 'default' : '', s.forced ? 'forced' : ''].filter(Boolean).join(',') || '-';
    rows.push(
      `${String(s.number).padEnd(2)} ${String(s.index).padEnd(6)} ${s.codec.padEnd(19)} ${s.kind.padEnd(7)} ${(s.language ?? '-').padEnd(9)} ${flags.padEnd(17)} ${s.title === null ? '' : oneLine(s.title)}\n`,
    );
  }
  io.stdout.write(rows.join(''));
  const text = streams.filter((s) => s.kind === 'text').length;
  io.stderr.write(`${streams.length} subtitle stream(s), ${text} text${text < streams.length ? ` (${streams.length - text} not readable as text: bitmap subtitles need OCR)` : ''}\n`);
}

/** `--stream` as given: a stream number, or a language or title. */
export function streamSelector(raw: string | undefined): number | string | undefined {
  if (raw === undefined) return undefined;
  return /^\d+$/.test(raw.trim()) ? Number(raw) : raw;
}

/** `mmalign subtitles FILE`: shows, exports or converts a subtitle file, or lists a video's subtitle streams. */
export const registerSubtitles: RegisterCommand = (program: Command, io: CliIo) => {
  program
    .command('subtitles')
    .description(
      'Parse a subtitle file (SRT, WebVTT, ASS/SSA, SBV, TTML/DFXP, MicroDVD; format and encoding detected from the content) and print its cues, or convert it to SRT/WebVTT.',
    )
    .argument('<file>', 'subtitle file (any of the formats above, any text encoding), or a video with --list / --stream')
    .option('--list', 'FILE is a video: list its subtitle streams (number, container index, codec, language, default/forced, title)')
    .option('--stream <n|lang>', 'FILE is a video: read its subtitle stream N (0 = first, as --list numbers them) or the one in this language (eng, en, fre...)')
    .option('--json', 'print a JSON array of {index,start,end,text[,speaker]} on stdout (with --list: the streams); warnings go to stderr')
    .addOption(new Option('--to <format>', 'convert: print the cues as this subtitle format').choices([...WRITABLE_SUBTITLE_FORMATS]))
    .option('-o, --output <path>', 'convert: write the cues to this file (format from --to or the extension), atomically')
    .option('--fps <rate>', 'frame rate for MicroDVD (.sub) files without a {1}{1}FPS line, e.g. 23.976', numberOption('--fps', { min: 0 }))
    .option('--encoding <name>', 'text encoding of the file when the guess is wrong (e.g. big5, gb18030, windows-1251)')
    .option(
      '--max-subtitle-size <MiB>',
      `refuse subtitle files larger than this (default ${SUBTITLE_DEFAULTS.maxBytes / (1024 * 1024)})`,
      numberOption('--max-subtitle-size', { min: 0 }),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  mmalign subtitles movie.srt\n  mmalign subtitles movie.mkv --list\n  mmalign subtitles movie.mkv --stream fre --to srt > movie.fr.srt\n  mmalign subtitles movie.ass --json > cues.json\n  mmalign subtitles movie.ttml --to vtt > movie.vtt\n  mmalign subtitles movie.sub --fps 23.976 -o movie.srt',
    )
    .action(async (file: string, flags: SubtitlesFlags) => {
      if (flags.json && flags.to && !flags.output) throw new UsageError('--json and --to both choose what goes to stdout; use one (or add --output FILE)');
      if (flags.output && !flags.to && !subtitleFormatFromPath(flags.output)) {
        throw new UsageError(`cannot tell the format of --output ${flags.output}; name it .srt or .vtt, or add --to srt|vtt`);
      }
      if (flags.fps === 0) throw new UsageError('--fps must be above 0, e.g. --fps 23.976');
      if (flags.list) {
        if (flags.stream !== undefined || flags.to || flags.output) throw new UsageError('--list only lists the streams; drop --stream, --to and --output');
        const streams = await listSubtitleStreams(file, resolveFfmpegBinaries());
        if (flags.json) printJson(io, streams);
        else printStreamTable(io, file, streams);
        return;
      }
      const readOptions = {
        ...(flags.fps === undefined ? {} : { fps: flags.fps }),
        ...(flags.encoding === undefined ? {} : { encoding: flags.encoding }),
        ...(flags.maxSubtitleSize === undefined ? {} : { maxBytes: Math.floor(flags.maxSubtitleSize * 1024 * 1024) }),
      };
      const doc =
        flags.stream === undefined
          ? await readSubtitleFile(file, readOptions)
          : await withSubtitleStream(
              file,
              streamSelector(flags.stream),
              async (extracted, stream) => {
                const read = await readSubtitleFile(extracted, readOptions);
                // Warnings name the stream, not the temp file it was extracted to.
                const label = subtitleStreamLabel(file, stream.number);
                return { ...read, warnings: read.warnings.map((w) => (w.file === extracted ? { ...w, file: label } : w)) };
              },
              resolveFfmpegBinaries(),
            );
      printWarnings(
        io,
        doc.warnings.map((w) => ({ ...w, ...(w.file === undefined ? {} : { file: terminalSafe(w.file, { newlines: false }) }), message: terminalSafe(w.message, { newlines: false }) })),
      );
      if (flags.output) {
        await writeSubtitleFile(flags.output, doc.cues, flags.to);
        io.stderr.write(`wrote ${doc.cues.length} cue(s) to ${flags.output}\n`);
      } else if (flags.to) {
        io.stdout.write(formatSubtitles(doc.cues, flags.to));
        return;
      }
      if (flags.json) {
        printJson(io, doc.cues.map(({ index, start, end, text, speaker }) => ({ index, start, end, text, ...(speaker === undefined ? {} : { speaker }) })));
      } else if (!flags.output) {
        printCueTable(io, doc.cues);
        io.stderr.write(`${doc.cues.length} cue(s), ${doc.format}, ${doc.encoding}${doc.warnings.length ? `, ${doc.warnings.length} warning(s)` : ''}\n`);
      }
    });
};
