import { Option, type Command } from 'commander';
import { VAD_NAMES, type VadName } from '../../alignment/sync/index.js';
import { DEFAULT_VAD, SYNC_DEFAULTS } from '../core/defaults.js';
import { createProgress } from '../core/progress.js';
import { defaultSyncedPath, syncSubtitles, type SyncSubtitlesResult } from '../sync/index.js';
import { clockTime } from './subtitles.js';
import { numberOption } from './options.js';
import { interruptSignal, printJson, printWarnings, type CliIo, type RegisterCommand } from './shared.js';

interface SyncFlags {
  output?: string;
  json?: boolean;
  reference?: string;
  maxOffset: number;
  framerate: boolean;
  splits: boolean;
  vad: VadName;
  strict?: boolean;
}

const signed = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(3)} s`;
const moved = (x: number): string => (x === 0 ? '' : ` (cues moved ${Math.abs(x).toFixed(3)} s ${x > 0 ? 'later' : 'earlier'})`);

/** The `--json` report: the mapping, what was written, and the time each step took. */
export function syncSummary(r: SyncSubtitlesResult): Record<string, unknown> {
  const m = r.mapping;
  return {
    video: r.video,
    subtitles: r.subtitles,
    reference: r.reference,
    out: r.out,
    status: r.status,
    offset: m.offset,
    ratio: m.ratio,
    splits: m.splits,
    confidence: m.confidence,
    method: m.method,
    applied: m.applied,
    reason: m.reason,
    cues: r.cues.length,
    spokenCues: r.diagnostics.spokenCues,
    seconds: r.seconds,
    warnings: r.warnings,
  };
}

function describe(r: SyncSubtitlesResult): string {
  const m = r.mapping;
  const lines = [
    `${r.status}: ${m.reason}`,
    `  offset ${signed(m.offset)}${m.ratio === 1 ? moved(m.offset) : ''}${m.ratio !== 1 ? `, framerate ratio ${m.ratio.toFixed(6)} (× subtitle times)` : ''}`,
    ...m.splits.map((s) => `  from ${clockTime(s.at)} (subtitle time) on: offset ${signed(s.offset)}`),
    `  confidence ${m.confidence.toFixed(2)} (${m.method}, ${r.diagnostics.spokenCues} of ${r.cues.length} cues spoken)`,
  ];
  return lines.join('\n') + '\n';
}

/** `mmalign sync VIDEO SUBS`: fit the subtitles to the video's speech and write the corrected file. */
export const registerSync: RegisterCommand = (program: Command, io: CliIo) => {
  program
    .command('sync')
    .description(
      'Synchronise subtitles with a video: find the offset, framerate ratio and inserted or removed stretches from its speech, and write the corrected file.',
    )
    .argument('<video>', 'video or audio file (anything ffmpeg reads, with an audio track)')
    .argument('<subtitles>', 'subtitle file to correct (SRT, WebVTT, ASS/SSA, SBV, TTML, MicroDVD; written as SRT unless WebVTT)')
    .option('-o, --output <file>', 'corrected file (format from the extension, else the input\'s; default NAME.synced.EXT next to the input), written atomically')
    .option(
      '--reference <file>',
      'time against this instead of the video\'s audio: another video, an audio file, a correctly timed subtitle file, ' +
        'or embedded[:N|:LANG], a subtitle stream inside the video (the first text stream, or by number or language as `mmalign subtitles VIDEO --list` shows them)',
    )
    .option('--max-offset <seconds>', 'largest offset searched either way', numberOption('--max-offset', { min: 0.5 }), SYNC_DEFAULTS.maxOffset)
    .option('--no-framerate', 'do not look for a framerate ratio (25/24, 25/23.976, 24/23.976 and inverses)')
    .option('--no-splits', 'one offset for the whole file: no inserted or removed stretches')
    .addOption(new Option('--vad <name>', 'speech detector: silero (accurate, default) or webrtc (faster, easily fooled by music and noise)').choices(VAD_NAMES).default(DEFAULT_VAD))
    .option('--strict', 'exit 1 (writing nothing) when the mapping is not trustworthy, instead of leaving the file as it is')
    .option('--json', 'print the report as JSON on stdout: {offset, ratio, splits:[{at, offset}], confidence, method, ...}')
    .addHelpText(
      'after',
      '\nThe mapping reads: video time = ratio × subtitle time + offset, with offset replaced by each split\'s from its\n' +
        '`at` (subtitle time) on. A positive offset means the subtitles were early and are moved later.\n' +
        'When the best mapping is not clearly better than the original timing, nothing is written (exit 0; 1 with --strict).\n' +
        '\nExamples:\n  mmalign sync film.mkv film.srt\n  mmalign sync film.mkv film.srt -o fixed.vtt --json\n  mmalign sync film.mkv film.srt --reference film.en.srt\n  mmalign sync film.mkv film.fr.srt --reference embedded:eng',
    )
    .action(async (video: string, subtitles: string, flags: SyncFlags) => {
      const progress = createProgress({ stream: io.stderr, enabled: !flags.json });
      let result: SyncSubtitlesResult;
      try {
        result = await syncSubtitles(video, subtitles, {
          out: flags.output ?? defaultSyncedPath(subtitles),
          writeUnchanged: flags.output !== undefined,
          reference: flags.reference,
          maxOffset: flags.maxOffset,
          framerate: flags.framerate,
          splits: flags.splits,
          vad: flags.vad,
          strict: flags.strict,
          progress,
          signal: interruptSignal(io),
        });
      } finally {
        progress.stop();
      }
      printWarnings(io, result.warnings);
      if (flags.json) {
        printJson(io, syncSummary(result));
        return;
      }
      io.stdout.write(describe(result));
      io.stderr.write(result.out ? `wrote ${result.cues.length} cue(s) to ${result.out}\n` : `nothing written: ${subtitles} left as it is\n`);
    });
};
