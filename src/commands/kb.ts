import type { Command } from 'commander';
import { LOCK_TIMEOUT_MS } from '../core/defaults.js';
import { KnowledgeBase, type KbChange, type VerifyReport } from '../../index/index.js';
import { corruptReport } from '../../index/kb/verify.js';
import { isDamagedDatabase } from '../../index/store.js';
import { alignVideo } from '../pipeline/index.js';
import { KbCorruptError, KbVerifyError } from '../core/errors/index.js';
import { createProgress, type StageProgress } from '../core/progress.js';
import { addModelOptions, headsOption, integerOption, modelChoiceOf, numberOption, type ModelFlags } from './options.js';
import { printJson, printWarnings, type CliIo, type RegisterCommand, cliLogger } from './shared.js';

interface KbFlags {
  kb: string;
  json?: boolean;
}

interface SyncFlags extends KbFlags, ModelFlags {
  priority?: number;
  sourceName?: string;
  heads?: string;
  lockTimeout: number;
  alignVideos?: boolean;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** What to do about the problems `kb verify` leaves open, most pressing first. */
function verifyAdvice(kinds: readonly string[], repaired: boolean): string {
  if (kinds.includes('database-corrupt')) return 'The database is damaged: restore the folder from a backup (see the problem above for salvaging it).';
  const rest = kinds.filter((k) => k !== 'source-file-changed');
  const steps: string[] = [];
  if (rest.length > 0) steps.push(repaired ? 'Some problems could not be repaired (see above).' : 'Run `mmalign kb verify --kb DIR --repair`.');
  if (kinds.includes('source-file-changed')) steps.push('Files changed since their sync: run `mmalign kb sync` on their sources again (a repair cannot re-encode them).');
  return steps.join(' ');
}

/**
 * `mmalign kb sync|models|versions|changes|verify`: feed and inspect a knowledge base.
 *
 * @example
 * mmalign kb sync ./photos --kb ./kb --priority 2
 * mmalign kb versions --kb ./kb --json
 */
export const registerKb: RegisterCommand = (program: Command, io: CliIo) => {
  const kb = program.command('kb').description('Feed and inspect a knowledge base (HNSW vector index + SQLite metadata, versioned).');

  const sync = kb
    .command('sync')
    .description('Add new, replace changed and delete removed items of a folder or JSONL manifest; one version per sync.')
    .argument('<source>', 'a folder (images, audio, .txt/.md, videos with sidecar .srt/.vtt) or a .jsonl manifest')
    .requiredOption('--kb <dir>', 'knowledge base folder (created if missing)')
    .option('--priority <n>', 'conflict tie-breaker for this source: on equal timestamps the higher priority wins', integerOption('--priority'))
    .option('--source-name <name>', 'name the items are recorded under (default: the absolute source path)');
  addModelOptions(sync)
    .addOption(headsOption())
    .option('--lock-timeout <ms>', 'how long to wait for another writer', numberOption('--lock-timeout', { min: 0 }), LOCK_TIMEOUT_MS)
    .option('--align-videos', 'run the align pipeline on videos with sidecar subtitles: per cue its text, frame and audio (default: cue texts only)')
    .option('--json', 'print the sync result as JSON')
    .addHelpText(
      'after',
      '\nConflict rule: when two sources give the same id, the newer timestamp wins; on equal timestamps the higher\n' +
        'priority wins; on a full tie the copy already there stays.\n' +
        '\nExamples:\n  mmalign kb sync ./lectures --kb ./kb --priority 1\n' +
        '  mmalign kb sync ./photos --kb ./kb --text-model Xenova/all-MiniLM-L6-v2 --image-model Xenova/resnet-50 --allow-remote',
    )
    .action(async (source: string, flags: SyncFlags) => {
      const logger = cliLogger(io);
      const base = await KnowledgeBase.open(flags.kb, {
        encoderOptions: { ...modelChoiceOf(flags), heads: flags.heads, logger },
        lockTimeoutMs: flags.lockTimeout,
        // The app layer gives the knowledge base its video aligner; index/ never imports the pipeline.
        alignVideo: flags.alignVideos ? alignVideo : undefined,
      });
      const progress = createProgress({ stream: io.stderr, enabled: !flags.json });
      const stages = new Map<string, { bar: StageProgress; done: number }>();
      try {
        const r = await base.sync(source, {
          priority: flags.priority,
          sourceName: flags.sourceName,
          videos: flags.alignVideos ? 'align' : 'cues',
          onProgress: (stage, done, total) => {
            let s = stages.get(stage);
            if (!s) stages.set(stage, (s = { bar: progress.stage(stage, total), done: 0 }));
            s.bar.setTotal(total);
            if (done > s.done) s.bar.tick(done - s.done);
            s.done = done;
          },
        });
        progress.stop();
        printWarnings(io, r.warnings);
        if (flags.json) printJson(io, r);
        else {
          io.stdout.write(
            `version ${r.version}: ${r.added} added, ${r.updated} updated, ${r.deleted} deleted, ${r.unchanged} unchanged` +
              `${r.skipped ? `, ${r.skipped} skipped (another source's copy won)` : ''}; ${r.encoded} encoded\n`,
          );
        }
      } finally {
        progress.stop();
        await base.close();
      }
    });

  kb.command('models')
    .description('List the models behind the stored vectors: per modality the model id, dtype, device, ONNX file sha256 and heads.')
    .requiredOption('--kb <dir>', 'knowledge base folder')
    .option('--json', 'print the models as JSON')
    .action(async (flags: KbFlags) => {
      const base = await KnowledgeBase.open(flags.kb, { readonly: true });
      try {
        const models = base.models();
        if (flags.json) return printJson(io, models);
        if (models.length === 0) io.stdout.write('no models recorded yet (synced before mmalign kept them, or not synced)\n');
        for (const m of models) {
          io.stdout.write(
            `${m.modality.padEnd(5)}  ${m.model}  ${m.dtype ?? '?'}  ${m.device}  sha256 ${m.fingerprint ?? 'unknown'}  heads ${m.heads ?? 'default'}  ` +
              `(versions ${m.firstVersion}${m.lastVersion !== m.firstVersion ? `–${m.lastVersion}` : ''})\n`,
          );
        }
      } finally {
        await base.close();
      }
    });

  kb.command('versions')
    .description('List the versions (one per sync or repair) with their counts.')
    .requiredOption('--kb <dir>', 'knowledge base folder')
    .option('--json', 'print the versions as JSON')
    .action(async (flags: KbFlags) => {
      const base = await KnowledgeBase.open(flags.kb, { readonly: true });
      try {
        const versions = base.versions();
        if (flags.json) return printJson(io, versions);
        if (versions.length === 0) io.stdout.write('no versions yet\n');
        for (const v of versions) {
          io.stdout.write(
            `${String(v.version).padStart(4)}  ${iso(v.createdAt)}  ${v.kind.padEnd(6)}  +${v.added} ~${v.updated} -${v.deleted}` +
              `${v.skipped ? ` (${v.skipped} skipped)` : ''}  ${v.source ?? ''}\n`,
          );
        }
      } finally {
        await base.close();
      }
    });

  kb.command('changes')
    .description('List what one version added, updated, deleted or skipped.')
    .argument('<version>', 'version number', integerOption('version'))
    .requiredOption('--kb <dir>', 'knowledge base folder')
    .option('--json', 'print the changes as JSON')
    .action(async (version: number, flags: KbFlags) => {
      const base = await KnowledgeBase.open(flags.kb, { readonly: true });
      try {
        const changes: KbChange[] = base.changes(version);
        if (flags.json) return printJson(io, changes);
        for (const c of changes) io.stdout.write(`${c.change.padEnd(8)} ${c.id}${c.reason ? `  (${c.reason})` : ''}\n`);
      } finally {
        await base.close();
      }
    });

  kb.command('verify')
    .description('Check index file ↔ SQLite ↔ source files; --repair rebuilds the index and drops items whose files are gone.')
    .requiredOption('--kb <dir>', 'knowledge base folder')
    .option('--repair', 'repair what can be repaired')
    .option('--lock-timeout <ms>', 'how long --repair waits for another writer', numberOption('--lock-timeout', { min: 0 }), LOCK_TIMEOUT_MS)
    .option('--json', 'print the report as JSON')
    .action(async (flags: KbFlags & { repair?: boolean; lockTimeout: number }) => {
      let report: VerifyReport;
      let base: KnowledgeBase | null = null;
      try {
        base = await KnowledgeBase.open(flags.kb, { readonly: !flags.repair, lockTimeoutMs: flags.lockTimeout, repairOnOpen: false });
        report = await base.verify({ repair: flags.repair === true });
      } catch (err) {
        // Damage that stops the knowledge base from even opening is still a diagnosis, not a crash.
        if (!(err instanceof KbCorruptError && isDamagedDatabase(err))) throw err;
        report = corruptReport(flags.kb, err);
      } finally {
        await base?.close();
      }
      if (flags.json) printJson(io, report);
      else {
        io.stdout.write(`${report.items} items, ${report.filesChecked} source files checked, generation ${report.generation}\n`);
        for (const p of report.problems) io.stdout.write(`${p.repaired ? 'repaired' : p.recoverable ? 'note    ' : 'problem '}  ${p.kind}: ${p.message}\n`);
        if (report.problems.length === 0) io.stdout.write('ok\n');
      }
      if (!report.ok) {
        const open: Record<string, number> = {};
        for (const p of report.problems) if (!p.repaired && !p.recoverable) open[p.kind] = (open[p.kind] ?? 0) + 1;
        throw new KbVerifyError(flags.kb, open, Object.keys(open).some((k) => k !== 'source-file-changed'), verifyAdvice(Object.keys(open), flags.repair === true));
      }
    });
};
