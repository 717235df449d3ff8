import { writeFileSync } from 'node:fs';
import { utimes } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { jobHash, sampleKey, videoContentHash, videoKey } from '../../src/corpus/keys.js';
import { videoSplit } from '../../src/corpus/split.js';
import type { VideoAlignSettings } from '../../src/corpus/types.js';
import { tempDir } from '../helpers/tmp.js';

const ALIGN: VideoAlignSettings = {
  mode: 'fps', fps: 1, perCue: 1, sceneThreshold: 0.3, threshold: 0.5, offset: 0, embed: true, device: 'cpu',
  modelsDir: null, heads: null, format: 'glm4v', prompt: 'P', split: 0.9, seed: 0, jpegQuality: 90,
};

describe('keys', () => {
  it('makes video keys that are stable, readable and free of dots', () => {
    expect(videoKey('lectures/week 1/intro.v2.mp4')).toBe(videoKey('lectures/week 1/intro.v2.mp4'));
    expect(videoKey('lectures/week 1/intro.v2.mp4')).toMatch(/^lectures_week_1_intro_v2-[0-9a-f]{8}$/);
    expect(videoKey('a/intro.mp4')).not.toBe(videoKey('b/intro.mp4'));
  });

  it('makes sample keys that WebDataset reads back whole (no dot) and that sort by cue and time', () => {
    const k = sampleKey('intro-3f2a9c1d', 12, 41.5);
    expect(k).toBe('intro-3f2a9c1d_c000012_t000041500');
    expect(k.split('.')[0]).toBe(k);
    expect(sampleKey('v', 2, 1) < sampleKey('v', 10, 0)).toBe(true);
  });
});

describe('content hashes', () => {
  it('change with the bytes of a video, not with its modification time', async () => {
    const dir = tempDir('corpus-keys');
    const file = path.join(dir, 'v.mp4');
    const big = Buffer.alloc(5 << 20, 7);
    writeFileSync(file, big);
    const h1 = await videoContentHash(file);
    await utimes(file, new Date(2000, 1, 1), new Date(2000, 1, 1));
    expect(await videoContentHash(file)).toBe(h1);
    big[big.length - 10] = 8; // inside the sampled tail
    writeFileSync(file, big);
    expect(await videoContentHash(file)).not.toBe(h1);
  });

  it('give another job hash for another option, prompt or subtitle content, and the same for the same', () => {
    const base = { video: 'v', subtitles: 's', align: ALIGN, prompt: 'P', headsHash: null, subLang: null };
    expect(jobHash(base)).toBe(jobHash({ ...base, align: { ...ALIGN } }));
    expect(jobHash({ ...base, align: { ...ALIGN, fps: 2 } })).not.toBe(jobHash(base));
    expect(jobHash({ ...base, prompt: 'Q' })).not.toBe(jobHash(base));
    expect(jobHash({ ...base, subtitles: 't' })).not.toBe(jobHash(base));
    expect(jobHash({ ...base, subtitles: null })).not.toBe(jobHash({ ...base, subtitles: null, subLang: 'en' }));
  });

  it('give another job hash when the model file under the same id changes, so the video is embedded again', () => {
    const text = { model: 'Xenova/bert-base-uncased', dtype: 'fp32' as const, fingerprint: 'aa' };
    const base = { video: 'v', subtitles: 's', align: ALIGN, prompt: 'P', headsHash: null, subLang: null, models: { text } };
    expect(jobHash({ ...base, models: { text: { ...text, fingerprint: 'bb' } } })).not.toBe(jobHash(base));
    expect(jobHash({ ...base, models: { text: { ...text, dtype: 'q8' } } })).not.toBe(jobHash(base));
  });

  it('give the same job hash whether or not downloads are allowed: how a model arrives is not what it is', () => {
    const base = { video: 'v', subtitles: 's', align: ALIGN, prompt: 'P', headsHash: null, subLang: null };
    expect(jobHash({ ...base, align: { ...ALIGN, allowRemote: true } })).toBe(jobHash({ ...base, align: { ...ALIGN, allowRemote: false } }));
  });
});

describe('video split', () => {
  const keys = Array.from({ length: 200 }, (_, i) => `video-${i}`);

  it('sends about the asked share of videos to dev', () => {
    const dev = videoSplit(keys, 0.9, 0);
    expect(dev.size).toBeGreaterThan(8);
    expect(dev.size).toBeLessThan(35);
  });

  it('never moves a video between train and dev when the corpus grows', () => {
    const before = videoSplit(keys.slice(0, 100), 0.8, 3);
    const after = videoSplit(keys, 0.8, 3);
    for (const k of keys.slice(0, 100)) expect(after.has(k)).toBe(before.has(k));
  });

  it('puts at least one of two or more videos on each side', () => {
    expect(videoSplit(['a', 'b'], 0.99, 0).size).toBe(1);
    expect(videoSplit(['a', 'b'], 0.01, 0).size).toBe(1);
    expect(videoSplit(['a'], 0.5, 0).size).toBeLessThanOrEqual(1);
  });
});
