import { beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KnowledgeBase, UsageError, type AlignVideoFn } from 'mmalign';
import { fakeEmbedders, vectorFor } from '../../helpers/fake-embedder.js';
import { clock, kbFolders, SRT, T0, type KbFolders } from '../../helpers/kb-folders.js';

let src = '';
let kbDir = '';
let write: KbFolders['write'];
beforeEach(() => {
  ({ src, kbDir, write } = kbFolders());
});

describe('videos aligned on sync', () => {
  /** Stands in for alignVideo: one frame per cue, text/frame/audio vectors, an embeddings.json naming the models. */
  function fakeAlign(calls: string[]): AlignVideoFn {
    return async (video, subtitles, { out, sink }) => {
      calls.push(video);
      mkdirSync(out, { recursive: true });
      const cues = [
        { i: 1, start: 1, end: 2.5, text: 'Hello there.' },
        { i: 2, start: 3, end: 4, text: 'General Kenobi.' },
      ];
      const pairs = cues.map((c) => ({ frame: join(out, `f${c.i}.jpg`), frame_time: (c.start + c.end) / 2, cue_index: c.i, start: c.start, end: c.end, text: c.text }));
      const vectors = cues.flatMap((c) => [
        { id: `text:${c.i}`, modality: 'text' as const, vector: vectorFor(`t${c.i}`) },
        { id: `frame:t${((c.start + c.end) / 2).toFixed(3).padStart(10, '0')}`, modality: 'image' as const, vector: vectorFor(`f${c.i}`) },
        { id: `audio:${c.i}`, modality: 'audio' as const, vector: vectorFor(`a${c.i}`) },
      ]);
      await sink({ video, pairs, vectors });
      const index = join(out, 'embeddings.json');
      writeFileSync(index, JSON.stringify({ models: { text: { model: 'tb', heads: 'h1' }, image: { model: 'tr', heads: 'h2' }, audio: { model: 'tw', heads: 'h3' } } }));
      return { warnings: [], files: { embeddingsIndex: index } };
    };
  }

  it('indexes each cue\'s text, frame and audio, and does not re-align an unchanged video', async () => {
    write('clip.mp4', Buffer.from('video bytes'));
    write('clip.srt', SRT);
    const calls: string[] = [];
    const fake = fakeEmbedders();
    const kb = await KnowledgeBase.open(kbDir, { encoders: fake.provider, clock });
    const r = await kb.sync(src, { videos: 'align', alignVideo: fakeAlign(calls) });
    expect(r).toMatchObject({ added: 6, encoded: 0 });
    expect(calls).toEqual([join(src, 'clip.mp4')]);
    expect(kb.index.get('clip.mp4#text:2')).toMatchObject({ text: 'General Kenobi.', start: 3, end: 4, modelVersion: 'tb@h1' });
    expect(kb.index.get('clip.mp4#frame:t000001.750')).toMatchObject({ modality: 'image', start: 1.75, tags: ['cue:1'] });
    expect(kb.index.get('clip.mp4#audio:1')).toMatchObject({ modality: 'audio', start: 1, end: 2.5, modelVersion: 'tw@h3' });
    expect(kb.index.get('clip.mp4#cue1')).toBeUndefined();
    const again = await kb.sync(src, { videos: 'align', alignVideo: fakeAlign(calls) });
    expect(again).toMatchObject({ added: 0, updated: 0, deleted: 0, unchanged: 6 });
    expect(calls).toHaveLength(1);
    expect(fake.calls).toBe(0);
    write('clip.srt', SRT.replace('Kenobi', 'Grievous'), T0 + 5000);
    await kb.sync(src, { videos: 'align', alignVideo: fakeAlign(calls) });
    expect(calls).toHaveLength(2);
    await kb.close();
  });

  it('runs the aligner given to open, in cue mode, with the encoder options of the knowledge base', async () => {
    write('clip.mp4', Buffer.from('video bytes'));
    write('clip.srt', SRT);
    const calls: string[] = [];
    const seen: { mode: string; device: unknown }[] = [];
    const align = fakeAlign(calls);
    const kb = await KnowledgeBase.open(kbDir, {
      encoders: fakeEmbedders().provider,
      clock,
      encoderOptions: { device: 'cpu' },
      alignVideo: (video, subtitles, options) => (seen.push({ mode: options.mode, device: options.device }), align(video, subtitles, options)),
    });
    expect(await kb.sync(src, { videos: 'align' })).toMatchObject({ added: 6 });
    expect(calls).toEqual([join(src, 'clip.mp4')]);
    expect(seen).toEqual([{ mode: 'cue', device: 'cpu' }]);
    await kb.close();
  });

  it('refuses videos: align without an aligner as wrong usage and commits nothing', async () => {
    write('clip.mp4', Buffer.from('video bytes'));
    write('clip.srt', SRT);
    const kb = await KnowledgeBase.open(kbDir, { encoders: fakeEmbedders().provider, clock });
    const err = await kb.sync(src, { videos: 'align' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/needs a video aligner: pass \{ alignVideo \}/);
    expect(kb.currentVersion).toBe(0);
    // Cue texts need no aligner.
    expect(await kb.sync(src)).toMatchObject({ added: 2 });
    await kb.close();
  });
});
