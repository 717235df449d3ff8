import { Option, type Command } from 'commander';
import { ALIGN_DEFAULTS } from '../core/defaults.js';
import { UsageError } from '../core/errors/index.js';
import { KnowledgeBase, alignedSink, type SyncResult } from '../../index/index.js';
import { DEFAULT_PROMPT, EXPORT_FORMATS, type ExportFormat } from '../pipeline/dataset.js';
import { resolveFfmpegBinaries } from '../core/ffmpeg/index.js';
import { SAMPLING_MODES, type SamplingMode } from '../pipeline/frames/index.js';
import { alignVideo, ALIGN_STAGES, SYNC_MODES, type AlignVideoResult, type SyncMode, type SyncRecord } from '../pipeline/index.js';
import { writeReport } from '../report/index.js';
import { createProgress } from '../core/progress.js';
import type { VideoAlignSettings } from '../corpus/types.js';
import { addModelOptions, headsOption, integerOption, modelChoiceOf, numberOption, type ModelFlags } from './options.js';
import { cliLogger, interruptSignal, printJson, printWarnings, type CliIo, type RegisterCommand } from './shared.js';
import { streamSelector } from './subtitles.js';

/** The flags {@link addAlignOptions} declares, as commander parses them. */
export interface AlignOptionFlags extends ModelFlags {
  mode: SamplingMode;
  fps: number;
  perCue: number;
  sceneThreshold: number;
  threshold: number;
  offset: number;
  sync: SyncMode;
  embed: boolean;
  format: ExportFormat;
  prompt: string;
  split: number;
  seed: number;
  jpegQuality: number;
  heads?: string;
}

interface AlignFlags extends AlignOptionFlags {
  out: string;
  verbose?: boolean;
  json?: boolean;
  kb?: string;
  subtitleStream?: string;
  report?: boolean;
}

/**
 * Declares the options of one video's alignment (sampling, pairing, encoders, dataset format and
 * split) on `cmd`: `align` has them, and `corpus align` applies them to every video.
 *
 * @example
 * addAlignOptions(program.command('corpus').command('align')).option('--workers <n>', '...');
 */
export function addAlignOptions(cmd: Command): Command {
  cmd
    .addOption(new Option('--mode <mode>', 'frame sampling').choices(SAMPLING_MODES).default(ALIGN_DEFAULTS.mode))
    .option('--fps <n>', 'frames per second in fps mode', numberOption('--fps'), ALIGN_DEFAULTS.fps)
    .option('--per-cue <n>', 'frames per cue in cue mode, evenly inside it', integerOption('--per-cue'), ALIGN_DEFAULTS.perCue)
    .option('--scene-threshold <t>', 'scene-change score (0-1) that starts a new frame in scene mode', numberOption('--scene-threshold'), ALIGN_DEFAULTS.sceneThreshold)
    .option('--threshold <seconds>', 'largest frame-to-cue gap that still pairs them', numberOption('--threshold'), ALIGN_DEFAULTS.threshold)
    .option('--offset <seconds>', 'seconds added to every cue time: positive delays the subtitles, negative makes them earlier (use a negative value when subtitles appear late)', numberOption('--offset'), ALIGN_DEFAULTS.offset)
    .addOption(
      new Option('--sync <mode>', 'auto: synchronise the cues with the speech (after --offset) when the mapping is trustworthy; off: use them as given, warning when speech and cues clearly disagree')
        .choices(SYNC_MODES)
        .default(ALIGN_DEFAULTS.sync),
    );
  return addModelOptions(cmd)
    .addOption(headsOption())
    .option('--no-embed', 'skip embeddings (frames, pairs and dataset only)')
    .addOption(new Option('--format <format>', 'dataset format of train/dev.jsonl').choices(EXPORT_FORMATS).default(ALIGN_DEFAULTS.format))
    .option('--prompt <text>', 'user prompt in each dataset record', DEFAULT_PROMPT)
    .option('--split <fraction>', 'fraction of cues in train.jsonl (rest in dev.jsonl)', numberOption('--split'), ALIGN_DEFAULTS.split)
    .option('--seed <n>', 'seed of the train/dev split', integerOption('--seed'), ALIGN_DEFAULTS.seed)
    .option('--jpeg-quality <q>', 'JPEG quality of saved frames', integerOption('--jpeg-quality'), ALIGN_DEFAULTS.jpegQuality);
}

