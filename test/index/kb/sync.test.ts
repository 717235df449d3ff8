import { beforeEach, describe, expect, it } from 'vitest';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputFileError, KbModelMismatchError, KnowledgeBase, alignedSink, type EmbedderProvider } from 'mmalign';
import { incomingWins } from '../../../index/index.js';
import { fakeEmbedders, vectorFor } from '../../helpers/fake-embedder.js';
import { clock, kbFolders, SRT, T0, type KbFolders } from '../../helpers/kb-folders.js';

let src = '';
let kbDir = '';
let write: KbFolders['write'];
let manifest: KbFolders['manifest'];
beforeEach(() => {
  ({ src, kbDir, write, manifest } = kbFolders());
});

describe('KnowledgeBase.sync', () => {
  it('turns a folder into items: paragraphs, markdown sections, subtitle cues with times, images and audio', async () => {
    write('notes.txt', 'First paragraph.\n\nSecond paragraph.\n');
    write('doc.md', 'Intro text.\n\n# Heading A\nbody a\n\n## Heading B\nbody b\n```\n# not a heading\n```\n');
    write('clip.mp4', Buffer.from('not really a video'));
    write('clip.srt', SRT);
    write('pics/cat.jpg', Buffer.from([1, 2, 3]));
    write('sound.wav', Buffer.from([4, 5, 6]));
    write('.hidden.txt', 'ignored');
    const fake = fakeEmbedders();
    const kb = await KnowledgeBase.open(kbDir, { encoders: fake.provider, clock });
    const r = await kb.sync(src);
    expect(r).toMatchObject({ version: 1, added: 9, updated: 0, deleted: 0 });
    const items = [...kb.items()];
    expect(items.map((i) => i.id)).toEqual([
      'clip.mp4#cue1',
      'clip.mp4#cue2',
      'doc.md#part1',
      'doc.md#part2',
      'doc.md#part3',
      'notes.txt#part1',
      'notes.txt#part2',
      'pics/cat.jpg',
      'sound.wav',
    ]);
    expect(items[0]).toMatchObject({ modality: 'text', text: 'Hello there.', start: 1, end: 2.5, path: join(src, 'clip.mp4') });
    expect(items[4].text).toBe('## Heading B\nbody b\n```\n# not a heading\n```');
    expect(items[7].modality).toBe('image');
    expect(items[8].modality).toBe('audio');
    expect(fake.inputs.image).toEqual([join(src, 'pics/cat.jpg')]);
    await kb.close();
  });

  it('re-encodes nothing when the source has not changed, and still records a version', async () => {
    write('a.txt', 'one\n\ntwo\n\nthree');
    const fake = fakeEmbedders();
    const kb = await KnowledgeBase.open(kbDir, { encoders: fake.provider, clock });
    await kb.sync(src);
    const callsAfterFirst = fake.inputs.text.length;
    const r = await kb.sync(src);
    expect(fake.inputs.text.length).toBe(callsAfterFirst);
    expect(r).toMatchObject({ version: 2, added: 0, updated: 0, deleted: 0, unchanged: 3, encoded: 0 });
    await kb.close();
  });

  it('re-encodes only the changed paragraph of an edited file', async () => {
    write('a.txt', 'one\n\ntwo\n\nthree');
    const fake = fakeEmbedders();
    const kb = await KnowledgeBase.open(kbDir, { encoders: fake.provider, clock });
    await kb.sync(src);
    fake.inputs.text.length = 0;
    write('a.txt', 'one\n\nTWO changed\n\nthree', T0 + 1000);
    const r = await kb.sync(src);
    expect(fake.inputs.text).toEqual(['TWO changed']);
    expect(r).toMatchObject({ updated: 3, added: 0, deleted: 0, encoded: 1 }); // all three got the new mtime
    expect(kb.index.get('a.txt#part2')?.text).toBe('TWO changed');
    await kb.close();
  });

  it('deletes the items of a removed file and lists them as that version\'s changes', async () => {
    write('a.txt', 'alpha');
    write('b.txt', 'beta\n\ngamma');
    const kb = await KnowledgeBase.open(kbDir, { encoders: fakeEmbedders().provider, clock });
    await kb.sync(src);
    rmSync(join(src, 'b.txt'));
    const r = await kb.sync(src);
    expect(r).toMatchObject({ version: 2, deleted: 2, unchanged: 1 });
    expect(kb.changes(2).map((c) => [c.change, c.id])).toEqual([
      ['deleted', 'b.txt#part1'],
      ['deleted', 'b.txt#part2'],
    ]);
    expect((await kb.search({ vector: vectorFor('text:beta') }, { k: 5 })).map((h) => h.id)).toEqual(['a.txt#part1']);
    await kb.close();
  });

  it('takes a moved paragraph\'s vector from the embedding cache instead of the encoder', async () => {
    write('a.txt', 'stays');
    const fake = fakeEmbedders();
    const kb = await KnowledgeBase.open(kbDir, { encoders: fake.provider, clock });
    await kb.sync(src);
    rmSync(join(src, 'a.txt'));
    write('moved/b.txt', 'stays');
    fake.inputs.text.length = 0;
    const r = await kb.sync(src);
    expect(r).toMatchObject({ added: 1, deleted: 1, encoded: 0 });
    expect(fake.inputs.text).toEqual([]);
    await kb.close();
  });

  it('re-encodes everything when the model or heads version changes', async () => {
    write('a.txt', 'x\n\ny');
    const kb1 = await KnowledgeBase.open(kbDir, { encoders: fakeEmbedders({ version: 'v1' }).provider, clock });
    await kb1.sync(src);
    await kb1.close();
    const fake2 = fakeEmbedders({ version: 'v2' });
    const kb2 = await KnowledgeBase.open(kbDir, { encoders: fake2.provider, clock });
    const r = await kb2.sync(src);
    expect(r).toMatchObject({ updated: 2, encoded: 2 });
    expect(kb2.index.get('a.txt#part1')?.modelVersion).toBe('text-v2');
    await kb2.close();
  });

  it('re-encodes everything when the model file is replaced under the same version (its fingerprint changes)', async () => {
    write('a.txt', 'x\n\ny');
    const fake = fakeEmbedders({ version: 'v1' });
    const withFingerprint = (fingerprint: string): EmbedderProvider => async (m) => ({ ...(await fake.provider(m)), fingerprint });
    const kb1 = await KnowledgeBase.open(kbDir, { encoders: withFingerprint('model-a'), clock });
    await kb1.sync(src);
    await kb1.close();
    const kb2 = await KnowledgeBase.open(kbDir, { encoders: withFingerprint('model-b'), clock });
    expect(await kb2.sync(src)).toMatchObject({ updated: 2, encoded: 2 });
    expect(kb2.index.get('a.txt#part1')?.modelVersion).toBe('text-v1#model-b');
    expect(await kb2.sync(src)).toMatchObject({ unchanged: 2, encoded: 0 });
    await kb2.close();
    const kb3 = await KnowledgeBase.open(kbDir, { encoders: withFingerprint('model-a'), clock });
    const err = await kb3.search('x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KbModelMismatchError);
    await kb3.close();
  });

  it('keeps the other items and warns when the encoder fails on one', async () => {
    write('a.txt', 'good\n\nPOISON\n\nfine');
    const fake = fakeEmbedders({ fail: (s) => s === 'POISON' });
    const kb = await KnowledgeBase.open(kbDir, { encoders: fake.provider, clock });
    const r = await kb.sync(src);
    expect(r.added).toBe(2);
    expect(r.warnings.map((w) => w.message).join('\n')).toMatch(/a\.txt#part2: not embedded/);
    expect(kb.index.get('a.txt#part2')).toBeUndefined();
    await kb.close();
  });

  it('reads a JSONL manifest with inline text, files, tags and timestamps', async () => {
    write('img.png', Buffer.from([9]));
    const m = manifest('items.jsonl', [
      { id: 'q1', modality: 'text', text: 'what is this', tags: ['faq'], timestamp: '2026-01-02T00:00:00Z' },
      { id: 'p1', modality: 'image', path: 'src/img.png', start: 3, end: 4 },
    ]);
    const kb = await KnowledgeBase.open(kbDir, { encoders: fakeEmbedders().provider, clock });
    const r = await kb.sync(m, { sourceName: 'faq' });
    expect(r).toMatchObject({ added: 2, source: 'faq' });
    expect(kb.index.get('q1')).toMatchObject({ tags: ['faq'], timestamp: Date.UTC(2026, 0, 2), source: 'faq' });
    expect(kb.index.get('p1')).toMatchObject({ modality: 'image', path: join(src, 'img.png'), start: 3, end: 4 });
    const hits = await kb.search('what is this', { k: 1, filter: { tags: ['faq'] } });
    expect(hits[0]).toMatchObject({ id: 'q1', item: { text: 'what is this' } });
    await kb.close();
  });

  it('rejects a bad manifest line naming file and line, and commits nothing', async () => {
    const m = manifest('bad.jsonl', [
      { id: 'ok', modality: 'text', text: 'fine' },
      { id: 'bad', modality: 'video', text: 'nope' },
    ]);
    const kb = await KnowledgeBase.open(kbDir, { encoders: fakeEmbedders().provider, clock });
    const err = await kb.sync(m).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputFileError);
    expect((err as Error).message).toContain(`${m}:2`);
    expect((err as Error).message).toMatch(/modality/);
    expect(kb.currentVersion).toBe(0);
    expect(kb.size).toBe(0);
    await kb.close();
  });
});

describe('KnowledgeBase.ingest', () => {
  it('stores precomputed vectors as a version and replaces or deletes on the next ingest, without encoding', async () => {
    const fake = fakeEmbedders();
    const kb = await KnowledgeBase.open(kbDir, { encoders: fake.provider, clock });
    const item = (id: string, hash: string) => ({ id, modality: 'text' as const, vector: vectorFor(hash), modelVersion: 'pipe@1', contentHash: hash, text: id });
    expect(await kb.ingest([item('a', 'h1'), item('b', 'h2')], { sourceName: 'clip' })).toMatchObject({ version: 1, added: 2 });
    const r = await kb.ingest([item('a', 'h1'), item('b', 'h3')], { sourceName: 'clip' });
    expect(r).toMatchObject({ version: 2, unchanged: 1, updated: 1 });
    expect(await kb.ingest([item('a', 'h1')], { sourceName: 'clip' })).toMatchObject({ deleted: 1 });
    expect((await kb.search({ vector: vectorFor('h1') }, { k: 1 }))[0].id).toBe('a');
    expect(fake.calls).toBe(0);
    await kb.close();
  });

  it('turns an aligned video batch into cue text, frame and audio items', async () => {
    const kb = await KnowledgeBase.open(kbDir, { encoders: fakeEmbedders().provider, clock });
    const sink = alignedSink(kb, { modelVersion: { text: 'bert@h', image: 'resnet@h', audio: 'w2v@h' } });
    await sink({
      video: '/v/clip.mp4',
      pairs: [{ frame: '/out/frames/t000001.500.jpg', frame_time: 1.5, cue_index: 1, start: 1, end: 2.5, text: 'Hello there.' }],
      vectors: [
        { id: 'frame:t000001.500', modality: 'image', vector: vectorFor('f') },
        { id: 'text:1', modality: 'text', vector: vectorFor('t') },
        { id: 'audio:1', modality: 'audio', vector: vectorFor('a') },
      ],
    });
    expect(kb.index.get('/v/clip.mp4#text:1')).toMatchObject({ text: 'Hello there.', start: 1, end: 2.5, modelVersion: 'bert@h', source: '/v/clip.mp4' });
    expect(kb.index.get('/v/clip.mp4#frame:t000001.500')).toMatchObject({ modality: 'image', path: '/out/frames/t000001.500.jpg', start: 1.5, tags: ['cue:1'] });
    expect(kb.index.get('/v/clip.mp4#audio:1')).toMatchObject({ modality: 'audio', start: 1, end: 2.5 });
    const hits = await kb.search({ vector: vectorFor('t') }, { k: 3, filter: { tags: ['cue:1'], modality: 'image' } });
    expect(hits.map((h) => h.id)).toEqual(['/v/clip.mp4#frame:t000001.500']);
    await kb.close();
  });
});

describe('conflict rule', () => {
  it('lets the newer timestamp win whatever the priorities', async () => {
    const a = manifest('a.jsonl', [{ id: 'x', modality: 'text', text: 'from A', timestamp: 2000 }]);
    const b = manifest('b.jsonl', [{ id: 'x', modality: 'text', text: 'from B', timestamp: 1000 }]);
    const kb = await KnowledgeBase.open(kbDir, { encoders: fakeEmbedders().provider, clock });
    await kb.sync(a, { sourceName: 'A', priority: 0 });
    const r = await kb.sync(b, { sourceName: 'B', priority: 9 });
    expect(r).toMatchObject({ skipped: 1, updated: 0 });
    expect(kb.index.get('x')).toMatchObject({ text: 'from A', source: 'A' });
    expect(kb.changes(r.version)[0]).toMatchObject({ change: 'skipped', id: 'x', source: 'B' });
    await kb.close();
  });

  it('lets the higher priority win on equal timestamps', async () => {
    const a = manifest('a.jsonl', [{ id: 'x', modality: 'text', text: 'from A', timestamp: 1000 }]);
    const b = manifest('b.jsonl', [{ id: 'x', modality: 'text', text: 'from B', timestamp: 1000 }]);
    const kb = await KnowledgeBase.open(kbDir, { encoders: fakeEmbedders().provider, clock });
    await kb.sync(a, { sourceName: 'A', priority: 1 });
    const r = await kb.sync(b, { sourceName: 'B', priority: 2 });
    expect(r).toMatchObject({ updated: 1, skipped: 0 });
    expect(kb.index.get('x')).toMatchObject({ text: 'from B', source: 'B', priority: 2 });
    // A syncing again with its lower priority does not take it back.
    const again = await kb.sync(a, { sourceName: 'A' });
    expect(again.skipped).toBe(1);
    expect(kb.index.get('x')?.source).toBe('B');
    await kb.close();
  });

  it('keeps the current copy on a full tie so syncs never flip-flop', () => {
    expect(incomingWins({ timestamp: 5, priority: 1 }, { timestamp: 5, priority: 1 })).toBe(false);
    expect(incomingWins({ timestamp: 6, priority: 0 }, { timestamp: 5, priority: 9 })).toBe(true);
  });

  it('does not delete an item another source owns when this source stops offering it', async () => {
    const a = manifest('a.jsonl', [{ id: 'x', modality: 'text', text: 'A', timestamp: 1 }]);
    const b = manifest('b.jsonl', [{ id: 'x', modality: 'text', text: 'B', timestamp: 2 }]);
    const kb = await KnowledgeBase.open(kbDir, { encoders: fakeEmbedders().provider, clock });
    await kb.sync(a, { sourceName: 'A' });
    await kb.sync(b, { sourceName: 'B' });
    writeFileSync(a, '');
    const r = await kb.sync(a, { sourceName: 'A' });
    expect(r.deleted).toBe(0);
    expect(kb.index.get('x')?.text).toBe('B');
    await kb.close();
  });
});
