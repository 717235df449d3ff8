import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { CORPUS_DEFAULTS } from '../core/defaults.js';
import { CorpusFailuresError, InvalidOptionError, UsageError } from '../core/errors/index.js';
import { resolveFfmpegBinaries } from '../core/ffmpeg/index.js';
import { finalizedSummary, type CorpusSummary } from '../corpus/finalize.js';
import { VIDEO_KEY_PATTERN } from '../corpus/keys.js';
import { runLocalCorpus, type CorpusRunResult } from '../corpus/local.js';
import { checkQueueUrl } from '../corpus/queue-url.js';
import { parsePathMap } from '../corpus/paths.js';
import { planCorpus } from '../corpus/plan.js';
import { createCorpusProgress } from '../corpus/progress.js';
import { CORPUS_FILES } from '../corpus/state.js';
import { SPLIT_BY, type CorpusSettings, type SplitBy } from '../corpus/types.js';
import { GENERATED_MODELS_NOTE } from '../../encoders/registry.js';
import { absoluteModelPaths } from '../corpus/settings.js';
import { writeReport } from '../report/index.js';
import { addAlignOptions, alignSettingsFromFlags, type AlignOptionFlags } from './align.js';
import { integerOption } from './options.js';
import { cliLogger, printJson, printWarnings, type CliIo, type RegisterCommand } from './shared.js';

interface CorpusAlignFlags extends AlignOptionFlags {
  out: string;
  workers?: number;
  threads?: number;
  queue?: string;
  queueName: string;
  corpusId?: string;
  shardSize: number;
  withAudio?: boolean;
  splitBy: SplitBy;
  retries: number;
  maxFailures?: number;
  kb?: string;
  subLang?: string;
  report?: boolean;
  json?: boolean;
}

interface CorpusWorkerFlags {
  queue: string;
  queueName: string;
  concurrency?: number;
  threads?: number;
  map: string[];
  lockDuration: number;
  stalledInterval: number;
}

/** corpus.json without the per-video list, plus the failures: what `--json` prints. */
function jsonSummary(r: CorpusRunResult): Record<string, unknown> {
  const { entries, ...summary } = r.summary;
  return {
    ...summary,
    aligned: r.aligned,
    failed: entries.filter((e) => e.status === 'failed').map((e) => ({ key: e.key, video: e.video, error: e.error, code: e.code, attempts: e.attempts })),
  };
}

function textSummary(s: CorpusSummary & { upToDate: boolean }, aligned: number): string {
  const lines = [
    `corpus ${s.out}: ${s.videos} video(s): ${s.complete} complete (${aligned} aligned now), ${s.failures} failed, ${s.duplicates} duplicate(s)` +
      (s.notRun ? `, ${s.notRun} not run` : '') +
      (s.upToDate ? ' (nothing to do: already complete)' : ''),
    `${s.hours.toFixed(2)} h media, ${s.pairs} samples (${s.train} train / ${s.dev} dev, ${s.format}, split by ${s.splitBy})` +
      (s.aborted ? '' : ` in ${s.shards} shard(s) under ${path.join(s.out, CORPUS_FILES.shards)}`),
  ];
  if (s.kb) {
    lines.push(
      `knowledge base ${s.kb.dir}: ${s.kb.videos} video(s) ingested (+${s.kb.added} ~${s.kb.updated} -${s.kb.deleted}), ${s.kb.skipped} unchanged` +
        (s.kb.msPerItem !== null ? `, ${s.kb.msPerItem} ms per item` : ''),
    );
  }
  if (s.failures > 0) lines.push(`failures: ${path.join(s.out, CORPUS_FILES.errors)}`);
  return lines.join('\n') + '\n';
}

