/** The vector index and the knowledge base. */
import { MmalignError } from './base.js';

/** A vector whose length is not the index's width (e.g. a 768-d native embedding given to a 256-d index). */
export class VectorDimensionError extends MmalignError {
  readonly id: string | null;
  readonly expected: number;
  readonly actual: number;
  constructor(id: string | null, expected: number, actual: number) {
    super(
      `${id === null ? 'Query vector' : `Vector for item ${JSON.stringify(id)}`} has ${actual} dimensions; the index holds ${expected}-d vectors. ` +
        'Project it into the shared space first (encoders return 256-d vectors; embedNative does not).',
      { code: 'VECTOR_DIMENSION' },
    );
    this.id = id;
    this.expected = expected;
    this.actual = actual;
  }
}

/** A vector with NaN/Infinity in it, or all zeros (no direction, so cosine is undefined). */
export class InvalidVectorError extends MmalignError {
  readonly id: string | null;
  /** Position of the first bad component, or -1 for an all-zero vector. */
  readonly position: number;
  readonly value: number;
  constructor(id: string | null, position: number, value: number) {
    const what = id === null ? 'Query vector' : `Vector for item ${JSON.stringify(id)}`;
    super(
      position < 0
        ? `${what} is all zeros; cosine similarity needs a non-zero vector. Check the encoder output.`
        : `${what} has ${String(value)} at position ${position}; only finite numbers can be indexed. Check the encoder output.`,
      { code: 'INVALID_VECTOR' },
    );
    this.id = id;
    this.position = position;
    this.value = value;
  }
}

/** Another process holds the knowledge base's writer lock for longer than we were willing to wait. */
export class KbLockedError extends MmalignError {
  readonly lockFile: string;
  readonly holderPid: number | null;
  readonly holderHost: string | null;
  /** When the holder took the lock (ms since epoch), when known. */
  readonly since: number | null;
  readonly waitedMs: number;
  constructor(lockFile: string, holder: { pid: number | null; host: string | null; since: number | null }, waitedMs: number) {
    const who = holder.pid === null ? 'an unknown process' : `process ${holder.pid}${holder.host ? ` on ${holder.host}` : ''}`;
    const when = holder.since === null ? '' : ` since ${new Date(holder.since).toISOString()}`;
    super(
      `Knowledge base is locked by ${who}${when} (${lockFile}); gave up after ${waitedMs} ms. ` +
        'Wait for that writer to finish, or raise the lock timeout. If that process is gone, delete the lock file.',
      { code: 'KB_LOCKED' },
    );
    this.lockFile = lockFile;
    this.holderPid = holder.pid;
    this.holderHost = holder.host;
    this.since = holder.since;
    this.waitedMs = waitedMs;
  }
}

/** The knowledge base's files are damaged beyond what opening can repair on its own. */
export class KbCorruptError extends MmalignError {
  readonly path: string;
  readonly reason: string;
  /**
   * `advice`: what to do, when it is not the default (`kb verify --repair`, or a backup), e.g. for a
   * damaged SQLite file, which a repair cannot rebuild because it is what repairs rebuild from.
   */
  constructor(path: string, reason: string, cause?: unknown, advice?: string) {
    super(`${path}: ${reason}. ${advice ?? 'Run `mmalign kb verify --kb DIR --repair`, or restore the folder from a backup.'}`, {
      code: 'KB_CORRUPT',
      cause,
    });
    this.path = path;
    this.reason = reason;
  }
}

/** `kb verify` found problems that remain after the run (not repaired, or `--repair` not given). */
export class KbVerifyError extends MmalignError {
  readonly dir: string;
  /** Problems still open, by kind, e.g. `{ 'index-file-missing': 1 }`. */
  readonly open: Readonly<Record<string, number>>;
  /** `advice`, when given, says what to do instead of the default for `repairable`. */
  constructor(dir: string, open: Readonly<Record<string, number>>, repairable: boolean, advice?: string) {
    const total = Object.values(open).reduce((a, b) => a + b, 0);
    const list = Object.entries(open).map(([k, n]) => `${n} ${k}`).join(', ');
    super(
      `${dir}: ${total} problem(s) remain (${list}). ${advice ?? (repairable ? 'Run `mmalign kb verify --kb DIR --repair`.' : 'Sync the changed sources again.')}`,
      { code: 'KB_VERIFY' },
    );
    this.dir = dir;
    this.open = open;
  }
}

/** A knowledge-base query embedded with other models or heads than the items it would be compared with. */
export class KbModelMismatchError extends MmalignError {
  readonly modality: string;
  readonly queryVersion: string;
  readonly storedVersions: readonly string[];
  constructor(kbDir: string, modality: string, queryVersion: string, storedVersions: readonly string[], describe: (version: string) => string = (v) => v) {
    super(
      `${kbDir}: the ${modality} items of this knowledge base were embedded with ${storedVersions.map(describe).join(', ')}, ` +
        `but the query with ${describe(queryVersion)}; their scores would not be comparable. ` +
        `Search with the same --${modality}-model, --dtype, --models and --heads the knowledge base was synced with (\`mmalign kb models --kb ${kbDir}\` lists them).`,
      { code: 'KB_MODEL_MISMATCH' },
    );
    this.modality = modality;
    this.queryVersion = queryVersion;
    this.storedVersions = storedVersions;
  }
}
