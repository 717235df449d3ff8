/** How long-running work reports itself: progress bars per stage, and notices for the user. */
import cliProgress from 'cli-progress';

/**
 * Where notices go: `warn` for what the user should act on (a GPU provider that was asked for and
 * fell back to cpu, an input that was skipped), `info` for what `--verbose` explains (which device
 * `auto` picked and why). Injectable so tests, quiet embedders and the CLI can capture them.
 *
 * @example
 * const logger: Logger = { warn: (m) => warnings.push(m), info: (m) => console.error(m) };
 */
export interface Logger {
  warn(message: string): void;
  /** Details for `--verbose`; dropped when absent. */
  info?(message: string): void;
}

/** One stage's progress; a no-op when progress is not shown. */
export interface StageProgress {
  tick(n?: number): void;
  setTotal(total: number): void;
  done(): void;
}

export interface Progress {
  stage(name: string, total: number): StageProgress;
  stop(): void;
}

const noopStage: StageProgress = { tick() {}, setTotal() {}, done() {} };

/** Progress that prints nothing: for `--json`, pipes, CI logs and library use. */
export const silentProgress: Progress = Object.freeze({ stage: () => noopStage, stop() {} });

/**
 * A bar per stage on a TTY (cli-progress), nothing otherwise.
 *
 * @example
 * const progress = createProgress({ stream: process.stderr, enabled: !opts.json });
 * const frames = progress.stage('frames', 120); frames.tick(); frames.done();
 */
export function createProgress({
  stream = process.stderr,
  enabled = true,
}: { stream?: NodeJS.WritableStream & { isTTY?: boolean }; enabled?: boolean } = {}): Progress {
  if (!enabled || !stream.isTTY) return silentProgress;
  const multi = new cliProgress.MultiBar(
    {
      stream: stream as NodeJS.WriteStream,
      format: ' {stage} [{bar}] {value}/{total} {percentage}% | {duration_formatted}',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  return {
    stage(name, total) {
      const bar = multi.create(Math.max(total, 0), 0, { stage: name.padEnd(10) });
      return {
        tick: (n = 1) => bar.increment(n),
        setTotal: (t) => bar.setTotal(t),
        done: () => bar.update(bar.getTotal()),
      };
    },
    stop: () => multi.stop(),
  };
}