function registerCorpusAlign(corpus: Command, io: CliIo): void {
  const cmd = corpus
    .command('align')
    .description('Align every video of a folder or manifest on local worker processes (or across machines with --queue), then write the corpus dataset and WebDataset shards.')
    .argument('<input>', 'a folder (videos found recursively, with sidecar or embedded subtitles) or a manifest (.csv, .tsv, .jsonl: video, subtitles, prompt, key, any other columns)')
    .requiredOption('--out <dir>', 'corpus output folder (a rerun resumes: complete videos are skipped)');
  addAlignOptions(cmd)
    .option('--workers <n>', 'local worker processes (default: the core count)', integerOption('--workers', { min: 1 }))
    .option('--threads <n>', 'onnxruntime threads per worker (default: cores / workers)', integerOption('--threads', { min: 1 }))
    .option('--queue <url>', 'distributed mode: enqueue the videos on this Redis (redis://HOST:PORT/DB) for `mmalign corpus worker`s')
    .option('--queue-name <name>', 'BullMQ queue shared with the workers', CORPUS_DEFAULTS.queueName)
    .option('--corpus-id <id>', 'id of this corpus in job ids (default: derived from --out)')
    .option('--shard-size <n>', 'samples per WebDataset shard', integerOption('--shard-size', { min: 1 }), CORPUS_DEFAULTS.shardSize)
    .option('--with-audio', "also put each cue's audio in the shards (KEY.wav, 16 kHz mono)")
    .addOption(new Option('--split-by <what>', 'train/dev split: whole videos, or each video\'s own per-cue split').choices(SPLIT_BY).default(CORPUS_DEFAULTS.splitBy))
    .option('--retries <n>', 'retries of a video after a crash or transient error (bad input is not retried)', integerOption('--retries', { min: 0 }), CORPUS_DEFAULTS.retries)
    .option('--max-failures <n>', 'stop once more than this many videos failed (default: never stop)', integerOption('--max-failures', { min: 0 }))
    .option('--kb <dir>', 'ingest every aligned video into this knowledge base (once, by the finalize step)')
    .option('--sub-lang <lang>', 'preferred subtitle language: talk.<lang>.srt sidecars and tagged embedded streams')
    .option('--report', 'also write DIR/report.html (the corpus summary) and each video\'s page, as `mmalign report DIR` does, after the run')
    .option('--json', 'print a JSON summary on stdout')
    .addHelpText(
      'after',
      '\nOutput in DIR: videos/<key>/ (one align output per video), train.jsonl + dev.jsonl, shards/000000.tar..., stats.json, errors.jsonl, corpus.json\n' +
        '(and report.html, videos/<key>/report.html with --report).\n' +
        'Exit status: 0 when every video is complete, else the number of failed videos (at most 100).\n' +
        '\nExamples:\n  mmalign corpus align videos/ --out corpus-out --workers 2\n' +
        '  mmalign corpus align manifest.csv --out /shared/corpus --queue redis://10.0.0.5:6379/0\n' +
        '  mmalign corpus align videos/ --out corpus-out --text-model Xenova/all-MiniLM-L6-v2 --image-model Xenova/resnet-50 --audio-model Xenova/wav2vec2-base-960h --allow-remote',
    )
    .action(async (input: string, flags: CorpusAlignFlags) => {
      if (flags.kb !== undefined && !flags.embed) throw new UsageError('--kb needs embeddings to index; drop --no-embed or drop --kb.');
      if (flags.queue !== undefined) checkQueueUrl(flags.queue);
      if (flags.corpusId !== undefined && !VIDEO_KEY_PATTERN.test(flags.corpusId)) throw new InvalidOptionError('corpus-id', flags.corpusId, 'letters, digits, "_" and "-" (at most 80)');
      const align = alignSettingsFromFlags(flags);
      const settings: CorpusSettings = {
        align: { ...align, model: absoluteModelPaths(align.model ?? {}), modelsDir: align.modelsDir && path.resolve(align.modelsDir), heads: align.heads && path.resolve(align.heads) },
        splitBy: flags.splitBy,
        shardSize: flags.shardSize,
        withAudio: flags.withAudio ?? false,
        kb: flags.kb === undefined ? null : path.resolve(flags.kb),
        subLang: flags.subLang ?? null,
      };
      const workers = flags.workers ?? availableParallelism();
      const threads = flags.threads ?? Math.max(1, Math.floor(availableParallelism() / workers));
      // Fail before planning (hashing every video) when the work could not run anyway.
      const queue = flags.queue === undefined ? null : await import('../corpus/queue.js');
      if (queue) await queue.checkRedis(flags.queue!, cliLogger(io));
      else resolveFfmpegBinaries();
      const { plan, warnings } = await planCorpus(input, { out: flags.out, settings, corpusId: flags.corpusId });
      printWarnings(io, warnings);
      // Workers' encoders report to their own processes; the coordinator says it once for the run.
      if (Object.values(plan.models ?? {}).some((m) => m.generated)) cliLogger(io).note?.(GENERATED_MODELS_NOTE);
      const progress = createCorpusProgress({ stream: io.stderr, bar: io.stderr.isTTY === true && !flags.json });
      let result: CorpusRunResult;
      try {
        const done = plan.entries.some((e) => e.state === 'pending') ? null : await finalizedSummary(plan);
        result = done
          ? { summary: { ...done, upToDate: true }, aligned: 0, aborted: false }
          : queue
            ? await queue.runQueuedCorpus(plan, { url: flags.queue!, name: flags.queueName, retries: flags.retries, maxFailures: flags.maxFailures ?? null, progress, logger: cliLogger(io) })
            : await runLocalCorpus(plan, { workers, threads, retries: flags.retries, maxFailures: flags.maxFailures ?? null, progress });
      } finally {
        progress.stop();
      }
      const s = result.summary;
      // Failed videos too are on the page (with their reasons), so it is written whatever the outcome.
      const report = flags.report ? await writeReport(s.out) : null;
      if (report) printWarnings(io, report.warnings);
      if (flags.json) printJson(io, { ...jsonSummary(result), ...(report ? { report: report.file } : {}) });
      else io.stdout.write(textSummary(result.summary, result.aligned) + (report ? `report: ${report.file}\n` : ''));
      if (s.failures > 0 || result.aborted) {
        throw new CorpusFailuresError(s.failures, s.videos, path.join(s.out, CORPUS_FILES.errors), result.aborted ? (flags.maxFailures ?? 0) : null);
      }
    });
}

