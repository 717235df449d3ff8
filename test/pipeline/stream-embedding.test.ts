/** Frames are embedded while they are sampled, in bounded batches: memory does not grow with the video. */
import { readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { EMBED_DIM, type Modality } from '../../src/core/types.js';
import { alignVideo, type EncoderFactory } from '../../src/pipeline/index.js';
import { nearCueWithText } from '../../src/pipeline/stages/embed-images.js';
import { fakeEncoder } from '../helpers/fake-encoders.js';
import { SAMPLE_MP4 } from '../helpers/media.js';
import { tempDir } from '../helpers/tmp.js';

let dir: string;
beforeEach(() => {
  dir = tempDir('stream-embed');
});

/** Frames written to the staging folder so far. */
function stagedFrames(out: string): number {
  const staging = readdirSync(out).find((n) => n.startsWith('.frames.partial-'));
  return staging ? readdirSync(path.join(out, staging)).filter((n) => n.endsWith('.jpg')).length : 0;
}

/** Fake encoders; the image one is slow and records, per call, how far sampling had run ahead of it. */
function slowImageEncoders(out: string, calls: { batch: number; staged: number; embedded: number }[], created: Modality[]): EncoderFactory {
  let embedded = 0;
  return async (modality) => {
    created.push(modality);
    const enc = fakeEncoder(modality, () => new Float32Array(EMBED_DIM).fill(0.0625));
    if (modality !== 'image') return enc;
    return {
      ...enc,
      embedSettled: async (batch) => {
        calls.push({ batch: batch.length, staged: stagedFrames(out), embedded });
        await new Promise((r) => setTimeout(r, 150));
        embedded += batch.length;
        return enc.embedSettled(batch);
      },
    };
  };
}

describe('image embedding during sampling', () => {
  it('keeps a bounded number of frames ahead of a slow image encoder, however many the video has', async () => {
    // One cue over the whole video: every one of the 180 frames (10 fps) is paired and embedded.
    const subs = path.join(dir, 'all.srt');
    await writeFile(subs, '1\n00:00:00,000 --> 00:00:18,000\nThe whole video\n');
    const out = path.join(dir, 'out');
    const calls: { batch: number; staged: number; embedded: number }[] = [];
    const created: Modality[] = [];
    const r = await alignVideo(SAMPLE_MP4, subs, { out, fps: 10, createEncoder: slowImageEncoders(out, calls, created) });
    expect(r.frames).toBe(180);
    expect(calls.reduce((a, c) => a + c.batch, 0)).toBe(180); // every distinct frame once
    expect(Math.max(...calls.map((c) => c.batch))).toBeLessThanOrEqual(16);
    // Embedding started long before sampling ended ...
    expect(calls[0].staged).toBeLessThan(90);
    // ... and sampling never ran more than a few batches ahead (without the pause it would reach ~180).
    const lead = Math.max(...calls.map((c) => c.staged - c.embedded));
    expect(lead).toBeLessThanOrEqual(3 * 16 + 8 + 16);
    expect(created.filter((m) => m === 'image')).toHaveLength(1);
    const index = JSON.parse(await readFile(path.join(out, 'embeddings.json'), 'utf8')) as { rows: { id: string; modality: string }[] };
    expect(index.rows.filter((x) => x.modality === 'image')).toHaveLength(180);
  });

  it('embeds only frames that can be paired: none in a stretch no cue with text comes near', async () => {
    const subs = path.join(dir, 'two.srt');
    await writeFile(subs, '1\n00:00:01,000 --> 00:00:02,000\nFirst\n\n2\n00:00:15,000 --> 00:00:16,000\nSecond\n');
    const out = path.join(dir, 'out');
    const calls: { batch: number; staged: number; embedded: number }[] = [];
    const r = await alignVideo(SAMPLE_MP4, subs, { out, fps: 1, createEncoder: slowImageEncoders(out, calls, []) });
    // Frames at 1, 2 and 15, 16 s (and 0.5 s reach: none else) are paired, and only those are embedded.
    expect(r.pairs).toBe(4);
    expect(calls.reduce((a, c) => a + c.batch, 0)).toBe(4);
  });
});

describe('nearCueWithText', () => {
  it('is true within the threshold of a cue with text and false elsewhere, ignoring empty cues', () => {
    const near = nearCueWithText(
      [
        { index: 1, start: 1, end: 2, text: 'Hi' },
        { index: 2, start: 5, end: 6, text: '  ' },
        { index: 3, start: 2.6, end: 3, text: 'there' },
      ],
      0.5,
    );
    expect([0.4, 0.5, 1.5, 2.5, 3.5, 3.6, 5.5].map(near)).toEqual([false, true, true, true, true, false, false]);
  });
});
