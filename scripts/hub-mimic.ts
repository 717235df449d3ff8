/**
 * Writes the loopback hub mimic (test/helpers/hub-mimic.ts) and serves it until Ctrl-C, for trying
 * real-model commands by hand without the network:
 *
 *   npx tsx scripts/hub-mimic.ts --root /tmp/hub --port 43210
 *   HF_ENDPOINT=http://127.0.0.1:43210 mmalign models pull Xenova/bert-base-uncased --dtype q8
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startHubMimic, writeHubMimic } from '../test/helpers/hub-mimic.js';

const { values } = parseArgs({ options: { root: { type: 'string' }, port: { type: 'string', default: '0' } } });
const root = values.root ?? mkdtempSync(join(tmpdir(), 'mmalign-hub-'));
const models = await writeHubMimic(root);
const hub = await startHubMimic(root, { port: Number(values.port) });
for (const m of Object.values(models)) process.stdout.write(`${m.id}: ${m.files.join(', ')}\n`);
process.stdout.write(`serving ${root} at ${hub.url} (HF_ENDPOINT=${hub.url}); Ctrl-C stops\n`);
process.once('SIGINT', () => void hub.stop().then(() => process.exit(130)));
