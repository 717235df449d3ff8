import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputFileError } from '../../src/core/errors/index.js';
import { discoverInputs, pickSidecar } from '../../src/corpus/input.js';
import { tempDir } from '../helpers/tmp.js';

function touch(file: string, text = 'x'): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

describe('folder input', () => {
  it('finds videos recursively with their sidecar subtitles and skips hidden folders and the output folder', async () => {
    const dir = tempDir('corpus-input');
    touch(path.join(dir, 'a.mp4'));
    touch(path.join(dir, 'a.srt'));
    touch(path.join(dir, 'week 2', 'b.mkv'));
    touch(path.join(dir, 'week 2', 'b.vtt'));
    touch(path.join(dir, '.cache', 'hidden.mp4'));
    touch(path.join(dir, 'out', 'videos', 'x', 'frames.mp4'));
    touch(path.join(dir, 'notes.txt'));
    const { kind, entries } = await discoverInputs(dir, { exclude: [path.join(dir, 'out')] });
    expect(kind).toBe('folder');
    expect(entries.map((e) => [path.relative(dir, e.video), e.subtitles && path.relative(dir, e.subtitles)])).toEqual([
      ['a.mp4', 'a.srt'],
      ['week 2/b.mkv', 'week 2/b.vtt'],
    ]);
  });

  it('keeps a video without sidecar subtitles, to use the subtitle stream embedded in it', async () => {
    const dir = tempDir('corpus-input');
    touch(path.join(dir, 'talk.mkv'));
    const { entries } = await discoverInputs(dir);
    expect(entries).toHaveLength(1);
    expect(entries[0].subtitles).toBeNull();
  });

  it('gives two videos of the same name in different folders different, dot-free keys', async () => {
    const dir = tempDir('corpus-input');
    touch(path.join(dir, 'a', 'intro.v2.mp4'));
    touch(path.join(dir, 'b', 'intro.v2.mp4'));
    const { entries } = await discoverInputs(dir);
    const keys = entries.map((e) => e.key);
    expect(new Set(keys).size).toBe(2);
    for (const k of keys) expect(k).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('prefers the sidecar in the asked language, then the plain name', () => {
    const files = ['/v/talk.de.srt', '/v/talk.en.srt', '/v/talk.srt', '/v/talk.extra.en.srt', '/w/talk.srt'];
    expect(pickSidecar('/v/talk.mp4', files, 'en').file).toBe('/v/talk.en.srt');
    expect(pickSidecar('/v/talk.mp4', files).file).toBe('/v/talk.srt');
    expect(pickSidecar('/v/talk.mp4', files).others.sort()).toEqual(['/v/talk.de.srt', '/v/talk.en.srt']);
  });

  it('fails with the folder named when it holds no video', async () => {
    const dir = tempDir('corpus-input');
    touch(path.join(dir, 'readme.md'));
    await expect(discoverInputs(dir)).rejects.toThrow(/holds no video files/);
  });
});

describe('manifest input', () => {
  it('reads a CSV manifest, resolves paths against its folder and carries extra columns into metadata', async () => {
    const dir = tempDir('corpus-manifest');
    touch(path.join(dir, 'media', 'a.mp4'));
    touch(path.join(dir, 'media', 'a.srt'));
    touch(path.join(dir, 'media', 'b.mp4'));
    touch(path.join(dir, 'media', 'b.en.vtt'));
    const csv = touch(path.join(dir, 'list.csv'), 'video,subtitles,prompt,speaker,license\nmedia/a.mp4,media/a.srt,Describe it.,"Doe, Jane",cc-by\nmedia/b.mp4,,,Bob,\n');
    const { kind, entries } = await discoverInputs(csv);
    expect(kind).toBe('manifest');
    expect(entries[0]).toMatchObject({ video: path.join(dir, 'media', 'a.mp4'), subtitles: path.join(dir, 'media', 'a.srt'), prompt: 'Describe it.', metadata: { speaker: 'Doe, Jane', license: 'cc-by' } });
    // No subtitles column value: the sidecar next to the video; an empty cell is not metadata.
    expect(entries[1]).toMatchObject({ subtitles: path.join(dir, 'media', 'b.en.vtt'), prompt: null, metadata: { speaker: 'Bob' } });
    expect(entries[1].origin).toBe(`${csv}:3`);
  });

  it('reads a JSONL manifest whose extra fields keep their JSON types', async () => {
    const dir = tempDir('corpus-manifest');
    touch(path.join(dir, 'a.mp4'));
    const jsonl = touch(path.join(dir, 'list.jsonl'), JSON.stringify({ video: 'a.mp4', subtitles: 'a.srt', key: 'talk_a', tags: ['x', 'y'], year: 2021, meta: { lang: 'en' } }) + '\n\n');
    const { entries } = await discoverInputs(jsonl);
    expect(entries).toEqual([
      expect.objectContaining({ key: 'talk_a', subtitles: path.join(dir, 'a.srt'), metadata: { tags: ['x', 'y'], year: 2021, meta: { lang: 'en' } } }),
    ]);
  });

  it('names the file and line of a row without a video', async () => {
    const dir = tempDir('corpus-manifest');
    const csv = touch(path.join(dir, 'list.csv'), 'video,subtitles\na.mp4,a.srt\n,b.srt\n');
    const err = await discoverInputs(csv).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputFileError);
    expect((err as InputFileError).file).toBe(`${csv}:3`);
    expect((err as Error).message).toMatch(/has no "video"/);
  });

  it('rejects a URL, a repeated video and a key with a dot', async () => {
    const dir = tempDir('corpus-manifest');
    const url = touch(path.join(dir, 'url.csv'), 'video\nhttps://example.org/a.mp4\n');
    await expect(discoverInputs(url)).rejects.toThrow(/is a URL; mmalign reads local files only/);
    const twice = touch(path.join(dir, 'twice.csv'), 'video\na.mp4\n./a.mp4\n');
    await expect(discoverInputs(twice)).rejects.toThrow(/same video as line 2/);
    const dotted = touch(path.join(dir, 'dot.jsonl'), JSON.stringify({ video: 'a.mp4', key: 'a.b' }) + '\n');
    await expect(discoverInputs(dotted)).rejects.toThrow(/no dots/);
  });

  it('reports a malformed CSV row with its line', async () => {
    const dir = tempDir('corpus-manifest');
    const csv = touch(path.join(dir, 'bad.csv'), 'video,subtitles\na.mp4,a.srt,extra\n');
    await expect(discoverInputs(csv)).rejects.toThrow(/bad\.csv:2: is not valid CSV/);
  });
});
