import { beforeEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { KbLockedError, KnowledgeBase } from 'mmalign';
import { fakeEmbedders } from '../../helpers/fake-embedder.js';
import { clock, kbFolders, T0, type KbFolders } from '../../helpers/kb-folders.js';

let src = '';
let kbDir = '';
let write: KbFolders['write'];
beforeEach(() => {
  ({ src, kbDir, write } = kbFolders());
});

describe('versions', () => {
  it('numbers each sync and records its counts and time', async () => {
    let now = T0;
    write('a.txt', 'a');
    const kb = await KnowledgeBase.open(kbDir, { encoders: fakeEmbedders().provider, clock: () => now });
    await kb.sync(src, { sourceName: 'docs' });
    now += 60_000;
    write('b.txt', 'b');
    await kb.sync(src, { sourceName: 'docs' });
    expect(kb.versions()).toEqual([
      expect.objectContaining({ version: 1, createdAt: T0, kind: 'sync', source: 'docs', added: 1, updated: 0, deleted: 0 }),
      expect.objectContaining({ version: 2, createdAt: T0 + 60_000, added: 1 }),
    ]);
    expect(kb.countChangesSince(1)).toEqual({ added: 1, updated: 0, deleted: 0 });
    await kb.close();
  });

  it('records evaluations with the version they were made at', async () => {
    write('a.txt', 'a');
    const kb = await KnowledgeBase.open(kbDir, { encoders: fakeEmbedders().provider, clock });
    await kb.sync(src);
    kb.recordEvaluation({ metric: 'recall@1', value: 0.5, pairs: 100, headsVersion: 'h1', at: 10 });
    kb.recordEvaluation({ metric: 'recall@1', value: 0.6, pairs: 120, headsVersion: 'h2', at: 20 });
    kb.recordEvaluation({ metric: 'loss', value: 1.2, pairs: 120, headsVersion: 'h2', at: 20 });
    expect(kb.listEvaluations({ metric: 'recall@1' })).toEqual([
      { metric: 'recall@1', value: 0.5, pairs: 100, headsVersion: 'h1', at: 10, kbVersion: 1 },
      { metric: 'recall@1', value: 0.6, pairs: 120, headsVersion: 'h2', at: 20, kbVersion: 1 },
    ]);
    expect(() => kb.recordEvaluation({ metric: 'x', value: Number.NaN, pairs: 1, headsVersion: 'h' })).toThrow(/finite/);
    await kb.close();
  });
});

describe('one writer at a time', () => {
  it('makes a second writer fail with KbLockedError naming the holder after its timeout', async () => {
    write('a.txt', 'one\n\ntwo\n\nthree');
    const slow = fakeEmbedders({ delayMs: 400 });
    const first = await KnowledgeBase.open(kbDir, { encoders: slow.provider, clock, batchSize: 1 });
    const second = await KnowledgeBase.open(kbDir, { encoders: fakeEmbedders().provider, lockTimeoutMs: 100 });
    const running = first.sync(src);
    await new Promise((r) => setTimeout(r, 100));
    const err = await second.sync(src).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KbLockedError);
    expect((err as KbLockedError).holderPid).toBe(process.pid);
    expect((err as Error).message).toContain(`process ${process.pid}`);
    await running;
    await first.close();
    await second.close();
  });

  it('lets a second writer that waits long enough run after the first', async () => {
    write('a.txt', 'one\n\ntwo');
    const first = await KnowledgeBase.open(kbDir, { encoders: fakeEmbedders({ delayMs: 150 }).provider, clock, batchSize: 1 });
    const second = await KnowledgeBase.open(kbDir, { encoders: fakeEmbedders().provider, clock, lockTimeoutMs: 10_000 });
    const [r1, r2] = await Promise.all([first.sync(src, { sourceName: 's' }), new Promise((r) => setTimeout(r, 50)).then(() => second.sync(src, { sourceName: 's' }))]);
    expect(r1.version).toBe(1);
    expect(r2).toMatchObject({ version: 2, unchanged: 2, added: 0 });
    await first.close();
    await second.close();
  });

  it('takes over a lock left by a process that died', async () => {
    write('a.txt', 'x');
    mkdirSync(kbDir, { recursive: true });
    const dead = spawnSync(process.execPath, ['-e', 'process.pid'], { encoding: 'utf8' }).pid as number;
    writeFileSync(join(kbDir, 'writer.lock'), JSON.stringify({ pid: dead, host: hostname(), since: T0, purpose: 'sync' }));
    const kb = await KnowledgeBase.open(kbDir, { encoders: fakeEmbedders().provider, clock, lockTimeoutMs: 0 });
    await expect(kb.sync(src)).resolves.toMatchObject({ added: 1 });
    expect(readdirSync(kbDir)).not.toContain('writer.lock');
    await kb.close();
  });
});