function registerCorpusWorker(corpus: Command, io: CliIo): void {
  corpus
    .command('worker')
    .description('Take video and finalize jobs from the queue that `corpus align --queue` fills, on this machine, until stopped (SIGTERM/Ctrl-C: finish running jobs; twice: leave them to be retried).')
    .requiredOption('--queue <url>', 'the Redis the coordinator uses (redis://HOST:PORT/DB)')
    .option('--queue-name <name>', 'BullMQ queue shared with the coordinator', CORPUS_DEFAULTS.queueName)
    .option('--concurrency <n>', 'videos at once, each in its own process (default: the core count)', integerOption('--concurrency', { min: 1 }))
    .option('--threads <n>', 'onnxruntime threads per video (default: cores / concurrency)', integerOption('--threads', { min: 1 }))
    .option('--map <from=to>', 'the shared folders are mounted elsewhere here: rewrite paths starting with FROM to TO (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--lock-duration <ms>', 'how long a job stays claimed without renewal before it counts as stalled', integerOption('--lock-duration', { min: 1000 }), CORPUS_DEFAULTS.lockDurationMs)
    .option('--stalled-interval <ms>', 'how often to look for stalled jobs of dead workers', integerOption('--stalled-interval', { min: 1000 }), CORPUS_DEFAULTS.stalledIntervalMs)
    .addHelpText('after', '\nExample:\n  mmalign corpus worker --queue redis://10.0.0.5:6379/0 --concurrency 2 --map /mnt/corpus=/data/corpus')
    .action(async (flags: CorpusWorkerFlags) => {
      checkQueueUrl(flags.queue);
      resolveFfmpegBinaries(); // a worker without ffmpeg would fail every job it takes
      const log = (line: string) => io.stderr.write(`worker ${process.pid}: ${line}\n`);
      // bullmq loads here only: every other mmalign command starts a second faster without it.
      const { startCorpusWorker } = await import('../corpus/worker.js');
      const worker = await startCorpusWorker({
        url: flags.queue,
        name: flags.queueName,
        concurrency: flags.concurrency,
        threads: flags.threads,
        pathMap: parsePathMap(flags.map),
        lockDurationMs: flags.lockDuration,
        stalledIntervalMs: flags.stalledInterval,
        log,
      });
      log(`waiting for jobs on ${flags.queue} (${flags.queueName}), ${worker.concurrency} at once, ${worker.threads} thread(s) each`);
      await new Promise<void>((resolve) => {
        let signals = 0;
        const stop = () => {
          signals++;
          log(signals === 1 ? 'stopping after the running jobs (again to stop now)' : 'stopping now; running jobs will be retried elsewhere');
          void worker.close(signals > 1).then(resolve, resolve);
        };
        process.on('SIGTERM', stop);
        process.on('SIGINT', stop);
      });
      log('stopped');
    });
}

/** `mmalign corpus align|worker`: corpora of videos on a local pool or on BullMQ workers. */
export const registerCorpus: RegisterCommand = (program: Command, io: CliIo) => {
  const corpus = program.command('corpus').description('Align a whole corpus of videos: a local worker pool, or workers on many machines through Redis (BullMQ).');
  registerCorpusAlign(corpus, io);
  registerCorpusWorker(corpus, io);
};
