/** Running ffmpeg: the one child-process wrapper every media operation goes through. */
import { spawn } from 'node:child_process';

export interface FfmpegRun {
  /** Exit status; null when the process was killed by a signal. */
  code: number | null;
  /** The signal that killed it (a crash: `SIGSEGV`), else null. */
  signal: NodeJS.Signals | null;
  /** Error-level stderr lines with their level tag removed (needs `-loglevel level+...`). */
  errors: string[];
}

export interface RunFfmpegOptions {
  /** Receives stdout as it arrives; a throw stops the process and rejects the run with that error. */
  onStdout?: (chunk: Buffer) => void;
  /** Receives each stderr line. */
  onLine?: (line: string) => void;
  /** Bytes written to stdin (then closed); stdin is ignored without them. */
  stdin?: Uint8Array;
  /** Aborting kills the process; the run rejects once it has exited. */
  signal?: AbortSignal;
  /**
   * Receives, once the process has started, a switch for its stdout: while paused, ffmpeg blocks
   * on the full pipe and stops decoding, so a slow consumer bounds the memory of a fast producer.
   */
  onStdoutFlow?: (flow: { pause(): void; resume(): void }) => void;
}

const ERROR_LINE = /^\[(error|fatal|panic)\]|\] \[(error|fatal|panic)\]/;

/**
 * Runs ffmpeg, streaming stdout to `onStdout` and stderr lines to `onLine`; collects
 * error-level lines (`-loglevel level+...` tags each line) so damage can be reported instead of
 * ignored. Resolves with the exit status whatever it is; rejects only when the binary cannot be
 * started, on abort, or when `onStdout` throws.
 *
 * @example
 * const run = await runFfmpeg('/usr/bin/ffmpeg', ['-loglevel', 'level+error', '-i', 'in.mp4', '-f', 'null', '-']);
 * if (run.code !== 0) console.error(run.errors);
 */
export function runFfmpeg(bin: string, args: readonly string[], { onStdout, onLine, stdin, signal, onStdoutFlow }: RunFfmpegOptions = {}): Promise<FfmpegRun> {
  return new Promise((resolve, reject) => {
    // SIGKILL on abort: the output is being thrown away, so there is nothing for ffmpeg to finish.
    const child = spawn(bin, args, { stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], signal, killSignal: 'SIGKILL' });
    const errors: string[] = [];
    const take = (line: string) => {
      if (ERROR_LINE.test(line)) errors.push(line.replace(/\[(error|fatal|panic)\] ?/, '').trim());
      onLine?.(line);
    };
    let rest = '';
    let failed: unknown = null;
    child.stdout!.on('data', (chunk: Buffer) => {
      if (failed || !onStdout) return;
      try {
        onStdout(chunk);
      } catch (err) {
        failed = err;
        child.kill('SIGKILL');
      }
    });
    onStdoutFlow?.({ pause: () => child.stdout!.pause(), resume: () => child.stdout!.resume() });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => {
      rest += s;
      const lines = rest.split('\n');
      rest = lines.pop() ?? '';
      lines.forEach(take);
    });
    // An abort of a running ffmpeg still waits for 'close', so callers never outlive the process.
    let aborted: unknown = null;
    child.on('error', (err) => {
      if (child.pid === undefined) reject(err);
      else aborted ??= err;
    });
    child.on('close', (code, exitSignal) => {
      if (rest) take(rest);
      if (failed) reject(failed);
      else if (aborted) reject(aborted);
      else resolve({ code, signal: exitSignal, errors });
    });
    if (stdin && child.stdin) {
      // ffmpeg may stop reading early (bad data); that EPIPE is reported by the exit status instead.
      child.stdin.on('error', () => undefined);
      child.stdin.end(stdin);
    }
  });
}

/** The first `n` non-empty lines of a text, trimmed and joined with ` | `. */
export function firstLines(text: string, n = 2): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(0, n)
    .join(' | ');
}

/** Messages that mean the input is damaged, not merely unusual. */
export const DAMAGE = /partial file|Invalid data found|Error while decoding|corrupt|truncat|moov atom not found|error reading header/i;

/** The first error lines, without ffmpeg's `[demuxer @ 0x...]` prefixes, for an error's `detail`. */
export function damageDetail(errors: readonly string[]): string {
  return firstLines(errors.map((e) => e.replace(/^\[[^\]]*@ 0x[0-9a-f]+\] /, '')).join('\n'));
}
