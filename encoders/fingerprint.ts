/**
 * The fingerprint of a model file: the sha256 of its bytes, so a model replaced under the same id
 * (re-exported, re-quantized, another seed) is told apart from the one the stored vectors came from.
 * Hashing is streamed and done once per file per process: the result is kept by path, size and mtime.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';

const known = new Map<string, { size: number; mtimeMs: number; hash: Promise<string> }>();

/**
 * The sha256 (hex) of a file, computed once per path + size + mtime in this process.
 *
 * @example
 * await fingerprintFile('models/Xenova/bert-base-uncased/onnx/model.onnx'); // 'a3f1…' (64 hex digits)
 */
export async function fingerprintFile(file: string): Promise<string> {
  const path = resolve(file);
  const st = await stat(path);
  const hit = known.get(path);
  if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.hash;
  const hash = hashFile(path);
  known.set(path, { size: st.size, mtimeMs: st.mtimeMs, hash });
  // A failed read is not remembered: the next call tries again.
  hash.catch(() => known.delete(path));
  return hash;
}

function hashFile(path: string): Promise<string> {
  return new Promise((done, fail) => {
    const h = createHash('sha256');
    // 4 MiB reads: a 400 MB model in about a hundred reads instead of six thousand 64 KiB ones.
    createReadStream(path, { highWaterMark: 4 << 20 })
      .on('data', (chunk) => h.update(chunk))
      .on('error', fail)
      .on('end', () => done(h.digest('hex')));
  });
}
