/**
 * The one temp-folder helper of the test suite: a fresh folder per test under the OS temp dir,
 * removed after the test (or the file's tests) whatever happened.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, onTestFinished } from 'vitest';

/**
 * A new empty folder, removed when the current test finishes (call it inside a test).
 *
 * @example
 * it('writes a file', () => { const dir = tempDir('subs'); writeFileSync(path.join(dir, 'a.srt'), '...'); });
 */
export function tempDir(label = 'test'): string {
  const dir = mkdtempSync(path.join(tmpdir(), `mmalign-${label}-`));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A new empty folder shared by the tests of one file (create it at the top level of the file or in
 * `beforeAll`), removed after all of them.
 *
 * @example
 * const root = sharedTempDir('pipeline');
 */
export function sharedTempDir(label = 'test'): string {
  const dir = mkdtempSync(path.join(tmpdir(), `mmalign-${label}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