/**
 * The alignment settings the parsed flags of {@link addAlignOptions} ask for.
 *
 * @example
 * const settings = alignSettingsFromFlags(cmd.opts());
 */
export function alignSettingsFromFlags(flags: AlignOptionFlags): VideoAlignSettings {
  const choice = modelChoiceOf(flags);
  return {
    mode: flags.mode,
    fps: flags.fps,
    perCue: flags.perCue,
    sceneThreshold: flags.sceneThreshold,
    threshold: flags.threshold,
    offset: flags.offset,
    sync: flags.sync,
    device: choice.device,
    model: choice.model,
    dtype: choice.dtype,
    allowRemote: choice.allowRemote,
    modelsDir: choice.modelsDir ?? null,
    heads: flags.heads ?? null,
    embed: flags.embed,
    format: flags.format,
    prompt: flags.prompt,
    split: flags.split,
    seed: flags.seed,
    jpegQuality: flags.jpegQuality,
  };
}

/** The JSON summary `--json` prints: counts, drops and seconds per stage. */
export function alignSummary(r: AlignVideoResult): Record<string, unknown> {
  return {
    video: r.video,
    subtitles: r.subtitles,
    out: r.out,
    sync: r.sync,
    mode: r.mode,
    format: r.format,
    duration: r.duration,
    frames: r.frames,
    pairs: r.pairs,
    unpairedFrames: r.unpairedFrames,
    unpairedCues: r.unpairedCues,
    dropped: r.dropped,
    train: r.train,
    dev: r.dev,
    framesReused: r.framesReused,
    embeddingsReused: r.embeddingsReused,
    hasAudio: r.hasAudio,
    embedded: r.embedded,
    seconds: r.seconds,
    files: r.files,
    warnings: r.warnings,
  };
}

/** One line on what sync did: `sync: synchronised, offset -3.002 s, ratio 1, 0 splits, confidence 0.97`. */
export function syncLine(r: SyncRecord): string {
  const m = r.mapping;
  if (r.status === 'skipped') return `sync (${r.mode}): skipped, ${r.reason}`;
  const moved = m.applied ? 'cues moved' : 'cues as given';
  return (
    `sync (${r.mode}): ${r.status}, ${moved}: offset ${m.offset >= 0 ? '+' : ''}${m.offset.toFixed(3)} s, ratio ${m.ratio}, ` +
    `${m.splits.length} split(s), confidence ${m.confidence.toFixed(2)} (${m.method})`
  );
}

