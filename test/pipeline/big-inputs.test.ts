/** Inputs far bigger than the fixtures: nothing in the pipeline spreads an unbounded array into a call. */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { SubtitlesOutsideVideoError } from '../../src/core/errors/index.js';
import { alignVideo } from '../../src/pipeline/index.js';
import { SAMPLE_MP4 } from '../helpers/media.js';
import { tempDir } from '../helpers/tmp.js';

let dir: string;
beforeEach(() => {
  dir = tempDir('big-inputs');
});

function stamp(t: number): string {
  const ms = Math.round(t * 1000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(Math.floor(ms / 3_600_000))}:${p(Math.floor(ms / 60_000) % 60)}:${p(Math.floor(ms / 1000) % 60)},${p(ms % 1000, 3)}`;
}

describe('subtitle files far bigger than any fixture', () => {
  it('with 250,000 cues all past the end of the video fails with the clean every-cue-outside error, not a RangeError', async () => {
    const subs = path.join(dir, 'huge.srt');
    const lines: string[] = [];
    for (let k = 0; k < 250_000; k++) lines.push(`${k + 1}\n${stamp(100 + k)} --> ${stamp(100.5 + k)}\nLine ${k + 1}\n`);
    await writeFile(subs, lines.join('\n'));
    const out = path.join(dir, 'out');
    const err = await alignVideo(SAMPLE_MP4, subs, { out, embed: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SubtitlesOutsideVideoError);
    expect((err as SubtitlesOutsideVideoError).firstStart).toBe(100);
    expect((err as SubtitlesOutsideVideoError).lastEnd).toBeCloseTo(100.5 + 249_999, 6);
    expect(existsSync(out)).toBe(false);
  }, 120_000);

  it('with a warning for each of 150,000 broken blocks still aligns the good cues', async () => {
    const subs = path.join(dir, 'noisy.srt');
    const blocks = ['1\n00:00:01,000 --> 00:00:03,000\nThe one good line\n'];
    for (let k = 0; k < 150_000; k++) blocks.push(`${k + 2}\nno time line here ${k}\n`);
    await writeFile(subs, blocks.join('\n'));
    const r = await alignVideo(SAMPLE_MP4, subs, { out: path.join(dir, 'out'), embed: false, mode: 'cue' });
    expect(r.pairs).toBe(1);
    expect(r.warnings.length).toBeGreaterThanOrEqual(150_000);
  }, 120_000);
});
