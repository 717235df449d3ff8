import { createHash } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { withAtomicFile } from '../../src/core/fs.js';

/** Appends bytes to the file being written (and to its hash and byte count). */
export type PutBytes = (bytes: Uint8Array) => Promise<void>;

/**
 * Writes a file piece by piece, atomically, hashing and counting every byte on the way, so that a
 * multi-GB model is never held whole in memory nor read back to be hashed.
 *
 * @example
 * const { bytes, sha256 } = await writeHashedFile('out/model.onnx', async (put) => { await put(head); await put(weights); });
 */
export async function writeHashedFile(path: string, fill: (put: PutBytes) => Promise<void>): Promise<{ bytes: number; sha256: string }> {
  await mkdir(dirname(path), { recursive: true });
  const hash = createHash('sha256');
  let written = 0;
  await withAtomicFile(path, async (tmp) => {
    const fh = await open(tmp, 'w');
    try {
      await fill(async (b) => {
        let off = 0;
        while (off < b.length) off += (await fh.write(b, off, b.length - off)).bytesWritten;
        hash.update(b);
        written += b.length;
      });
    } finally {
      await fh.close();
    }
  });
  return { bytes: written, sha256: hash.digest('hex') };
}
