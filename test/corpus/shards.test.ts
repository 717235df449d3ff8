import { createReadStream, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { ShardWriter } from '../../src/corpus/shards.js';
import { encodeWav } from '../../src/corpus/audio-clips.js';
import { tempDir } from '../helpers/tmp.js';

/** Every member of a tar file, read with tar-stream's extractor: name and bytes, in order. */
async function members(file: string): Promise<{ name: string; data: Buffer }[]> {
  const extract = tar.extract();
  createReadStream(file).pipe(extract);
  const out: { name: string; data: Buffer }[] = [];
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const c of entry) chunks.push(c as Buffer);
    out.push({ name: entry.header.name, data: Buffer.concat(chunks) });
  }
  return out;
}

const sample = (i: number) => [
  { ext: 'jpg', data: Buffer.from(`jpeg-${i}`) },
  { ext: 'txt', data: Buffer.from(`text ${i}`) },
  { ext: 'json', data: Buffer.from(JSON.stringify({ i })) },
];

async function writeShards(dir: string, n: number, size: number) {
  const w = new ShardWriter(dir, size);
  for (let i = 0; i < n; i++) await w.add(`vid-1_c${String(i).padStart(6, '0')}_t000000000`, i % 3 === 0 ? 'dev' : 'train', sample(i));
  return w.close();
}

describe('WebDataset shards', () => {
  it('roll over every shard-size samples and count them per shard', async () => {
    const dir = path.join(tempDir('corpus-shards'), 'shards');
    mkdirSync(dir);
    const stats = await writeShards(dir, 7, 3);
    expect(readdirSync(dir).sort()).toEqual(['000000.tar', '000001.tar', '000002.tar']);
    expect(stats.map((s) => [s.file, s.samples, s.train, s.dev])).toEqual([
      ['shards/000000.tar', 3, 2, 1],
      ['shards/000001.tar', 3, 2, 1],
      ['shards/000002.tar', 1, 0, 1],
    ]);
    expect(stats[0].bytes).toBe(readFileSync(path.join(dir, '000000.tar')).length);
  });

  it('hold each sample as consecutive KEY.ext members that a tar reader groups back by the first dot', async () => {
    const dir = path.join(tempDir('corpus-shards'), 'shards');
    mkdirSync(dir);
    await writeShards(dir, 4, 10);
    const m = await members(path.join(dir, '000000.tar'));
    expect(m.map((x) => x.name).slice(0, 3)).toEqual(['vid-1_c000000_t000000000.jpg', 'vid-1_c000000_t000000000.txt', 'vid-1_c000000_t000000000.json']);
    const byKey = new Map<string, Record<string, string>>();
    for (const { name, data } of m) {
      const dot = name.indexOf('.');
      byKey.set(name.slice(0, dot), { ...byKey.get(name.slice(0, dot)), [name.slice(dot + 1)]: data.toString() });
    }
    expect(byKey.size).toBe(4);
    expect(byKey.get('vid-1_c000002_t000000000')).toEqual({ jpg: 'jpeg-2', txt: 'text 2', json: '{"i":2}' });
  });

  it('writes the same bytes for the same samples', async () => {
    const root = tempDir('corpus-shards');
    for (const d of ['a', 'b']) mkdirSync(path.join(root, d));
    await writeShards(path.join(root, 'a'), 5, 10);
    await writeShards(path.join(root, 'b'), 5, 10);
    expect(readFileSync(path.join(root, 'a', '000000.tar')).equals(readFileSync(path.join(root, 'b', '000000.tar')))).toBe(true);
  });

  it('removes shards a larger earlier run left past the new count', async () => {
    const dir = path.join(tempDir('corpus-shards'), 'shards');
    mkdirSync(dir);
    await writeShards(dir, 9, 3);
    writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    await writeShards(dir, 4, 3);
    expect(readdirSync(dir).sort()).toEqual(['000000.tar', '000001.tar', 'notes.txt']);
  });

  it('leaves no partial shard when writing is abandoned', async () => {
    const dir = path.join(tempDir('corpus-shards'), 'shards');
    mkdirSync(dir);
    const w = new ShardWriter(dir, 2);
    for (let i = 0; i < 3; i++) await w.add(`k${i}`, 'train', sample(i));
    await w.abort();
    expect(readdirSync(dir)).toEqual(['000000.tar']);
  });

  it('refuses a sample key with a dot', async () => {
    const dir = tempDir('corpus-shards');
    await expect(new ShardWriter(dir, 2).add('a.b', 'train', sample(0))).rejects.toThrow(/sample key/);
  });
});

describe('cue audio', () => {
  it('is a 16-bit mono WAV whose header matches its samples', () => {
    const wav = encodeWav(new Float32Array([0, 1, -1, 0.5]), 16000);
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(wav.toString('ascii', 8, 12)).toBe('WAVE');
    expect(wav.readUInt32LE(24)).toBe(16000);
    expect(wav.readUInt32LE(40)).toBe(8);
    expect([0, 1, 2, 3].map((i) => wav.readInt16LE(44 + 2 * i))).toEqual([0, 32767, -32768, 16384]);
  });
});
