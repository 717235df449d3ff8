/**
 * A knowledge-base test's folders: a temp root (removed when the test finishes) holding `src/` to sync
 * and `kb/` for the knowledge base, with writers for source files and manifests at a fixed time.
 */
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './tmp.js';

/** The fixed "now" of the knowledge-base tests, and a clock that always says it. */
export const T0 = Date.UTC(2026, 0, 1);
export const clock = (): number => T0;

/** Two cues, for sidecar subtitles. */
export const SRT = `1
00:00:01,000 --> 00:00:02,500
Hello there.

2
00:00:03,000 --> 00:00:04,000
General Kenobi.
`;

export interface KbFolders {
  root: string;
  src: string;
  kbDir: string;
  /** Writes `src/<rel>` with the given mtime (default {@link T0}); returns its path. */
  write(rel: string, content: string | Buffer, mtimeMs?: number): string;
  /** Writes a JSONL manifest `<root>/<name>`; returns its path. */
  manifest(name: string, lines: object[]): string;
}

/**
 * Fresh folders for one test (call it in the test or in `beforeEach`).
 *
 * @example
 * beforeEach(() => ({ src, kbDir, write } = kbFolders()));
 */
export function kbFolders(label = 'kb'): KbFolders {
  const root = tempDir(label);
  const src = join(root, 'src');
  mkdirSync(src);
  return {
    root,
    src,
    kbDir: join(root, 'kb'),
    write(rel, content, mtimeMs = T0) {
      const p = join(src, rel);
      mkdirSync(join(p, '..'), { recursive: true });
      writeFileSync(p, content);
      utimesSync(p, mtimeMs / 1000, mtimeMs / 1000);
      return p;
    },
    manifest(name, lines) {
      const p = join(root, name);
      writeFileSync(p, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
      return p;
    },
  };
}