/** `mmalign align VIDEO [SUBS] --out DIR`: the main job, frames + cues + embeddings + GLM dataset. */
export const registerAlign: RegisterCommand = (program: Command, io: CliIo) => {
  const cmd = program
    .command('align')
    .description('Align a video with its subtitles: sample frames, pair them with cues, embed, and export a GLM fine-tuning dataset.')
    .argument('<video>', 'video file (anything ffmpeg reads)')
    .argument('[subtitles]', 'subtitle file (SRT, WebVTT, ASS/SSA, SBV, TTML, MicroDVD); without one, the video\'s own subtitle stream is used')
    .requiredOption('--out <dir>', 'output folder (created if missing; a rerun resumes)');
  addAlignOptions(cmd)
    .option('--kb <dir>', 'also add the aligned cue texts, frames and audio clips to this knowledge base (one version per run)')
    .option('--subtitle-stream <n|lang>', 'without a subtitle file: the video\'s subtitle stream to use, by number (0 = first, see `mmalign subtitles VIDEO --list`) or language (eng, en, fre...); default: the first text stream that is not forced')
    .option('--report', 'also write DIR/report.html (as `mmalign report DIR`) after the run')
    .option('--verbose', 'say which ffmpeg is used, which device runs the encoders and why, and what is reused')
    .option('--json', 'print a JSON summary on stdout (frames, pairs, unpaired, dropped, the sync mode/status/mapping, seconds per stage)')
    .addHelpText(
      'after',
      '\nOutput in DIR: frames/, pairs.jsonl, embeddings.f32 + embeddings.json, train.jsonl + dev.jsonl, sync.json, run.json\n' +
        '(and embedded-subtitles.srt|ass|vtt when the cues came from the video\'s own subtitle stream; report.html with --report).\n' +
        'Cue times: the file\'s, plus --offset, then moved by --sync auto when the speech says they are out of step.\n' +
        '\nExamples:\n  mmalign align fixtures/video/sample.mp4 fixtures/video/sample.srt --out demo-out --format glm41v\n' +
        '  mmalign align movie.mkv --subtitle-stream fre --out movie-out --report',
    )
    .action(async (video: string, subtitles: string | undefined, flags: AlignFlags) => {
      if (flags.kb !== undefined && !flags.embed) {
        throw new UsageError('--kb needs embeddings to index; drop --no-embed or drop --kb.');
      }
      if (subtitles !== undefined && flags.subtitleStream !== undefined) {
        throw new UsageError('--subtitle-stream chooses a stream inside the video instead of a subtitle file; pass one or the other.');
      }
      const binaries = resolveFfmpegBinaries();
      let kbResult: SyncResult | undefined;
      // The knowledge base is opened only once alignment has succeeded, so a bad video never leaves an empty KB behind.
      const sink = flags.kb === undefined
        ? undefined
        : async (batch: Parameters<ReturnType<typeof alignedSink>>[0]) => {
            const kb = await KnowledgeBase.open(flags.kb as string);
            try {
              kbResult = await alignedSink(kb)(batch);
            } finally {
              await kb.close();
            }
          };
      const verbose = flags.verbose ? (m: string) => io.stderr.write(`mmalign: ${m}\n`) : undefined;
      const progress = createProgress({ stream: io.stderr, enabled: !flags.json });
      let result: AlignVideoResult;
      try {
        const settings = alignSettingsFromFlags(flags);
        result = await alignVideo(video, subtitles ?? null, {
          ...settings,
          subtitleStream: streamSelector(flags.subtitleStream),
          out: flags.out,
          modelsDir: settings.modelsDir ?? undefined,
          heads: settings.heads ?? undefined,
          binaries,
          progress,
          log: verbose,
          logger: cliLogger(io),
          sink,
          signal: interruptSignal(io),
        });
      } finally {
        progress.stop();
      }
      printWarnings(io, result.warnings);
      // The run is complete; the page is an extra, written like `mmalign report DIR` would.
      const report = flags.report ? await writeReport(result.out) : null;
      if (report) printWarnings(io, report.warnings);
      if (flags.json) {
        printJson(io, {
          ...alignSummary(result),
          ...(flags.kb !== undefined ? { kb: { dir: flags.kb, version: kbResult ?? null } } : {}),
          ...(report ? { report: report.file } : {}),
        });
        return;
      }
      const s = result.seconds;
      const total = ALIGN_STAGES.reduce((a, k) => a + s[k], 0);
      io.stdout.write(
        `${result.frames} frames${result.framesReused ? ' (reused)' : ''}, ${result.pairs} pairs ` +
          `(${result.train} train / ${result.dev} dev, ${result.format}), ${result.unpairedFrames} unpaired frames, ` +
          `${result.unpairedCues} unpaired cues, dropped ${result.dropped.duplicates} duplicate + ${result.dropped.emptyText} empty-text\n` +
          `${result.embedded ? `embeddings: ${result.files.embeddings}${result.embeddingsReused ? ` (${result.embeddingsReused} reused)` : ''}\n` : ''}` +
          `${syncLine(result.sync)}\n` +
          `output: ${result.out}\n` +
          (report ? `report: ${report.file}\n` : '') +
          (flags.kb !== undefined
            ? kbResult
              ? `knowledge base ${flags.kb}: version ${kbResult.version} (+${kbResult.added} ~${kbResult.updated} -${kbResult.deleted})\n`
              : ''
            : '') +
          `time: ${total.toFixed(2)} s (${ALIGN_STAGES.filter((k) => s[k] > 0).map((k) => `${k} ${s[k].toFixed(2)}`).join(', ')}), ` +
          `${(result.duration / Math.max(total, 1e-9)).toFixed(1)}x real time\n`,
      );
    });
};
