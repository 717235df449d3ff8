/**
 * Child process for the crash test: syncs manifests v<k>.jsonl in order, starting after the knowledge
 * base's current version, until v<n>. Prints `ready` once open and `committed <k>` after each sync.
 * Usage: node --import tsx test/helpers/kb-writer.ts KB_DIR MANIFEST_DIR N
 */
import { join } from 'node:path';
import { KnowledgeBase } from '../../index/index.js';
import { fakeEmbedders } from './fake-embedder.js';

const [kbDir, manifestDir, nRaw] = process.argv.slice(2);
const n = Number(nRaw);
const kb = await KnowledgeBase.open(kbDir, { encoders: fakeEmbedders({ delayMs: 2 }).provider, batchSize: 8, lockTimeoutMs: 5000 });
process.stdout.write('ready\n');
for (let k = kb.currentVersion + 1; k <= n; k++) {
  await kb.sync(join(manifestDir, `v${k}.jsonl`), { sourceName: 'crash' });
  process.stdout.write(`committed ${k}\n`);
}
await kb.close();
