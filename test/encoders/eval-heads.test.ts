import { describe, expect, it } from 'vitest';
import { evaluateHeads, NO_LABEL } from '../../encoders/eval-heads.js';
import { ProjectionHeads, type HeadDef } from '../../encoders/heads.js';
import type { NativePairs } from '../../encoders/native-pairs.js';
import { syntheticViews } from '../helpers/synthetic-pairs.js';

/** Identity heads on 2-d vectors: what goes in is what is compared. */
function identityHeads(): ProjectionHeads {
  const def = (modality: 'text' | 'audio'): HeadDef => ({
    modality,
    modelId: `toy/${modality}`,
    inputDim: 2,
    outputDim: 2,
    layers: [{ inDim: 2, outDim: 2, weight: Float32Array.from([1, 0, 0, 1]), bias: new Float32Array(2) }],
  });
  return new ProjectionHeads([def('text'), def('audio')], { kind: 'trained', seed: 0, createdAt: '2026-01-01T00:00:00Z' });
}

const v = (x: number, y: number) => Float32Array.from([x, y]);

describe('evaluateHeads with many pairs per item', () => {
  // Two words; "east" has three clips, "north" one. Clip 1 of "east" points north-east: closer to "north".
  const data: NativePairs = {
    embeddings: { text: [v(1, 0), v(0, 1)], audio: [v(1, 0.1), v(0.6, 0.8), v(1, -0.2), v(0.1, 1)] },
    pairs: [
      { a: 'text', ai: 0, b: 'audio', bi: 0, labels: { voice: 'a' } },
      { a: 'text', ai: 0, b: 'audio', bi: 1, labels: { voice: 'b' } },
      { a: 'text', ai: 0, b: 'audio', bi: 2, labels: { voice: 'c' } },
      { a: 'text', ai: 1, b: 'audio', bi: 3, labels: { voice: 'a' } },
    ],
  };

  it('counts every clip of the query word as relevant', () => {
    const { heads } = evaluateHeads(identityHeads(), data, { baseline: false });
    const textToAudio = heads.kinds[0].aToB;
    // "east" finds one of its clips first, "north" finds its clip first: R@1 1, though "east"'s
    // clip 1 ranks below "north"'s clip.
    expect(textToAudio.r1).toBe(1);
    expect([textToAudio.queries, textToAudio.gallery]).toEqual([2, 4]);
  });

  it('ranks each clip against the distinct words, not against one copy per pair', () => {
    const audioToText = evaluateHeads(identityHeads(), data, { baseline: false }).heads.kinds[0].bToA;
    expect([audioToText.queries, audioToText.gallery]).toEqual([4, 2]);
    // Clip 1 of "east" is nearer "north": 3 of 4 clips right.
    expect(audioToText.r1).toBe(0.75);
    expect(audioToText.meanRank).toBe(1.25);
  });

  it('breaks the results down by a label, each value on its own pairs', () => {
    const report = evaluateHeads(identityHeads(), data, { baseline: false, by: 'voice' });
    expect(report.breakdown?.by).toBe('voice');
    expect(report.breakdown?.values.map((x) => [x.value, x.pairs, x.heads.kinds[0].bToA.r1])).toEqual([
      ['a', 2, 1],
      ['b', 1, 1], // alone with its own word, clip 1 has nothing to be confused with
      ['c', 1, 1],
    ]);
  });

  it('puts pairs without the label under (none)', () => {
    const report = evaluateHeads(identityHeads(), data, { baseline: false, by: 'speaker' });
    expect(report.breakdown?.values.map((x) => [x.value, x.pairs])).toEqual([[NO_LABEL, 4]]);
  });
});

describe('evaluateHeads on a generated set of words and voices', () => {
  it('reports as many candidates as there are distinct items', () => {
    const { test } = syntheticViews({ items: 30, trainViews: 1, testViews: 4, seed: 5 });
    const heads = ProjectionHeads.seeded([{ modality: 'text', modelId: 'x', inputDim: 100 }, { modality: 'audio', modelId: 'y', inputDim: 192 }], { seed: 1 });
    const r = evaluateHeads(heads, test, { by: 'voice' });
    expect(r.heads.kinds[0].bToA.gallery).toBe(30);
    expect(r.heads.kinds[0].aToB.gallery).toBe(120);
    expect(r.breakdown?.values).toHaveLength(4);
    expect(r.breakdown?.values[0].baseline).not.toBeNull();
  });
});
