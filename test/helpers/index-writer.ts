/**
 * Child process for the concurrent-reader test: rewrites every item of an index ROUNDS times; in round r
 * item i gets the vector of `i:r` and the text `r`. Prints `round <r>` after each commit.
 * Usage: node --import tsx test/helpers/index-writer.ts DIR ITEMS ROUNDS
 */
import { VectorIndex } from '../../index/index.js';
import { vectorFor } from './fake-embedder.js';

const [dir, itemsRaw, roundsRaw] = process.argv.slice(2);
const items = Number(itemsRaw);
const index = VectorIndex.open(dir);
for (let r = 1; r <= Number(roundsRaw); r++) {
  index.upsert(
    Array.from({ length: items }, (_, i) => ({
      id: `i${i}`,
      vector: vectorFor(`${i}:${r}`),
      modality: 'text' as const,
      source: 'w',
      text: String(r),
      contentHash: `${i}:${r}`,
      modelVersion: 'm',
    })),
  );
  process.stdout.write(`round ${r}\n`);
}
index.close();
