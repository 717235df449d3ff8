import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { alignVideo } from '../../src/pipeline/index.js';
import { SAMPLE_MP4, SAMPLE_SRT } from '../helpers/media.js';
import { tempDir } from '../helpers/tmp.js';
import { sizeKeyedEncoders } from '../helpers/fake-encoders.js';

let dir: string;
beforeEach(() => {
  dir = tempDir('align-edge');
});

async function readJsonl(file: string): Promise<Record<string, unknown>[]> {
  return (await readFile(file, 'utf8')).trimEnd().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

const fakeEncoders = sizeKeyedEncoders;

describe('repeated cue numbers', () => {
  it('keeps every cue when the subtitle file numbers them all 1, numbering them by position with a warning', async () => {
    const subs = path.join(dir, 'all-one.srt');
    const original = await readFile(SAMPLE_SRT, 'utf8');
    await writeFile(subs, original.replace(/^\d+$/gm, '1'));
    const out = path.join(dir, 'out');
    const result = await alignVideo(SAMPLE_MP4, subs, { out, createEncoder: fakeEncoders, split: 0.5 });

    // The five cues inside the video (the sixth lies past its end).
    const expectedTexts = [...original.matchAll(/^\d+\n[^\n]+\n(.+)$/gm)].map((m) => m[1]).slice(0, 5);
    const pairs = await readJsonl(path.join(out, 'pairs.jsonl'));
    const byCue = new Map(pairs.map((p) => [p.cue_index, p.text]));
    expect([...new Set(pairs.map((p) => p.text))].sort()).toEqual([...expectedTexts].sort());
    expect(byCue.size).toBe(expectedTexts.length);
    for (const p of pairs) expect(byCue.get(p.cue_index)).toBe(p.text);

    const index = JSON.parse(await readFile(path.join(out, 'embeddings.json'), 'utf8')) as { rows: { id: string }[] };
    const textIds = index.rows.map((r) => r.id).filter((id) => id.startsWith('text:'));
    expect(new Set(textIds).size).toBe(expectedTexts.length);

    const records = [...(await readJsonl(path.join(out, 'train.jsonl'))), ...(await readJsonl(path.join(out, 'dev.jsonl')))];
    expect(records).toHaveLength(pairs.length);
    expect(result.warnings.some((w) => w.file === path.resolve(subs) && /cue numbers repeat \(e\.g\. 1\)/.test(w.message))).toBe(true);
  });

  it('leaves unique cue numbers as written, without a warning', async () => {
    const subs = path.join(dir, 'gaps.srt');
    const original = await readFile(SAMPLE_SRT, 'utf8');
    let n = 0;
    await writeFile(subs, original.replace(/^\d+$/gm, () => String((n += 10))));
    const out = path.join(dir, 'out');
    const result = await alignVideo(SAMPLE_MP4, subs, { out, embed: false, mode: 'cue' });
    const pairs = await readJsonl(path.join(out, 'pairs.jsonl'));
    expect(pairs.map((p) => p.cue_index)).toEqual([10, 20, 30, 40, 50]);
    expect(result.warnings.some((w) => /cue numbers repeat/.test(w.message))).toBe(false);
  });
});

/** Every frame a dataset file in `out` refers to, by file. */
async function referencedFrames(out: string): Promise<Map<string, string[]>> {
  const refs = new Map<string, string[]>();
  for (const name of ['pairs.jsonl', 'train.jsonl', 'dev.jsonl']) {
    const file = path.join(out, name);
    if (!existsSync(file)) continue;
    const images = (await readJsonl(file)).flatMap((r) => {
      if (typeof r.frame === 'string') return [r.frame];
      const messages = (r.messages ?? []) as { image?: string }[];
      return [...messages.flatMap((m) => (m.image ? [m.image] : [])), ...((r.images ?? []) as string[])];
    });
    refs.set(name, images);
  }
  return refs;
}

describe('a failed rerun', () => {
  it('leaves no dataset line pointing at a missing frame when a rerun with other sampling fails', async () => {
    const out = path.join(dir, 'out');
    await alignVideo(SAMPLE_MP4, SAMPLE_SRT, { out, mode: 'cue', embed: false });
    const failing = alignVideo(SAMPLE_MP4, SAMPLE_SRT, {
      out,
      mode: 'fps',
      fps: 1,
      embed: false,
      sink: async () => {
        throw new Error('sink failed');
      },
    });
    await expect(failing).rejects.toThrow('sink failed');

    const refs = await referencedFrames(out);
    expect([...refs.values()].flat().length).toBeGreaterThan(0);
    for (const [name, images] of refs) {
      for (const image of images) expect(existsSync(image), `${name} -> ${image}`).toBe(true);
    }
    expect(existsSync(path.join(out, 'run.json'))).toBe(true);
  });

  it('moves the new frames in and drops the old ones when the rerun completes', async () => {
    const out = path.join(dir, 'out');
    await alignVideo(SAMPLE_MP4, SAMPLE_SRT, { out, mode: 'cue', embed: false });
    const result = await alignVideo(SAMPLE_MP4, SAMPLE_SRT, { out, mode: 'fps', fps: 1, createEncoder: fakeEncoders });
    const refs = await referencedFrames(out);
    for (const images of refs.values()) for (const image of images) expect(existsSync(image)).toBe(true);
    const names = (await readdir(path.join(out, 'frames'))).filter((n) => n.endsWith('.jpg'));
    expect(names).toHaveLength(result.frames);
    expect((await readdir(out)).filter((n) => n.includes('.partial-'))).toEqual([]);
  });
});

describe('cue mode with nested cues', () => {
  const nested = '1\n00:00:01,000 --> 00:00:05,000\nNarrator: long line\n\n2\n00:00:02,000 --> 00:00:03,000\nShort interjection\n';

  it('pairs each cue with the frames sampled for it, so a cue nested in a longer one keeps its own', async () => {
    const subs = path.join(dir, 'nested.srt');
    await writeFile(subs, nested);
    const out = path.join(dir, 'out');
    const result = await alignVideo(SAMPLE_MP4, subs, { out, mode: 'cue', perCue: 2, embed: false });
    const pairs = await readJsonl(path.join(out, 'pairs.jsonl'));
    for (const cue of [1, 2]) {
      const own = pairs.filter((p) => p.cue_index === cue);
      expect(own, `cue ${cue}`).toHaveLength(2);
      for (const p of own) {
        expect(p.frame_time as number).toBeGreaterThanOrEqual(p.start as number);
        expect(p.frame_time as number).toBeLessThanOrEqual(p.end as number);
        expect(p.distance).toBe(0);
      }
    }
    expect(result.unpairedCues).toBe(0);
  });

  it('lets one frame serve two cues when both of their targets land on it', async () => {
    const subs = path.join(dir, 'same-frame.srt');
    // Both midpoints are 3.000 s: one frame, two pairs.
    await writeFile(subs, '1\n00:00:01,000 --> 00:00:05,000\nLong line\n\n2\n00:00:02,990 --> 00:00:03,010\nBlip\n');
    const out = path.join(dir, 'out');
    const result = await alignVideo(SAMPLE_MP4, subs, { out, mode: 'cue', embed: false });
    const pairs = await readJsonl(path.join(out, 'pairs.jsonl'));
    expect(result.frames).toBe(1);
    expect(pairs.map((p) => p.cue_index).sort()).toEqual([1, 2]);
    expect(new Set(pairs.map((p) => p.frame)).size).toBe(1);
  });

  it('still pairs fps-mode frames with the nearest cue', async () => {
    const subs = path.join(dir, 'nested.srt');
    await writeFile(subs, nested);
    const out = path.join(dir, 'out');
    await alignVideo(SAMPLE_MP4, subs, { out, mode: 'fps', fps: 1, embed: false, threshold: 0 });
    const pairs = await readJsonl(path.join(out, 'pairs.jsonl'));
    // Frames at 1..5 s all lie inside cue 1; the nearest-cue rule gives ties to the earlier start.
    expect(pairs.map((p) => p.cue_index)).toEqual(pairs.map(() => 1));
    expect(pairs.length).toBeGreaterThan(0);
  });
});

describe('cue mode at the edge of the video', () => {
  it('pairs a cue that runs past the end of the video with a frame inside the video', async () => {
    const subs = path.join(dir, 'tail.srt');
    // The fixture video is 18 s long: this cue's midpoint (18.5 s) lies outside, its first 3 s inside.
    await writeFile(subs, '1\n00:00:15,000 --> 00:00:22,000\nThe last words\n');
    const out = path.join(dir, 'out');
    const result = await alignVideo(SAMPLE_MP4, subs, { out, mode: 'cue', embed: false });
    const pairs = await readJsonl(path.join(out, 'pairs.jsonl'));
    expect(result.unpairedCues).toBe(0);
    expect(pairs).toHaveLength(1);
    expect(pairs[0].frame_time as number).toBeGreaterThanOrEqual(15);
    expect(pairs[0].frame_time as number).toBeLessThan(18.1);
  });
});
