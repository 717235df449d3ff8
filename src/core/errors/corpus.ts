/** Failures of a corpus run as a whole: too many bad videos, an unusable queue, a worker process that died. */
import { MmalignError } from './base.js';

/**
 * Some videos of a corpus failed (each is listed in `errors.jsonl`). The exit status is the number of
 * failed videos, capped at 100, so a script can tell "3 bad files" from "all good" without parsing.
 */
export class CorpusFailuresError extends MmalignError {
  readonly failed: number;
  readonly total: number;
  /** The `--max-failures` ceiling when it stopped the run early, else null (the run completed). */
  readonly maxFailures: number | null;
  readonly errorsFile: string;
  constructor(failed: number, total: number, errorsFile: string, maxFailures: number | null = null) {
    super(
      maxFailures === null
        ? `${failed} of ${total} video(s) failed; the rest of the corpus is complete. Reasons are in ${errorsFile}; ` +
            'fix or remove those videos and run the same command again (complete videos are skipped).'
        : `stopped after ${failed} failed video(s) (more than --max-failures ${maxFailures}); no dataset files or shards were written. ` +
            `Reasons are in ${errorsFile}; a systematic problem (wrong subtitles, missing models) is likely.`,
      { code: 'CORPUS_FAILURES', exitCode: Math.min(Math.max(failed, 1), 100) },
    );
    this.failed = failed;
    this.total = total;
    this.maxFailures = maxFailures;
    this.errorsFile = errorsFile;
  }
}

/** The job queue (Redis, for `--queue`) cannot be used: unreachable, too old, or set to evict keys. */
export class QueueError extends MmalignError {
  readonly url: string;
  readonly reason: string;
  constructor(url: string, reason: string, cause?: unknown) {
    super(`queue ${url}: ${reason}`, { code: 'QUEUE', cause });
    this.url = url;
    this.reason = reason;
  }
}

/** A worker process (one video or the corpus finalize step) exited before it answered. */
export class WorkerCrashedError extends MmalignError {
  /** What it was doing, e.g. `video talk-1a2b3c4d`. */
  readonly task: string;
  readonly processExitCode: number | null;
  readonly signal: string | null;
  constructor(task: string, code: number | null, signal: string | null) {
    super(
      `the worker process died while working on ${task} (${signal ? `signal ${signal}` : `exit code ${code}`}); ` +
        'it is retried. If it keeps dying, the machine may be out of memory: lower --workers.',
      { code: 'WORKER_CRASHED' },
    );
    this.task = task;
    this.processExitCode = code;
    this.signal = signal;
  }
}
