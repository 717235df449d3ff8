import { beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import Database from 'better-sqlite3';
import { closeSync, openSync, statfsSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DiskFullError, KbCorruptError, KnowledgeBase } from 'mmalign';
import { runCaptured as cli } from '../../helpers/cli.js';
import { fakeEmbedders } from '../../helpers/fake-embedder.js';
import { clock, kbFolders, type KbFolders } from '../../helpers/kb-folders.js';
import { canMount, mountTmpfs } from '../../helpers/other-user.js';
import { tempDir } from '../../helpers/tmp.js';

let kbDir = '';
let manifest: KbFolders['manifest'];
beforeEach(() => {
  ({ kbDir, manifest } = kbFolders('kb-faults'));
});

const items = (n: number, tag = ''): object[] => Array.from({ length: n }, (_, i) => ({ id: `i${i}`, modality: 'text', text: `item ${i}${tag}` }));
const noStackTrace = (stderr: string): void => expect(stderr).not.toMatch(/^\s+at /m);

async function built(n = 300): Promise<void> {
  const kb = await KnowledgeBase.open(kbDir, { encoders: fakeEmbedders().provider, clock });
  await kb.sync(manifest('m.jsonl', items(n)), { sourceName: 'm' });
  await kb.close();
}

/** Overwrites pages of store.sqlite with garbage: the root page of `table`, or `count` pages from the middle. */
function damage(where: { table: string } | { middle: number }): void {
  const file = join(kbDir, 'store.sqlite');
  let pages: number[];
  if ('table' in where) {
    const db = new Database(file, { readonly: true });
    pages = [db.prepare('SELECT rootpage FROM sqlite_master WHERE name = ?').pluck().get(where.table) as number];
    db.close();
  } else {
    const half = Math.floor(statSync(file).size / 4096 / 2);
    pages = Array.from({ length: where.middle }, (_, i) => half + i);
  }
  const fd = openSync(file, 'r+');
  for (const p of pages) writeSync(fd, Buffer.alloc(4096, 0x55), 0, 4096, (p - 1) * 4096);
  closeSync(fd);
}

describe('a knowledge base whose SQLite file has damaged pages', () => {
  it('is diagnosed by kb verify as database-corrupt, with what to do, exit 1 and no stack trace', async () => {
    await built();
    damage({ middle: 4 });
    const r = await cli(['kb', 'verify', '--kb', kbDir, '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { ok: boolean; problems: { kind: string; message: string }[] };
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([expect.objectContaining({ kind: 'database-corrupt', message: expect.stringMatching(/damaged .*restore the folder from a backup/) })]);
    expect(r.stderr).toMatch(/1 database-corrupt\)\. The database is damaged: restore the folder from a backup/);
    noStackTrace(r.stderr);
  });

  it('is diagnosed by kb verify even when the damage stops it from opening', async () => {
    await built();
    damage({ table: 'items' });
    const r = await cli(['kb', 'verify', '--kb', kbDir, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).problems).toEqual([expect.objectContaining({ kind: 'database-corrupt', path: join(kbDir, 'store.sqlite') })]);
    noStackTrace(r.stderr);
  });

  it('makes every other command fail with KbCorruptError naming the file, with no stack trace', async () => {
    await built();
    damage({ table: 'items' });
    await expect(KnowledgeBase.open(kbDir, { readonly: true, encoders: fakeEmbedders().provider })).rejects.toThrow(KbCorruptError);
    for (const args of [['kb', 'versions'], ['search', 'item 3', '--device', 'cpu'], ['kb', 'sync', manifest('n.jsonl', items(3)), '--device', 'cpu']]) {
      const r = await cli([...args, '--kb', kbDir]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toContain(`${join(kbDir, 'store.sqlite')}: the database is damaged (SQLite: database disk image is malformed)`);
      noStackTrace(r.stderr);
    }
  });
});

describe('a sync that fills the disk', () => {
  it('fails with DiskFullError and leaves the knowledge base as it was (SQLITE_FULL)', async () => {
    const kb = await KnowledgeBase.open(kbDir, { encoders: fakeEmbedders().provider, clock });
    await kb.sync(manifest('m.jsonl', items(20)), { sourceName: 'm' });
    const before = { version: kb.currentVersion, items: [...kb.items()].map((i) => i.text), generation: kb.index.generation };
    // SQLite's own limit on the file's pages: the commit runs out of room exactly as on a full disk.
    kb.index.db.pragma(`max_page_count = ${(kb.index.db.pragma('page_count', { simple: true }) as number) + 2}`);
    const err = await kb.sync(manifest('m.jsonl', items(400, ' changed')), { sourceName: 'm' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiskFullError);
    expect((err as DiskFullError).message).toContain(`${join(kbDir, 'store.sqlite')}: no space left on the device`);
    expect({ version: kb.currentVersion, items: [...kb.items()].map((i) => i.text), generation: kb.index.generation }).toEqual(before);
    await kb.close();
    const again = await KnowledgeBase.open(kbDir, { encoders: fakeEmbedders().provider, clock });
    expect(await again.verify()).toMatchObject({ ok: true, problems: [] });
    expect(await again.sync(manifest('m.jsonl', items(400, ' changed')), { sourceName: 'm' })).toMatchObject({ version: 2, added: 380, updated: 20 });
    await again.close();
  });

  /** A knowledge base on a 2 MiB tmpfs with one sync in it, and all but `leaveKb` of the space filled. */
  async function onFullTmpfs(leaveKb: number): Promise<string> {
    const disk = tempDir('kb-tmpfs');
    onTestFinished(mountTmpfs(disk, 2048));
    const dir = join(disk, 'kb');
    expect((await cli(['kb', 'sync', manifest('small.jsonl', items(20)), '--kb', dir, '--source-name', 'm', '--device', 'cpu'])).code).toBe(0);
    const st = statfsSync(disk);
    writeFileSync(join(disk, 'filler'), Buffer.alloc(Math.max(0, st.bavail * st.bsize - leaveKb * 1024)));
    return dir;
  }

  it.runIf(canMount())('on a full tmpfs fails writing the HNSW file with DiskFullError, and the knowledge base stays as it was (root only)', async () => {
    const dir = await onFullTmpfs(48);
    const r = await cli(['kb', 'sync', manifest('big.jsonl', items(2000, ' changed')), '--kb', dir, '--source-name', 'm', '--device', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(dir, 'vectors.2.hnsw')}: no space left on the device while writing the HNSW index file`);
    noStackTrace(r.stderr);
    const versions = await cli(['kb', 'versions', '--kb', dir, '--json']);
    expect((JSON.parse(versions.stdout) as unknown[]).length).toBe(1);
    const verify = await cli(['kb', 'verify', '--kb', dir, '--json']);
    expect(verify.code, verify.stdout).toBe(0);
  });

  it.runIf(canMount())('on a full tmpfs fails committing to SQLite with DiskFullError, and the knowledge base stays as it was (root only)', async () => {
    // Room for the new HNSW file (about 1.2 KB an item) but not for the rows (a 2 KB text and a 1 KB vector each).
    const dir = await onFullTmpfs(400);
    const r = await cli(['kb', 'sync', manifest('big.jsonl', items(150, ` ${'long text '.repeat(190)}`)), '--kb', dir, '--source-name', 'm', '--device', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(dir, 'store.sqlite')}: no space left on the device while`);
    noStackTrace(r.stderr);
    const versions = await cli(['kb', 'versions', '--kb', dir, '--json']);
    expect((JSON.parse(versions.stdout) as unknown[]).length).toBe(1);
    const verify = await cli(['kb', 'verify', '--kb', dir, '--json']);
    expect(verify.code, verify.stdout).toBe(0);
  });
});

