import { beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { KnowledgeBase, VectorIndex } from 'mmalign';
import { acquireLock } from '../../../src/core/lock.js';
import { runCaptured as cli } from '../../helpers/cli.js';
import { fakeEmbedders, vectorFor } from '../../helpers/fake-embedder.js';
import { clock, kbFolders, type KbFolders } from '../../helpers/kb-folders.js';

let src = '';
let kbDir = '';
let write: KbFolders['write'];
beforeEach(() => {
  ({ src, kbDir, write } = kbFolders('kb-behind'));
});

/** A knowledge base at generation 2 whose newest HNSW file is gone: the state a sync killed between commit and save left in older versions. */
async function oneWriteBehind(): Promise<void> {
  write('a.txt', 'one\n\ntwo');
  const kb = await KnowledgeBase.open(kbDir, { encoders: fakeEmbedders().provider, clock });
  await kb.sync(src);
  write('c.txt', 'three');
  await kb.sync(src);
  await kb.close();
  rmSync(join(kbDir, 'vectors.2.hnsw'));
}

const reader = (): Promise<KnowledgeBase> => KnowledgeBase.open(kbDir, { readonly: true, encoders: fakeEmbedders().provider });

describe('a reader that finds the index one write behind', () => {
  it('saves the graph it rebuilt, once, so the next readers load the file instead of rebuilding', async () => {
    await oneWriteBehind();
    const db = statSync(join(kbDir, 'store.sqlite'));
    const first = await reader();
    expect(first.index.rebuiltOnOpen).toBe('generation-mismatch');
    expect((await first.search({ vector: vectorFor('text:three') }, { k: 1 }))[0].id).toBe('c.txt#part1');
    await first.close();
    expect(existsSync(join(kbDir, 'vectors.2.hnsw'))).toBe(true);
    const next = VectorIndex.open(kbDir, { readonly: true });
    expect(next.rebuiltOnOpen).toBeNull();
    next.close();
    // Only the HNSW file was written: the database and its lock are as they were.
    expect(statSync(join(kbDir, 'store.sqlite')).mtimeMs).toBe(db.mtimeMs);
    expect(readdirSync(kbDir)).not.toContain('writer.lock');
  });

  it('does not wait for a writer that holds the lock, and answers from the graph it rebuilt in memory', async () => {
    await oneWriteBehind();
    const lock = await acquireLock(join(kbDir, 'writer.lock'), { purpose: 'a long sync' });
    try {
      // Were the reader to wait for the lock, this would hang for the whole wait.
      const kb = await KnowledgeBase.open(kbDir, { readonly: true, encoders: fakeEmbedders().provider, lockTimeoutMs: 3_600_000 });
      expect((await kb.search({ vector: vectorFor('text:three') }, { k: 1 }))[0].id).toBe('c.txt#part1');
      await kb.close();
      expect(existsSync(join(kbDir, 'vectors.2.hnsw'))).toBe(false);
    } finally {
      lock.release();
    }
  });
});

describe('kb verify on an index one write behind', () => {
  it('reports it as recoverable and exits 0, changing nothing', async () => {
    await oneWriteBehind();
    const r = await cli(['kb', 'verify', '--kb', kbDir, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { ok: boolean; problems: { kind: string; recoverable: boolean; repaired: boolean; message: string }[] };
    expect(report.ok).toBe(true);
    expect(report.problems).toEqual([
      expect.objectContaining({ kind: 'generation-mismatch', recoverable: true, repaired: false, message: expect.stringMatching(/generation 2 .* generation 1 .*Nothing is lost/) }),
    ]);
    expect(existsSync(join(kbDir, 'vectors.2.hnsw'))).toBe(false);
    const text = await cli(['kb', 'verify', '--kb', kbDir]);
    expect(text.stdout).toMatch(/^note\s+generation-mismatch: /m);
  });

  it('saves the file with --repair', async () => {
    await oneWriteBehind();
    const r = await cli(['kb', 'verify', '--kb', kbDir, '--repair']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^repaired\s+generation-mismatch/m);
    expect(existsSync(join(kbDir, 'vectors.2.hnsw'))).toBe(true);
  });
});
