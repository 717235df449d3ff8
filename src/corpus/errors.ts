/**
 * Errors as they cross a process boundary (pool child → parent, BullMQ job → Redis → coordinator),
 * and which ones are worth a retry: bad input fails the same way every time, so it fails at once;
 * anything else (a crash, a full disk, a lost worker) gets the video's retries.
 */
import { MmalignError, type ErrorCode } from '../core/errors/index.js';
import type { SerializedError } from './types.js';

/** Codes of errors that retrying with the same input and settings cannot fix. */
const PERMANENT: ReadonlySet<string> = new Set<ErrorCode>([
  'USAGE',
  'INVALID_OPTION',
  'INPUT_FILE',
  'SUBTITLE_PARSE',
  'MODEL_NOT_FOUND',
  'MODEL_LOAD',
  'HEADS_MISMATCH',
]);

/**
 * Whether an error is worth another attempt.
 *
 * @example
 * isRetryable(new MediaDecodeError('bad.mp4', 'is not a media file', '')); // false
 * isRetryable(new Error('ECONNRESET')); // true
 */
export function isRetryable(err: unknown): boolean {
  const said = (err as { retryable?: unknown } | null)?.retryable;
  if (typeof said === 'boolean') return said;
  const code = err instanceof MmalignError ? err.code : (err as { code?: unknown } | null)?.code;
  return !(typeof code === 'string' && PERMANENT.has(code));
}

/**
 * A plain object for an error: name, message, code (`ERROR` when it had none), retryable.
 *
 * @example
 * serializeError(new SubtitleParseError('a.srt', 3, 'bad time')); // { name: 'SubtitleParseError', code: 'SUBTITLE_PARSE', retryable: false, ... }
 */
export function serializeError(err: unknown): SerializedError {
  if (isSerialized(err)) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  const code = e instanceof MmalignError ? e.code : typeof (e as { code?: unknown }).code === 'string' ? String((e as { code?: unknown }).code) : 'ERROR';
  return { name: e.name, message: e.message, code, retryable: isRetryable(e), stack: e.stack };
}

function isSerialized(err: unknown): err is SerializedError {
  return !!err && typeof err === 'object' && !(err instanceof Error) && typeof (err as SerializedError).message === 'string' && typeof (err as SerializedError).retryable === 'boolean';
}

/** An error rebuilt from {@link serializeError}'s output, keeping its code and retryability. */
export class RemoteError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  constructor(e: SerializedError) {
    super(e.message);
    this.name = e.name;
    this.code = e.code;
    this.retryable = e.retryable;
    if (e.stack) this.stack = e.stack;
  }
}
