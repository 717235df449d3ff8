/**
 * A pool of Node child processes, one task at a time each: the local workers of `corpus align`, and
 * what a BullMQ worker hands its heavy jobs to so its own event loop stays free to renew job locks.
 * A child that dies mid-task fails that task with {@link WorkerCrashedError} and is replaced on
 * demand; a child whose parent dies (even by SIGKILL) exits as soon as the IPC channel closes.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InvalidOptionError, WorkerCrashedError } from '../core/errors/index.js';
import { RemoteError, serializeError } from './errors.js';
import type { SerializedError } from './types.js';

type ToChild = { type: 'task'; id: number; task: unknown } | { type: 'exit' };
type FromChild = { type: 'result'; id: number; ok: true; value: unknown } | { type: 'result'; id: number; ok: false; error: SerializedError };

export interface PoolOptions {
  /** The child's entry module (a `.js` file, or `.ts` run through tsx), which calls {@link serveTasks}. */
  module: string | URL;
  /** Child processes. */
  size: number;
  /** Extra environment of the children (merged over this process's). */
  env?: Readonly<Record<string, string>>;
  /** Where a child's stdout goes (default: this process's stderr, so `--json` stdout stays clean). */
  stdout?: NodeJS.WritableStream;
}

interface Slot {
  child: ChildProcess | null;
  busy: { id: number; label: string; resolve: (v: unknown) => void; reject: (e: Error) => void } | null;
}

/** The entry of a module next to `from`: its `.js` build when there is one, else the `.ts` source. */
export function siblingModule(from: string | URL, name: string): string {
  const js = fileURLToPath(new URL(`./${name}.js`, from));
  return existsSync(js) ? js : fileURLToPath(new URL(`./${name}.ts`, from));
}

/** Node flags that let a child run a `.ts` module (tsx's loader, resolved from this package). */
function execArgvFor(file: string): string[] {
  if (!file.endsWith('.ts')) return [];
  const loader = createRequire(import.meta.url).resolve('tsx');
  return ['--import', pathToFileURL(loader).href];
}

/**
 * A fixed-size pool; tasks wait in FIFO order for a free child.
 *
 * @example
 * const pool = new ProcessPool<{ n: number }, number>({ module: siblingModule(import.meta.url, 'square-child'), size: 2 });
 * const results = await Promise.all([1, 2, 3].map((n) => pool.run({ n }, `square ${n}`)));
 * await pool.close();
 */
export class ProcessPool<I, O> {
  readonly size: number;
  readonly #module: string;
  readonly #env: NodeJS.ProcessEnv;
  readonly #stdout: NodeJS.WritableStream;
  readonly #slots: Slot[];
  readonly #queue: { task: I; label: string; resolve: (v: unknown) => void; reject: (e: Error) => void }[] = [];
  #nextId = 1;
  #closed = false;

  constructor({ module, size, env = {}, stdout = process.stderr }: PoolOptions) {
    if (!Number.isInteger(size) || size < 1) throw new InvalidOptionError('workers', size, 'a whole number of processes, at least 1');
    this.size = size;
    this.#module = module instanceof URL ? fileURLToPath(module) : module;
    this.#env = { ...process.env, ...env };
    this.#stdout = stdout;
    this.#slots = Array.from({ length: size }, () => ({ child: null, busy: null }));
  }

  /** Runs a task on the next free child; `label` names it in a crash message. */
  run(task: I, label = 'a task'): Promise<O> {
    if (this.#closed) return Promise.reject(new Error('the process pool is closed'));
    return new Promise<O>((resolve, reject) => {
      this.#queue.push({ task, label, resolve: resolve as (v: unknown) => void, reject });
      this.#dispatch();
    });
  }

  /** Tasks running now. */
  get active(): number {
    return this.#slots.filter((s) => s.busy).length;
  }

  #spawn(slot: Slot): ChildProcess {
    const child = fork(this.#module, [], {
      execArgv: execArgvFor(this.#module),
      env: this.#env,
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    child.stdout?.on('data', (c: Buffer) => this.#stdout.write(c));
    child.on('message', (m: FromChild) => {
      if (m?.type !== 'result' || slot.busy?.id !== m.id) return;
      const job = slot.busy;
      slot.busy = null;
      if (m.ok) job.resolve(m.value);
      else job.reject(new RemoteError(m.error));
      this.#dispatch();
    });
    child.on('exit', (code, signal) => {
      if (slot.child === child) slot.child = null;
      const job = slot.busy;
      slot.busy = null;
      if (job) job.reject(new WorkerCrashedError(job.label, code, signal));
      if (!this.#closed) this.#dispatch();
    });
    child.on('error', () => undefined); // 'exit' follows and reports it
    return child;
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (this.#queue.length === 0 || this.#closed) return;
      if (slot.busy) continue;
      const next = this.#queue.shift()!;
      slot.child ??= this.#spawn(slot);
      const id = this.#nextId++;
      slot.busy = { id, label: next.label, resolve: next.resolve, reject: next.reject };
      slot.child.send({ type: 'task', id, task: next.task } satisfies ToChild);
    }
  }

  /** Kills every child now; their running tasks fail with {@link WorkerCrashedError}. */
  async destroy(): Promise<void> {
    this.#closed = true;
    for (const q of this.#queue.splice(0)) q.reject(new Error('the process pool was closed before this task ran'));
    await Promise.all(
      this.#slots.map(async (slot) => {
        const child = slot.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGKILL');
        await exited;
      }),
    );
  }

  /** Lets running tasks finish, then ends the children (killed after `graceMs`); queued tasks are rejected. */
  async close(graceMs = 10_000): Promise<void> {
    this.#closed = true;
    for (const q of this.#queue.splice(0)) q.reject(new Error('the process pool was closed before this task ran'));
    await Promise.all(
      this.#slots.map(async (slot) => {
        const child = slot.child;
        if (!child) return;
        if (slot.busy) await new Promise<void>((r) => child.once('message', () => r()).once('exit', () => r()));
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        if (child.connected) child.send({ type: 'exit' } satisfies ToChild);
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}

/**
 * The child side: answers each task with `handler`'s result or its error, and exits when told to,
 * or when the parent is gone (a killed parent must not leave children aligning for nobody).
 *
 * @example
 * // square-child.ts
 * serveTasks(async ({ n }: { n: number }) => n * n);
 */
export function serveTasks<I, O>(handler: (task: I) => Promise<O>): void {
  if (!process.send) throw new Error('serveTasks runs in a child process started by ProcessPool');
  process.on('disconnect', () => process.exit(1));
  process.on('message', (m: ToChild) => {
    if (m?.type === 'exit') process.exit(0);
    if (m?.type !== 'task') return;
    handler(m.task as I).then(
      (value) => process.send!({ type: 'result', id: m.id, ok: true, value } satisfies FromChild),
      (err: unknown) => process.send!({ type: 'result', id: m.id, ok: false, error: serializeError(err) } satisfies FromChild),
    );
  });
}
