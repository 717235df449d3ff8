import type { Command } from 'commander';
import { createProgress } from '../core/progress.js';
import { writeReport } from '../report/index.js';
import { printJson, printWarnings, type CliIo, type RegisterCommand } from './shared.js';

/**
 * `mmalign report DIR`: writes DIR/report.html for an align output folder, or a corpus summary
 * (plus each video's page) for a corpus folder.
 *
 * @example
 * mmalign report talk-out          # → talk-out/report.html, open it in a browser
 * mmalign report corpus-out --json # {"kind":"corpus","file":".../report.html","videos":120,...}
 */
export const registerReport: RegisterCommand = (program: Command, io: CliIo) => {
  program
    .command('report')
    .description(
      'Write DIR/report.html: one self-contained page (opens from disk, no network) showing an aligned video\'s sync, timeline and pairs; ' +
        'for a corpus folder, a summary linking to every video\'s page.',
    )
    .argument('<dir>', 'an align output folder (with run.json) or a corpus output folder (with corpus.json)')
    .option('--no-video-pages', 'for a corpus: write only the summary, not each video\'s page')
    .option('--json', 'print {kind, file, counts, warnings} as JSON')
    .action(async (dir: string, flags: { json?: boolean; videoPages: boolean }) => {
      const progress = createProgress({ stream: io.stderr, enabled: !flags.json });
      try {
        const result = await writeReport(dir, { videoPages: flags.videoPages, progress });
        progress.stop();
        printWarnings(io, result.warnings);
        if (flags.json) printJson(io, result);
        else if (result.kind === 'video') {
          io.stdout.write(`wrote ${result.file}: ${result.pairs} pairs, ${result.cues} cues (${result.unpairedCues} unpaired)\n`);
        } else {
          io.stdout.write(`wrote ${result.file}: ${result.videos} videos, ${result.pages} video pages, ${result.failures} failures\n`);
        }
      } finally {
        progress.stop();
      }
    });
};
