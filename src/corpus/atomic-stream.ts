/**
 * A file written as a stream and put in place atomically on commit (src/core/fs.ts's
 * `withAtomicFile` does the temp name, fsync and rename): corpus train.jsonl and shards are larger
 * than one wants to hold in memory, and readers must still never see half of one.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { withAtomicFile } from '../core/fs.js';

/** Bytes buffered in the write stream before a writer waits for the disk. */
const HIGH_WATER = 16 << 20;

class Aborted extends Error {}

/** An open atomic file: write to it, then commit (it appears) or abort (nothing appears). */
export interface AtomicStream {
  /** The temp file's stream, to pipe into (a pipe may end it: commit waits for it to flush). */
  readonly stream: WriteStream;
  /** Writes a chunk, waiting for the disk when much is buffered. */
  write(chunk: string | Uint8Array): Promise<void>;
  /** Bytes written so far. */
  readonly bytes: number;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/**
 * Opens `target` for streaming; the old file stays as it was until {@link AtomicStream.commit}.
 *
 * @example
 * const f = await openAtomicStream('out/train.jsonl');
 * try { for (const r of records) await f.write(JSON.stringify(r) + '\n'); await f.commit(); }
 * catch (err) { await f.abort(); throw err; }
 */
export async function openAtomicStream(target: string): Promise<AtomicStream> {
  let release!: (ok: boolean) => void;
  const gate = new Promise<boolean>((r) => (release = r));
  let opened!: (s: WriteStream) => void;
  const ready = new Promise<WriteStream>((r) => (opened = r));
  let failure: Error | null = null;
  const done = withAtomicFile(target, async (tmp) => {
    const ws = createWriteStream(tmp);
    ws.on('error', (err) => (failure ??= err));
    opened(ws);
    const ok = await gate;
    if (!ws.writableEnded) ws.end();
    if (!ws.writableFinished && !ws.destroyed) await once(ws, 'finish').catch(() => undefined);
    // A piped tar pack that is destroyed destroys this stream too, possibly while its lazy open()
    // is still in flight: wait for the descriptor to close, or the file appears after we remove it.
    if (!ws.closed) await once(ws, 'close').catch(() => undefined);
    // An abandoned file's stream errors are expected (its source was destroyed): nothing is kept.
    if (!ok) throw new Aborted();
    if (failure) throw failure;
  });
  // Surface a failure to open the temp file now rather than at the first write.
  const early = done.then(() => null, (err: unknown) => err);
  const ws = await Promise.race([ready, early.then((err) => Promise.reject(err))]);
  let bytes = 0;
  return {
    stream: ws,
    get bytes() {
      return bytes;
    },
    async write(chunk) {
      if (failure) throw failure;
      bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
      if (!ws.write(chunk) && ws.writableLength > HIGH_WATER) await once(ws, 'drain');
    },
    async commit() {
      release(true);
      await done;
    },
    async abort() {
      release(false);
      await done.catch((err: unknown) => {
        if (!(err instanceof Aborted)) throw err;
      });
    },
  };
}
