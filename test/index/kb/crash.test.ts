import { beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KnowledgeBase, VectorIndex } from 'mmalign';
import { fakeEmbedders, vectorFor } from '../../helpers/fake-embedder.js';
import { manifestItems, writeManifests } from '../../helpers/crash-manifests.js';
import { tempDir } from '../../helpers/tmp.js';
import { mulberry32 } from '../../../src/core/random.js';

const WRITER = fileURLToPath(new URL('../../helpers/kb-writer.ts', import.meta.url));
const INDEX_WRITER = fileURLToPath(new URL('../../helpers/index-writer.ts', import.meta.url));
const VERSIONS = 40;

let root: string;
beforeEach(() => {
  root = tempDir('crash');
});

/**
 * Runs the writer. With `kill`, SIGKILLs it `delayMs` after it reports version `after` committed (0 = after it is
 * ready) and `delayMs` (a fraction, 0-1) of the last sync's duration, so the kill lands inside the next sync.
 */
function runWriter(kbDir: string, manifests: string, kill: { after: number; delayMs: number } | null): Promise<{ killed: boolean; committed: number[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, kbDir, manifests, String(VERSIONS)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const committed: number[] = [];
    let stderr = '';
    let buf = '';
    // delayMs is a fraction of the last sync's duration once one is known, so kills spread over scan,
    // encode, commit and index save whatever the machine's speed.
    let lastAt = 0;
    let gap = 40;
    const arm = (): void => void setTimeout(() => child.kill('SIGKILL'), Math.floor((kill?.delayMs ?? 0) * gap));
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line === 'ready' && kill?.after === 0) arm();
        const m = /^committed (\d+)$/.exec(line);
        if (m) {
          const now = performance.now();
          if (lastAt > 0) gap = (now - lastAt) * 1.2;
          lastAt = now;
          committed.push(Number(m[1]));
          if (kill && Number(m[1]) === kill.after) arm();
        }
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ killed: true, committed });
      else if (code === 0) resolve({ killed: false, committed });
      else reject(new Error(`writer exited with ${code}: ${stderr}`));
    });
  });
}

/** Every item of the current version is present and findable, and nothing else is. */
async function expectConsistent(kbDir: string): Promise<number> {
  const kb = await KnowledgeBase.open(kbDir, { encoders: fakeEmbedders().provider });
  try {
    const v = kb.currentVersion;
    const expected = v === 0 ? [] : manifestItems(v);
    const actual = [...kb.items()];
    expect(actual.map((i) => i.id).sort()).toEqual(expected.map((i) => i.id).sort());
    const textById = new Map(actual.map((i) => [i.id, i.text]));
    for (const it of expected) {
      expect(textById.get(it.id)).toBe(it.text);
      const [hit] = await kb.search({ vector: vectorFor(`text:${it.text}`) }, { k: 1 });
      expect(hit?.id).toBe(it.id);
    }
    expect(kb.size).toBe(expected.length);
    const report = await kb.verify();
    expect(report.problems).toEqual([]);
    return v;
  } finally {
    await kb.close();
  }
}

describe('crash safety', () => {
  it('leaves exactly the last committed version searchable after SIGKILLs at random points of a sync', async () => {
    const manifests = join(root, 'manifests');
    mkdirSync(manifests);
    writeManifests(manifests, VERSIONS);
    const kbDir = join(root, 'kb');
    const rand = mulberry32(20261201);
    let killedMidway = 0;
    let last = 0;
    for (let i = 0; i < 8; i++) {
      // After some version still to come (or during this run's first sync), then somewhere inside the next sync.
      const after = rand() < 0.2 ? 0 : Math.min(VERSIONS - 1, last + 1 + Math.floor(rand() * 3));
      const { killed, committed } = await runWriter(kbDir, manifests, { after, delayMs: rand() });
      if (killed) killedMidway++;
      const v = await expectConsistent(kbDir);
      // What the child reported committed is durable; it may have committed one more it never got to report.
      expect(v).toBeGreaterThanOrEqual(Math.max(last, ...committed));
      expect(v - Math.max(last, ...committed)).toBeLessThanOrEqual(1);
      last = v;
      if (v === VERSIONS) break;
    }
    expect(killedMidway).toBeGreaterThan(0);
    const { killed } = await runWriter(kbDir, manifests, null);
    expect(killed).toBe(false);
    expect(await expectConsistent(kbDir)).toBe(VERSIONS);
  }, 120_000);

  it('shows readers one whole generation at a time while another process writes', async () => {
    const dir = join(root, 'idx');
    const ITEMS = 300;
    const first = VectorIndex.open(dir);
    first.close();
    const child = spawn(process.execPath, ['--import', 'tsx', INDEX_WRITER, dir, String(ITEMS), '15'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let exited = false;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const done = new Promise<number | null>((resolve) => child.on('exit', (code) => ((exited = true), resolve(code))));
    let checks = 0;
    const rounds = new Set<number>();
    while (!exited) {
      // No refresh during the checks: this reader must answer for the one generation it loaded.
      const reader = VectorIndex.open(dir, { readonly: true, persistRebuild: false, refreshIntervalMs: 60_000 });
      try {
        // The graph and the id map were loaded from one generation: every item answers to that round's vector.
        const round = Number(reader.get('i0')?.text ?? 0);
        if (reader.size > 0 && reader.generation === round) {
          rounds.add(round);
          for (const i of [0, 57, 123, 299]) expect(reader.search(vectorFor(`${i}:${round}`), { k: 1 })[0]?.id).toBe(`i${i}`);
          checks++;
        }
      } finally {
        reader.close();
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await done, stderr).toBe(0);
    expect(checks).toBeGreaterThan(0);
    expect(rounds.size).toBeGreaterThan(1); // the reader really saw several generations go by
    const last = VectorIndex.open(dir);
    expect(last.generation).toBe(15);
    last.close();
  }, 60_000);
});
