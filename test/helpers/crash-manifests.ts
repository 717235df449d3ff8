import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Items of manifest version k (1-based): each version adds, drops and edits some, deterministically. */
export function manifestItems(k: number, size = 200): { id: string; text: string }[] {
  const out: { id: string; text: string }[] = [];
  for (let i = 0; i < size + k * 3; i++) {
    // ~1 in 7 items absent in a given version, a different set each time.
    if ((i * 31 + k * 17) % 7 === 0) continue;
    const rev = Math.floor(k / (1 + (i % 5)));
    out.push({ id: `item${i}`, text: `item ${i} revision ${rev}` });
  }
  return out;
}

/** Writes manifests 1..n into `dir` as `v<k>.jsonl`. */
export function writeManifests(dir: string, n: number): void {
  for (let k = 1; k <= n; k++) {
    const lines = manifestItems(k).map((it) => JSON.stringify({ id: it.id, modality: 'text', text: it.text, timestamp: 1000 }));
    writeFileSync(join(dir, `v${k}.jsonl`), lines.join('\n') + '\n');
  }
}
