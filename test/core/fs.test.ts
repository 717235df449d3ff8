import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { OutputError } from '../../src/core/errors/index.js';
import {
  makeStagingDir,
  parseTempName,
  removeStaleTemps,
  replaceWithStaged,
  tempPathFor,
  withAtomicFile,
  withAtomicFileSync,
  writeFileAtomic,
} from '../../src/core/fs.js';
import { tempDir } from '../helpers/tmp.js';

let dir: string;
beforeEach(() => {
  dir = tempDir('fs');
});

/** The pid of a process that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid!;
}

describe('temp names', () => {
  it('puts a temp file next to its target under one hidden name that parses back to the target and the writer', () => {
    const tmp = tempPathFor(path.join(dir, 'run.json'));
    expect(path.dirname(tmp)).toBe(dir);
    expect(parseTempName(path.basename(tmp))).toEqual({ target: 'run.json', kind: 'tmp', pid: process.pid });
    expect(parseTempName(path.basename(tempPathFor(path.join(dir, 'frames'), 'partial')))).toMatchObject({ target: 'frames', kind: 'partial' });
  });

  it('does not take ordinary file names for temp names', () => {
    for (const name of ['run.json', '.hidden', 'a.tmp', 'vectors.3.hnsw', '.x.tmp-12-nothex00']) expect(parseTempName(name)).toBeNull();
  });
});

describe('writeFileAtomic', () => {
  it('replaces a file with the new content and leaves no temp file behind', async () => {
    const file = path.join(dir, 'out.txt');
    await writeFile(file, 'old');
    await writeFileAtomic(file, 'new');
    expect(await readFile(file, 'utf8')).toBe('new');
    expect(await readdir(dir)).toEqual(['out.txt']);
  });

  it('reports a missing folder as an OutputError naming the file', async () => {
    const file = path.join(dir, 'missing', 'out.txt');
    const err = await writeFileAtomic(file, 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutputError);
    expect((err as OutputError).path).toBe(file);
    expect((err as OutputError).message).toMatch(/folder does not exist/);
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('withAtomicFile', () => {
  it('hands the writer error back unchanged and keeps the old file when the writer fails halfway', async () => {
    const file = path.join(dir, 'model.onnx');
    await writeFile(file, 'old');
    const boom = new Error('tensor has the wrong length');
    await expect(
      withAtomicFile(file, async (tmp) => {
        await writeFile(tmp, 'half');
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await readFile(file, 'utf8')).toBe('old');
    expect(await readdir(dir)).toEqual(['model.onnx']);
  });

  it('puts what a synchronous writer produced in place and returns its result', async () => {
    const file = path.join(dir, 'index.bin');
    const n = withAtomicFileSync(file, (tmp) => {
      writeFileSync(tmp, 'graph');
      return 5;
    });
    expect(n).toBe(5);
    expect(await readFile(file, 'utf8')).toBe('graph');
    expect(await readdir(dir)).toEqual(['index.bin']);
  });
});

describe('staging folders', () => {
  it('swaps a filled staging folder in for the old folder', async () => {
    const target = path.join(dir, 'frames');
    await mkdir(target);
    await writeFile(path.join(target, 'old.jpg'), 'old');
    const staging = await makeStagingDir(target);
    await writeFile(path.join(staging, 'new.jpg'), 'new');
    await replaceWithStaged(staging, target);
    expect(await readdir(target)).toEqual(['new.jpg']);
    expect(await readdir(dir)).toEqual(['frames']);
  });
});

describe('removeStaleTemps', () => {
  it('removes the temp files and staging folders of writers that are gone, and nothing else', async () => {
    const dead = deadPid();
    const names = {
      deadFile: `.run.json.tmp-${dead}-0123abcd`,
      deadFolder: `.frames.partial-${dead}-89abcdef`,
      liveFile: `.pairs.jsonl.tmp-${process.pid}-00000000`,
      other: 'pairs.jsonl',
    };
    await writeFile(path.join(dir, names.deadFile), 'x');
    await mkdir(path.join(dir, names.deadFolder));
    await writeFile(path.join(dir, names.deadFolder, 't000001.000.jpg'), 'x');
    await writeFile(path.join(dir, names.liveFile), 'x');
    await writeFile(path.join(dir, names.other), 'x');

    expect(removeStaleTemps(dir, { dryRun: true }).sort()).toEqual([names.deadFile, names.deadFolder].sort());
    expect((await readdir(dir)).length).toBe(4);
    expect(removeStaleTemps(dir).sort()).toEqual([names.deadFile, names.deadFolder].sort());
    expect((await readdir(dir)).sort()).toEqual([names.liveFile, names.other].sort());
  });

  it('finds nothing in a folder that does not exist', () => {
    expect(removeStaleTemps(path.join(dir, 'nope'))).toEqual([]);
  });
});
