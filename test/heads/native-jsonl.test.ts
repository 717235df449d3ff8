import { describe, expect, it } from 'vitest';
import { InputFileError } from '../../src/core/errors/index.js';
import { parseJsonLines } from '../../src/heads/jsonl.js';
import { nativeFromLines } from '../../src/heads/native-jsonl.js';

const read = (lines: object[]) => {
  const text = lines.map((l) => JSON.stringify(l)).join('\n');
  return nativeFromLines(parseJsonLines(text, 'words.jsonl'), 'words.jsonl');
};
const rows = (v: unknown) => (v as Float32Array[]).length;

describe('native-embeddings JSONL items', () => {
  it('makes lines with the same textId one text item', () => {
    const data = read([
      { modelIds: { text: 'glove', audio: 'speech' } },
      { text: [1, 0], audio: [0.1, 0.2, 0.3], textId: 'house', label: 'en-gb' },
      { text: [1, 0], audio: [0.2, 0.2, 0.3], textId: 'house', label: 'en-us' },
      { text: [0, 1], audio: [0.3, 0.2, 0.3], textId: 'tree', label: 'en-gb' },
    ]);
    expect(rows(data.embeddings.text)).toBe(2);
    expect(rows(data.embeddings.audio)).toBe(3);
    expect(data.pairs.map((p) => [p.ai, p.bi, p.labels?.label])).toEqual([
      [0, 0, 'en-gb'],
      [0, 1, 'en-us'],
      [1, 2, 'en-gb'],
    ]);
  });

  it('lets a line name an item by id alone when another line gives its vector', () => {
    const data = read([
      { audio: [0.1, 0.2], textId: 'house' },
      { text: [1, 0, 0], audio: [0.3, 0.4], textId: 'house' },
    ]);
    expect(rows(data.embeddings.text)).toBe(1);
    expect(data.pairs.map((p) => p.ai)).toEqual([0, 0]);
  });

  it('rejects one id with two different vectors, naming both lines', () => {
    const run = () => read([{ text: [1, 0], audio: [1], textId: 'house' }, { text: [0, 1], audio: [2], textId: 'house' }]);
    expect(run).toThrow(InputFileError);
    expect(run).toThrow(/words\.jsonl:2: textId "house" has another text vector than on line 1/);
  });

  it('rejects an id that no line gives a vector for', () => {
    expect(() => read([{ audio: [0.1], textId: 'ghost', imageId: 'x', image: [1] }])).toThrow(/textId "ghost" has no text vector on any line/);
  });

  it('treats identical vectors without ids as one item', () => {
    const data = read([{ text: [1, 2], image: [3] }, { text: [1, 2], image: [4] }, { text: [2, 1], image: [3] }]);
    expect(rows(data.embeddings.text)).toBe(2);
    expect(rows(data.embeddings.image)).toBe(2);
  });

  it('keeps a group and turns other plain fields into labels', () => {
    const data = read([{ text: [1], audio: [2], group: 7, speaker: 'ann', take: 3, clean: true, extra: { nested: 1 } }]);
    expect(data.pairs[0]).toMatchObject({ group: '7', labels: { speaker: 'ann', take: '3', clean: 'true' } });
  });

  it('pairs every two modalities of a three-way line with the line\'s labels', () => {
    const data = read([{ text: [1], image: [2], audio: [3], label: 'x' }]);
    expect(data.pairs.map((p) => `${p.a}-${p.b}:${p.labels?.label}`)).toEqual(['text-image:x', 'text-audio:x', 'image-audio:x']);
  });
});
