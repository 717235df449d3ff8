/**
 * WebDataset shards: plain POSIX tar files `shards/000000.tar`, `000001.tar`..., each sample stored
 * as consecutive members that share a key (`KEY.jpg`, `KEY.txt`, `KEY.json`, optionally `KEY.wav`),
 * which is exactly what `webdataset.WebDataset(...)` and `datasets.load_dataset('webdataset', ...)`
 * group into one record. Written with tar-stream; every shard appears atomically and whole, with
 * fixed member times and modes, so the same samples give the same bytes on every machine.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import tar from 'tar-stream';
import { InvalidOptionError } from '../core/errors/index.js';
import { openAtomicStream, type AtomicStream } from './atomic-stream.js';
import { KEY_PATTERN } from './keys.js';

/** One member of a sample: its extension (no dot) and bytes. */
export interface SampleFile {
  ext: string;
  data: Uint8Array;
}

/** Per-shard counts, as stats.json lists them. */
export interface ShardStats {
  /** Relative to the corpus folder, e.g. `shards/000003.tar`. */
  file: string;
  samples: number;
  train: number;
  dev: number;
  /** Bytes of the tar file. */
  bytes: number;
}

interface OpenShard {
  pack: tar.Pack;
  file: AtomicStream;
  stats: ShardStats;
}

const SHARD_NAME = /^(\d{6})\.tar$/;
// Fixed member metadata: reproducible bytes (a shard's hash says whether its content changed).
const MTIME = new Date(Date.UTC(2000, 0, 1));

/** `shards/000042.tar` for shard 42. */
export function shardName(index: number): string {
  return `${String(index).padStart(6, '0')}.tar`;
}

/**
 * Writes samples into consecutive shards of `shardSize` samples each, in the order they are added.
 *
 * @example
 * const shards = new ShardWriter('/data/out/shards', 1000);
 * await shards.add('talk-1a2b_c000001_t000001000', 'train', [{ ext: 'jpg', data: jpeg }, { ext: 'txt', data: Buffer.from('Hi') }]);
 * const stats = await shards.close();
 */
export class ShardWriter {
  readonly dir: string;
  readonly shardSize: number;
  readonly #stats: ShardStats[] = [];
  #current: OpenShard | null = null;
  #failed = false;

  constructor(dir: string, shardSize: number) {
    if (!Number.isInteger(shardSize) || shardSize < 1) throw new InvalidOptionError('shard-size', shardSize, 'a whole number of samples per shard, at least 1');
    this.dir = dir;
    this.shardSize = shardSize;
  }

  async #open(): Promise<OpenShard> {
    const name = shardName(this.#stats.length);
    const file = await openAtomicStream(path.join(this.dir, name));
    const pack = tar.pack();
    // The pack ends the file stream when it ends; commit then waits for it to flush.
    pack.pipe(file.stream);
    const stats: ShardStats = { file: `${path.basename(this.dir)}/${name}`, samples: 0, train: 0, dev: 0, bytes: 0 };
    this.#stats.push(stats);
    return { pack, file, stats };
  }

  /** Adds one sample; `key` must be a dot-free sample key. */
  async add(key: string, split: 'train' | 'dev', files: readonly SampleFile[]): Promise<void> {
    if (!KEY_PATTERN.test(key)) throw new InvalidOptionError('sample key', key, 'letters, digits, "_" and "-" only');
    if (this.#current && this.#current.stats.samples >= this.shardSize) await this.#finish();
    this.#current ??= await this.#open();
    const { pack, stats, file } = this.#current;
    for (const f of files) {
      await new Promise<void>((resolve, reject) =>
        pack.entry({ name: `${key}.${f.ext}`, size: f.data.byteLength, mtime: MTIME, mode: 0o644, uid: 0, gid: 0, uname: '', gname: '' }, Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength), (err?: Error | null) =>
          err ? reject(err) : resolve(),
        ),
      );
    }
    stats.samples++;
    stats[split]++;
    // Back-pressure: let the disk catch up before buffering more samples.
    if (file.stream.writableLength > 16 << 20) await new Promise<void>((r) => file.stream.once('drain', () => r()));
  }

  async #finish(): Promise<void> {
    const cur = this.#current;
    if (!cur) return;
    this.#current = null;
    const ended = new Promise<void>((resolve, reject) => cur.pack.once('end', resolve).once('error', reject));
    cur.pack.finalize();
    await ended;
    await cur.file.commit();
    cur.stats.bytes = (await stat(path.join(this.dir, path.basename(cur.stats.file)))).size;
  }

  /** Finishes the last shard and removes shards a previous, larger run left past the new count. */
  async close(): Promise<ShardStats[]> {
    if (this.#failed) throw new Error('ShardWriter.close after abort');
    await this.#finish();
    for (const name of await readdir(this.dir).catch(() => [] as string[])) {
      const m = SHARD_NAME.exec(name);
      if (m && Number(m[1]) >= this.#stats.length) await rm(path.join(this.dir, name), { force: true });
    }
    return this.#stats;
  }

  /** Drops the shard being written (the shards already finished stay, as complete files). */
  async abort(): Promise<void> {
    this.#failed = true;
    const cur = this.#current;
    this.#current = null;
    if (cur) {
      cur.pack.destroy();
      await cur.file.abort();
    }
  }
}

/**
 * Reads a shard back into samples (key → ext → bytes), in member order; for tests and checks.
 *
 * @example
 * const samples = await readShard(fs.createReadStream('shards/000000.tar'));
 */
export async function readShard(input: NodeJS.ReadableStream): Promise<Map<string, Map<string, Buffer>>> {
  const extract = tar.extract();
  const samples = new Map<string, Map<string, Buffer>>();
  input.pipe(extract);
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const c of entry) chunks.push(c as Buffer);
    const name = entry.header.name;
    const dot = name.indexOf('.');
    const key = dot < 0 ? name : name.slice(0, dot);
    const ext = dot < 0 ? '' : name.slice(dot + 1);
    if (!samples.has(key)) samples.set(key, new Map());
    samples.get(key)!.set(ext, Buffer.concat(chunks));
  }
  return samples;
}
