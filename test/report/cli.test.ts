import { appendFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { alignVideo } from '../../src/pipeline/index.js';
import { runCaptured } from '../helpers/cli.js';
import { copyOutput } from '../helpers/report-output.js';
import { SAMPLE_MP4, SAMPLE_SRT } from '../helpers/media.js';
import { sharedTempDir, tempDir } from '../helpers/tmp.js';

const baseDir = sharedTempDir('report-cli-base');
let aligned: string;
beforeAll(async () => {
  aligned = path.join(baseDir, 'out');
  await alignVideo(SAMPLE_MP4, SAMPLE_SRT, { out: aligned, embed: false });
});

let dir: string;
beforeEach(() => {
  dir = tempDir('report-cli');
});

describe('mmalign report', () => {
  it('writes DIR/report.html and prints its summary as JSON with --json', async () => {
    const out = copyOutput(aligned, path.join(dir, 'out'));
    const { code, stdout, stderr } = await runCaptured(['report', out, '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({ kind: 'video', file: path.join(out, 'report.html'), pairs: 15, cues: 6, unpairedCues: 1, warnings: [] });
    expect(existsSync(result.file)).toBe(true);
    // Written through a temp file and a rename: nothing else is left in the folder.
    expect(readdirSync(out).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('says in plain words what it wrote', async () => {
    const out = copyOutput(aligned, path.join(dir, 'out'));
    const { code, stdout } = await runCaptured(['report', out]);
    expect(code).toBe(0);
    expect(stdout).toBe(`wrote ${path.join(out, 'report.html')}: 15 pairs, 6 cues (1 unpaired)\n`);
  });

  it('fails on a folder that is neither an align output nor a corpus, and says what to pass', async () => {
    mkdirSync(path.join(dir, 'empty'));
    const { code, stderr } = await runCaptured(['report', path.join(dir, 'empty')]);
    expect(code).toBe(1);
    expect(stderr).toContain(path.join(dir, 'empty'));
    expect(stderr).toContain('neither run.json');
    expect(stderr).toContain('--out folder');
    expect(existsSync(path.join(dir, 'empty', 'report.html'))).toBe(false);
  });

  it('names the file and line of a damaged pairs.jsonl and writes no page', async () => {
    const out = copyOutput(aligned, path.join(dir, 'out'));
    appendFileSync(path.join(out, 'pairs.jsonl'), '{"frame": broken\n');
    const { code, stderr } = await runCaptured(['report', out]);
    expect(code).toBe(1);
    expect(stderr).toContain(`${path.join(out, 'pairs.jsonl')}:16`);
    expect(existsSync(path.join(out, 'report.html'))).toBe(false);
  });
});
