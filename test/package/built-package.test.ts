import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/** Runs node in the repo root and reports the exit status instead of throwing on a non-zero one. */
async function node(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, args, { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('the built package', () => {
  beforeAll(async () => {
    // The package's own exports point at dist/, so the build is what these tests check.
    const build = await node([tsc, '-p', 'tsconfig.json']);
    if (build.code !== 0) throw new Error(`tsc -p tsconfig.json failed:\n${build.stdout}${build.stderr}`);
  }, 300_000);

  it('can be imported by its own name from the repo root (self-reference through exports)', async () => {
    const script = [
      "import { alignByTimestamp, parseSubtitles } from 'mmalign';",
      "const cues = parseSubtitles('1\\n00:00:01,000 --> 00:00:02,000\\nHi\\n').cues;",
      'console.log(JSON.stringify(alignByTimestamp([{ time: 1.5 }, { time: 9 }], cues)));',
    ].join('\n');
    const r = await node(['--input-type=module', '-e', script]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([
      { frame: 0, cue: 0, distance: 0 },
      { frame: 1, cue: null, distance: null },
    ]);
  });

  it('runs the mmalign bin: align-times on the fixtures exits 0 with JSON on stdout', async () => {
    const r = await node(['dist/src/cli.js', 'align-times', '--frames', 'fixtures/frames.json', '--subs', 'fixtures/subtitles/basic.srt', '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as unknown[]).length).toBe(16);
  });

  it('exits the process with status 1 on a bad subtitle file and 2 on a missing flag', async () => {
    expect((await node(['dist/src/cli.js', 'subtitles', 'fixtures/subtitles/empty.srt'])).code).toBe(1);
    expect((await node(['dist/src/cli.js', 'align-times', '--frames', 'fixtures/frames.json'])).code).toBe(2);
  });
});
