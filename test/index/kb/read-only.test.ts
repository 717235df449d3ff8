import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { chmodSync, cpSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCaptured as cli } from '../../helpers/cli.js';
import { commitAndCrash } from '../../helpers/crashed-writer.js';
import { canMount, makeReadOnly, mountReadOnly, openToOthers, runCliAsOtherUser } from '../../helpers/other-user.js';
import { sharedTempDir, tempDir } from '../../helpers/tmp.js';

// One knowledge base built once with the real (embedded tiny) encoders; each test reads a copy.
const shared = sharedTempDir('kb-ro');
const src = join(shared, 'src');
const built = join(shared, 'kb');
const CRASHED_VERSION = "INSERT INTO versions (version, created_at, kind, source, added, updated, deleted, skipped, generation) VALUES (3, 0, 'sync', 'crashed-writer', 0, 0, 0, 0, 2)";

beforeAll(async () => {
  openToOthers(shared);
  mkdirSync(src);
  for (const [file, text] of [['notes.txt', 'A red car drives fast.\n\nThe ocean is calm today.\n'], ['more.txt', 'Snow fell overnight.\n']]) {
    writeFileSync(join(src, file), text);
    const r = await cli(['kb', 'sync', src, '--kb', built, '--device', 'cpu']);
    expect(r.code, r.stderr).toBe(0);
  }
}, 120_000);

/** A copy of the built knowledge base in a fresh folder the other user can reach. */
function copyKb(): string {
  const root = tempDir('kb-ro-copy');
  openToOthers(root);
  const kb = join(root, 'kb');
  cpSync(built, kb, { recursive: true });
  return kb;
}

/** Names, sizes and mtimes of a folder's files: equal before and after means nothing was written there. */
function snapshot(dir: string): string[] {
  return readdirSync(dir).sort().map((f) => {
    const st = statSync(join(dir, f));
    return `${f} ${st.size} ${st.mtimeMs}`;
  });
}

const noStackTrace = (stderr: string): void => expect(stderr).not.toMatch(/^\s+at /m);

describe('a knowledge base in a folder the user may not write', () => {
  it('answers search, versions, changes and verify, and writes nothing there', async () => {
    const kb = copyKb();
    makeReadOnly(kb, readdirSync(kb));
    const before = snapshot(kb);
    const search = await runCliAsOtherUser(['search', 'The ocean is calm today.', '--kb', kb, '--device', 'cpu', '--k', '1', '--json']);
    expect(search.code, search.stderr).toBe(0);
    expect((JSON.parse(search.stdout) as { id: string }[])[0].id).toBe('notes.txt#part2');
    const versions = await runCliAsOtherUser(['kb', 'versions', '--kb', kb, '--json']);
    expect(versions.code, versions.stderr).toBe(0);
    expect((JSON.parse(versions.stdout) as { version: number }[]).map((v) => v.version)).toEqual([1, 2]);
    const changes = await runCliAsOtherUser(['kb', 'changes', '1', '--kb', kb, '--json']);
    expect(changes.code, changes.stderr).toBe(0);
    expect(JSON.parse(changes.stdout)).toHaveLength(2);
    const verify = await runCliAsOtherUser(['kb', 'verify', '--kb', kb, '--json']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, problems: [] });
    expect(snapshot(kb)).toEqual(before);
  }, 180_000);

  it('reads the commits a killed writer left in its write-ahead log, even without the -shm file', async () => {
    const kb = copyKb();
    commitAndCrash(kb, CRASHED_VERSION);
    rmSync(join(kb, 'store.sqlite-shm'), { force: true });
    makeReadOnly(kb, readdirSync(kb));
    const r = await runCliAsOtherUser(['kb', 'versions', '--kb', kb, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { source: string }[]).map((v) => v.source)).toEqual([src, src, 'crashed-writer']);
  }, 60_000);

  it('answers from a graph rebuilt in memory when the index file is one write behind, and verify calls that recoverable', async () => {
    const kb = copyKb();
    rmSync(join(kb, 'vectors.2.hnsw'));
    makeReadOnly(kb, readdirSync(kb));
    const before = snapshot(kb);
    const search = await runCliAsOtherUser(['search', 'Snow fell overnight.', '--kb', kb, '--device', 'cpu', '--k', '1', '--json']);
    expect(search.code, search.stderr).toBe(0);
    expect((JSON.parse(search.stdout) as { id: string }[])[0].id).toBe('more.txt#part1');
    const verify = await runCliAsOtherUser(['kb', 'verify', '--kb', kb, '--json']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout).problems).toEqual([expect.objectContaining({ kind: 'generation-mismatch', recoverable: true })]);
    expect(snapshot(kb)).toEqual(before);
  }, 60_000);

  it('refuses a sync with NotWritableError saying it cannot write there, with no stack trace', async () => {
    const kb = copyKb();
    makeReadOnly(kb, readdirSync(kb));
    const before = snapshot(kb);
    const r = await runCliAsOtherUser(['kb', 'sync', src, '--kb', kb, '--device', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${kb}: cannot write here while opening the knowledge base for writing: permission denied`);
    noStackTrace(r.stderr);
    expect(snapshot(kb)).toEqual(before);
  }, 60_000);

  it('refuses a sync naming the -wal file another user left, with no stack trace', async () => {
    const kb = copyKb();
    commitAndCrash(kb, "INSERT INTO meta (key, value) VALUES ('left-by', 'another user')");
    // The folder and the database are the user's to write; the killed writer's -wal and -shm are not.
    chmodSync(kb, 0o777);
    for (const f of readdirSync(kb)) chmodSync(join(kb, f), f.startsWith('store.sqlite-') ? 0o444 : 0o666);
    const r = await runCliAsOtherUser(['kb', 'sync', src, '--kb', kb, '--device', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`${kb}/store\\.sqlite-(wal|shm): cannot write here .*permission denied`));
    noStackTrace(r.stderr);
  }, 60_000);
});

describe.runIf(canMount())('a knowledge base on a read-only mount (root only)', () => {
  function mounted(prepare?: (kb: string) => void): string {
    const kb = copyKb();
    prepare?.(kb);
    const at = tempDir('kb-ro-mount');
    const unmount = mountReadOnly(kb, at);
    onTestFinished(unmount);
    return at;
  }

  it('answers search, versions and verify', async () => {
    const kb = mounted();
    const search = await cli(['search', 'A red car drives fast.', '--kb', kb, '--device', 'cpu', '--k', '1', '--json']);
    expect(search.code, search.stderr).toBe(0);
    expect((JSON.parse(search.stdout) as { id: string }[])[0].id).toBe('notes.txt#part1');
    expect((await cli(['kb', 'versions', '--kb', kb, '--json'])).code).toBe(0);
    const verify = await cli(['kb', 'verify', '--kb', kb, '--json']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  }, 60_000);

  it('reads a killed writer\'s -wal and -shm in place', async () => {
    const kb = mounted((dir) => commitAndCrash(dir, CRASHED_VERSION));
    const r = await cli(['kb', 'versions', '--kb', kb, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { source: string }[]).map((v) => v.source)).toEqual([src, src, 'crashed-writer']);
  });

  it('refuses a sync with NotWritableError naming the read-only filesystem', async () => {
    const kb = mounted();
    const r = await cli(['kb', 'sync', src, '--kb', kb, '--device', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${kb}: cannot write here while opening the knowledge base for writing: the filesystem or file is read-only`);
    noStackTrace(r.stderr);
  });
});
