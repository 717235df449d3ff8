import { beforeEach, describe, expect, it } from 'vitest';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { KnowledgeBase } from 'mmalign';
import { runCaptured as cli } from '../../helpers/cli.js';
import { fakeEmbedders, vectorFor } from '../../helpers/fake-embedder.js';
import { clock, kbFolders, type KbFolders } from '../../helpers/kb-folders.js';

let src = '';
let kbDir = '';
let write: KbFolders['write'];
beforeEach(() => {
  ({ src, kbDir, write } = kbFolders());
});

describe('verify', () => {
  async function built(): Promise<KnowledgeBase> {
    write('a.txt', 'one\n\ntwo');
    write('pic.jpg', Buffer.from([1, 2]));
    const kb = await KnowledgeBase.open(kbDir, { encoders: fakeEmbedders().provider, clock });
    await kb.sync(src);
    return kb;
  }

  it('reports a healthy knowledge base as ok', async () => {
    const kb = await built();
    const report = await kb.verify();
    expect(report).toMatchObject({ ok: true, items: 3, problems: [] });
    await kb.close();
  });

  it('finds and repairs a deleted index file', async () => {
    const kb = await built();
    const file = kb.index.indexFile();
    rmSync(file);
    const report = await kb.verify();
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => p.kind)).toEqual(['index-file-missing']);
    const repaired = await kb.verify({ repair: true });
    expect(repaired.problems[0]).toMatchObject({ kind: 'index-file-missing', repaired: true });
    expect(existsSync(file)).toBe(true);
    expect(await kb.verify()).toMatchObject({ ok: true, problems: [] });
    await kb.close();
  });

  it('finds and repairs a generation mismatch between the database and the index file', async () => {
    const kb = await built();
    write('c.txt', 'three');
    await kb.sync(src); // generation 2; generation 1's file is kept one step
    rmSync(kb.index.indexFile(2));
    const report = await kb.verify();
    expect(report.problems).toEqual([expect.objectContaining({ kind: 'generation-mismatch', message: expect.stringMatching(/generation 2 .* generation 1/) })]);
    await kb.close();
    // A fresh open rebuilds from SQLite, so readers never see the stale file's state.
    const reopened = await KnowledgeBase.open(kbDir, { encoders: fakeEmbedders().provider, clock });
    expect((await reopened.search({ vector: vectorFor('text:three') }, { k: 1 }))[0].id).toBe('c.txt#part1');
    expect(await reopened.verify({ repair: false })).toMatchObject({ ok: true }); // open wrote the rebuilt file back
    await reopened.close();
  });

  it('deletes items whose source file vanished when repairing, as a repair version', async () => {
    const kb = await built();
    rmSync(join(src, 'pic.jpg'));
    const report = await kb.verify({ repair: true });
    expect(report.problems).toEqual([expect.objectContaining({ kind: 'source-file-missing', id: 'pic.jpg', repaired: true })]);
    expect(kb.index.get('pic.jpg')).toBeUndefined();
    expect(kb.versions().at(-1)).toMatchObject({ kind: 'repair', deleted: 1, version: report.repairVersion });
    await kb.close();
  });

  it('reports a file changed since its sync without deleting it', async () => {
    const kb = await built();
    write('pic.jpg', Buffer.from([3, 4, 5]));
    const report = await kb.verify({ repair: true });
    expect(report.problems).toEqual([expect.objectContaining({ kind: 'source-file-changed', id: 'pic.jpg', repaired: false })]);
    expect(kb.index.get('pic.jpg')).toBeDefined();
    await kb.close();
  });
});

describe('kb verify --repair', () => {
  it('exits 1 while files changed since their sync remain, and says to sync them again', async () => {
    write('pic.jpg', Buffer.from([1, 2]));
    const kb = await KnowledgeBase.open(kbDir, { encoders: fakeEmbedders().provider, clock });
    await kb.sync(src);
    await kb.close();
    write('pic.jpg', Buffer.from([3, 4, 5]));
    const r = await cli(['kb', 'verify', '--kb', kbDir, '--repair', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, problems: [{ kind: 'source-file-changed', repaired: false }] });
    expect(r.stderr).toMatch(/1 source-file-changed\)\. Files changed since their sync: run `mmalign kb sync` on their sources again/);
  });
});
