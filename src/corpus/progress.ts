/**
 * Progress of a corpus run: on a TTY one overall bar (videos, media hours, ETA, failures); otherwise
 * (CI logs, `nohup`, a pipe) one line per finished video, which greps and tails well.
 */
import cliProgress from 'cli-progress';
import type { VideoOutcome } from './types.js';

export interface CorpusProgressStart {
  total: number;
  /** Videos already complete (or failed for good, or duplicates) before this run. */
  alreadyDone: number;
  /** Their media hours. */
  alreadyHours: number;
  /** Failures known before any job ran (missing files). */
  failed: number;
  /** Where the work runs, for the first line: `2 local workers`, `queue redis://...`. */
  where: string;
}

export interface CorpusProgress {
  start(info: CorpusProgressStart): void;
  videoDone(outcome: VideoOutcome): void;
  /** A corpus-level step began (`finalize`). */
  phase(name: string): void;
  stop(): void;
}

/** Progress that prints nothing (library use). */
export const silentCorpusProgress: CorpusProgress = Object.freeze({ start() {}, videoDone() {}, phase() {}, stop() {} });

const hoursText = (h: number): string => (h >= 10 ? h.toFixed(1) : h.toFixed(2));

/**
 * The progress a `corpus align` run shows on `stream`.
 *
 * @example
 * const progress = createCorpusProgress({ stream: process.stderr });
 * progress.start({ total: 40, alreadyDone: 0, alreadyHours: 0, failed: 0, where: '2 local workers' });
 */
export function createCorpusProgress({ stream, bar = stream.isTTY === true }: { stream: NodeJS.WritableStream & { isTTY?: boolean }; bar?: boolean }): CorpusProgress {
  let total = 0;
  let done = 0;
  let failed = 0;
  let hours = 0;
  if (!bar) {
    return {
      start(info) {
        ({ total, failed } = info);
        done = info.alreadyDone;
        hours = info.alreadyHours;
        stream.write(`corpus: ${total} video(s), ${done} already done, ${total - done} to align on ${info.where}\n`);
      },
      videoDone(o) {
        done++;
        const where = `[${done}/${total}]`;
        if (o.status === 'failed') {
          failed++;
          stream.write(`${where} FAILED ${o.key} (${o.video}) after ${o.attempts ?? 1} attempt(s): ${o.error ?? 'unknown error'}\n`);
          return;
        }
        hours += o.duration / 3600;
        stream.write(`${where} ${o.status} ${o.key}: ${o.duration.toFixed(1)} s media, ${o.pairs} pairs, ${o.seconds.toFixed(1)} s\n`);
      },
      phase(name) {
        stream.write(`corpus: ${name} (${done}/${total} videos, ${hoursText(hours)} h media, ${failed} failed)\n`);
      },
      stop() {},
    };
  }
  const single = new cliProgress.SingleBar(
    {
      stream: stream as NodeJS.WriteStream,
      format: ' videos [{bar}] {value}/{total} | {hours} h media | ETA {eta_formatted} | {failures} failed{phase}',
      hideCursor: true,
      etaBuffer: 20,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  const payload = () => ({ hours: hoursText(hours), failures: failed, phase: '' });
  return {
    start(info) {
      ({ total, failed } = info);
      done = info.alreadyDone;
      hours = info.alreadyHours;
      single.start(total, done, payload());
    },
    videoDone(o) {
      done++;
      if (o.status === 'failed') failed++;
      else hours += o.duration / 3600;
      single.update(done, payload());
    },
    phase(name) {
      single.update(done, { ...payload(), phase: ` | ${name}` });
    },
    stop() {
      single.stop();
    },
  };
}
