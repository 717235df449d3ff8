/**
 * `writeReport(dir)`: DIR/report.html for an align output folder, or for a corpus folder a summary
 * page plus each video's page. Pages are written atomically: a reader sees the old page or the new.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { InputFileError } from '../core/errors/index.js';
import { writeFileAtomic } from '../core/fs.js';
import { silentProgress, type Progress } from '../core/progress.js';
import type { Warning } from '../core/types.js';
import { renderCorpusPage } from './corpus-page.js';
import type { SemanticLookup } from './models.js';
import { renderVideoPage } from './page.js';
import { readCorpusReport } from './read-corpus.js';
import { readVideoReport } from './read-video.js';

/** The file name of a report page inside its folder. */
export const REPORT_FILE = 'report.html';

export interface WriteReportOptions {
  /** Decides whether a recorded model is semantic; default: look its folder up. */
  semantic?: SemanticLookup;
  /** For a corpus folder: also (re)write each video's page, which the summary links to. Default true. */
  videoPages?: boolean;
  progress?: Progress;
}

export interface VideoReportResult {
  kind: 'video';
  file: string;
  pairs: number;
  cues: number;
  unpairedCues: number;
  /** What the report noticed reading the folder (run.json's own warnings are on the page, not here). */
  warnings: Warning[];
}

export interface CorpusReportResult {
  kind: 'corpus';
  file: string;
  videos: number;
  /** Video pages written (videos with a complete output folder). */
  pages: number;
  failures: number;
  warnings: Warning[];
}

export type WriteReportResult = VideoReportResult | CorpusReportResult;

async function writeVideo(dir: string, options: WriteReportOptions): Promise<VideoReportResult> {
  const report = await readVideoReport(dir, { semantic: options.semantic });
  const file = path.join(report.dir, REPORT_FILE);
  await writeFileAtomic(file, renderVideoPage(report));
  return {
    kind: 'video',
    file,
    pairs: report.pairs.length,
    cues: report.cues.length,
    unpairedCues: report.cues.filter((c) => c.unpairedReason !== undefined).length,
    warnings: report.notices,
  };
}

/**
 * Writes `dir/report.html`: a video's page when `dir` is an align output folder (run.json), a
 * corpus summary (and every video's page) when it is a corpus folder (corpus.json).
 *
 * @example
 * const r = await writeReport('talk-out');
 * console.log(`open ${r.file}`); // talk-out/report.html
 */
export async function writeReport(dir: string, options: WriteReportOptions = {}): Promise<WriteReportResult> {
  const abs = path.resolve(dir);
  if (existsSync(path.join(abs, 'corpus.json'))) {
    const progress = options.progress ?? silentProgress;
    const corpus = await readCorpusReport(abs);
    let pages = 0;
    const warnings = [...corpus.warnings];
    const withOutput = corpus.entries.filter((v) => v.href !== null && v.out !== null);
    if (options.videoPages !== false) {
      const bar = progress.stage('reports', withOutput.length);
      for (const v of withOutput) {
        const videoDir = v.out as string;
        try {
          await writeVideo(videoDir, options);
          pages++;
        } catch (err) {
          // One broken video folder must not cost the summary of the other thousands.
          warnings.push({ file: videoDir, message: `no page for ${v.key}: ${(err as Error).message}` });
          v.href = null;
        }
        bar.tick();
      }
      bar.done();
    } else {
      // Link only the pages that exist.
      for (const v of corpus.entries) if (v.out && !existsSync(path.join(v.out, REPORT_FILE))) v.href = null;
    }
    const file = path.join(abs, REPORT_FILE);
    await writeFileAtomic(file, renderCorpusPage({ ...corpus, warnings }));
    return { kind: 'corpus', file, videos: corpus.videos, pages, failures: corpus.failures.length, warnings };
  }
  if (!existsSync(path.join(abs, 'run.json'))) {
    throw new InputFileError(
      abs,
      existsSync(abs)
        ? 'has neither run.json (an align output folder) nor corpus.json (a corpus folder); pass the --out folder of `mmalign align` or `mmalign corpus align`'
        : 'does not exist; pass the --out folder of `mmalign align` or `mmalign corpus align`',
    );
  }
  return writeVideo(abs, options);
}
