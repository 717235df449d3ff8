import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCaptured } from '../helpers/cli.js';

describe('mmalign --version', () => {
  it("prints the version written in the package's package.json, and exits 0", async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const r = await runCaptured(['--version']);
    expect([r.code, r.stdout]).toEqual([0, `${version}\n`]);
  });
});
