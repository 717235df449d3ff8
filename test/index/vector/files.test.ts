import { beforeEach, describe, expect, it } from 'vitest';
import { truncateSync, statSync } from 'node:fs';
import { checkHnswFile, indexFilePath } from '../../../index/vector/files.js';
import { VectorIndex } from 'mmalign';
import { vectorFor } from '../../helpers/fake-embedder.js';
import { tempDir } from '../../helpers/tmp.js';

let dir: string;
beforeEach(() => {
  dir = tempDir('hnsw-file');
});

/** An index of `n` items; returns the path of its HNSW file. */
function indexWith(n: number): string {
  const index = VectorIndex.open(dir);
  index.upsert(Array.from({ length: n }, (_, i) => ({ id: `i${i}`, vector: vectorFor(`i${i}`), modality: 'text' as const, source: 's', contentHash: `h${i}`, modelVersion: 'm' })));
  index.close();
  return indexFilePath(dir, 1);
}

describe('checkHnswFile', () => {
  it('accepts a complete file', () => {
    expect(() => checkHnswFile(indexWith(300), 300)).not.toThrow();
  });

  it('finds a file cut short inside its vectors or inside its links, which hnswlib writes without an error', () => {
    const file = indexWith(300);
    const size = statSync(file).size;
    truncateSync(file, size - 10);
    expect(() => checkHnswFile(file, 300)).toThrow(/stops inside its links|too many or too few/);
    truncateSync(file, Math.floor(size / 2));
    expect(() => checkHnswFile(file, 300)).toThrow(expect.objectContaining({ code: expect.stringMatching(/^(ENOSPC|EIO)$/), message: expect.stringMatching(/stops inside its vectors/) }));
  });

  it('finds a file holding another number of points than the graph', () => {
    expect(() => checkHnswFile(indexWith(10), 11)).toThrow(/holds 10 points instead of 11/);
  });

});
