import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/core/errors/index.js';
import {
  DEFAULT_PROMPT,
  llamaFactoryDatasetInfo,
  splitTrainDev,
  toDatasetRecord,
  toGlm41vRecord,
  toGlm4vRecord,
  toJsonl,
  type AlignedPair,
} from '../../src/pipeline/dataset.js';

const pair = (cue: number, t: number): AlignedPair => ({
  video: '/data/v.mp4',
  frame: `/data/out/frames/t${String(t).padStart(6, '0')}.000.jpg`,
  frame_time: t,
  cue_index: cue,
  start: t - 0.5,
  end: t + 0.5,
  text: `line ${cue}`,
  distance: 0,
});

describe('GLM-4V records', () => {
  it('put the absolute image path on the first user message and the cue text as the answer, with no system message', () => {
    const r = toGlm4vRecord({ image: '/abs/f.jpg', text: 'Hello.', prompt: 'Transcribe.' });
    expect(r).toEqual({
      messages: [
        { role: 'user', content: 'Transcribe.', image: '/abs/f.jpg' },
        { role: 'assistant', content: 'Hello.' },
      ],
    });
  });

  it('use the default prompt when none is given', () => {
    expect(toGlm4vRecord({ image: '/a.jpg', text: 'x' }).messages[0].content).toBe(DEFAULT_PROMPT);
  });

  it('reject a prompt with an <image> tag, which GLM-4V would read as literal text', () => {
    expect(() => toGlm4vRecord({ image: '/a.jpg', text: 'x', prompt: '<image>Say it' })).toThrow(InvalidOptionError);
  });
});

describe('GLM-4.1V records', () => {
  it('prefix the prompt with one <image> tag and list the image in images', () => {
    expect(toGlm41vRecord({ image: '/abs/f.jpg', text: 'Hello.', prompt: 'Transcribe.' })).toEqual({
      messages: [
        { role: 'user', content: '<image>Transcribe.' },
        { role: 'assistant', content: 'Hello.' },
      ],
      images: ['/abs/f.jpg'],
    });
  });

  it('keep a prompt that already places its single <image> tag', () => {
    expect(toGlm41vRecord({ image: '/a.jpg', text: 'x', prompt: 'Look: <image> what is said?' }).messages[0].content).toBe(
      'Look: <image> what is said?',
    );
  });

  it('reject a prompt with more <image> tags than images', () => {
    expect(() => toGlm41vRecord({ image: '/a.jpg', text: 'x', prompt: '<image><image>' })).toThrow(/at most one <image>/);
  });
});

describe('toDatasetRecord', () => {
  it('writes the pair itself in pairs format', () => {
    const p = pair(3, 10);
    expect(toDatasetRecord(p, 'pairs')).toEqual(p);
  });

  it('rejects an unknown format naming the valid ones', () => {
    expect(() => toDatasetRecord(pair(1, 1), 'llava' as never)).toThrow(/glm4v, glm41v, pairs/);
  });
});

describe('splitTrainDev', () => {
  const pairs = Array.from({ length: 60 }, (_, i) => pair(Math.floor(i / 3) + 1, i)); // 20 cues × 3 frames

  it('is the same for the same seed', () => {
    const a = splitTrainDev(pairs, (p) => p.cue_index, { train: 0.8, seed: 42 });
    const b = splitTrainDev(pairs, (p) => p.cue_index, { train: 0.8, seed: 42 });
    expect(a).toEqual(b);
  });

  it('differs between seeds', () => {
    const a = splitTrainDev(pairs, (p) => p.cue_index, { train: 0.8, seed: 1 });
    const b = splitTrainDev(pairs, (p) => p.cue_index, { train: 0.8, seed: 2 });
    expect(a.dev.map((p) => p.cue_index)).not.toEqual(b.dev.map((p) => p.cue_index));
  });

  it('never puts frames of one cue in both train and dev', () => {
    for (const seed of [0, 1, 2, 3, 4]) {
      const { train, dev } = splitTrainDev(pairs, (p) => p.cue_index, { train: 0.7, seed });
      const trainCues = new Set(train.map((p) => p.cue_index));
      expect(dev.filter((p) => trainCues.has(p.cue_index))).toEqual([]);
      expect(train.length + dev.length).toBe(pairs.length);
    }
  });

  it('puts the train fraction of cues (not of frames) in train', () => {
    const { train } = splitTrainDev(pairs, (p) => p.cue_index, { train: 0.9, seed: 0 });
    expect(new Set(train.map((p) => p.cue_index)).size).toBe(18);
  });

  it('keeps at least one cue on each side when there are two or more', () => {
    const two = [pair(1, 1), pair(2, 2)];
    const { train, dev } = splitTrainDev(two, (p) => p.cue_index, { train: 0.99, seed: 0 });
    expect([train.length, dev.length]).toEqual([1, 1]);
  });

  it('rejects a fraction outside 0–1', () => {
    expect(() => splitTrainDev(pairs, (p) => p.cue_index, { train: 1.5 })).toThrow(InvalidOptionError);
  });
});

describe('toJsonl', () => {
  it('writes one JSON object per newline-terminated line', () => {
    const text = toJsonl([{ a: 1 }, { b: 'x\ny' }]);
    expect(text.split('\n')).toEqual(['{"a":1}', '{"b":"x\\ny"}', '']);
  });
});

describe('llamaFactoryDatasetInfo', () => {
  it('registers train and dev as sharegpt datasets with messages and images columns', () => {
    const info = llamaFactoryDatasetInfo('train.jsonl', 'dev.jsonl');
    expect(info.mmalign_dev).toEqual({
      file_name: 'dev.jsonl',
      formatting: 'sharegpt',
      columns: { messages: 'messages', images: 'images' },
      tags: { role_tag: 'role', content_tag: 'content', user_tag: 'user', assistant_tag: 'assistant' },
    });
    expect(info.mmalign_train.file_name).toBe('train.jsonl');
  });
});
