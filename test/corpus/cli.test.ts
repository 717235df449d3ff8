import { createReadStream, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { KnowledgeBase } from '../../index/index.js';
import { sampleKey } from '../../src/corpus/keys.js';
import { readShard } from '../../src/corpus/shards.js';
import { runCaptured as cli } from '../helpers/cli.js';
import { makeCorpusFolder, makeVideo, srtText } from '../helpers/corpus-media.js';
import { sharedTempDir } from '../helpers/tmp.js';

const root = sharedTempDir('corpus-cli');
const input = path.join(root, 'in');
const out = path.join(root, 'out');
const kbDir = path.join(root, 'kb');
const ARGS = ['corpus', 'align', input, '--out', out, '--workers', '2', '--kb', kbDir, '--with-audio', '--shard-size', '5', '--device', 'cpu', '--json'];

interface Summary {
  videos: number;
  complete: number;
  failures: number;
  pairs: number;
  shards: number;
  upToDate: boolean;
  aligned: number;
  failed: { video: string; code: string }[];
}
let first: { code: number; stdout: string; stderr: string };
let summary: Summary;

const entries = () => JSON.parse(readFileSync(path.join(out, 'corpus.json'), 'utf8')).entries as { key: string; video: string; status: string; subtitles: string; pairs: number }[];

async function allSamples(): Promise<Map<string, Map<string, Buffer>>> {
  const all = new Map<string, Map<string, Buffer>>();
  for (const f of readdirSync(path.join(out, 'shards')).sort()) {
    for (const [k, v] of await readShard(createReadStream(path.join(out, 'shards', f)))) {
      if (all.has(k)) throw new Error(`sample ${k} is in two shards`);
      all.set(k, v);
    }
  }
  return all;
}

beforeAll(async () => {
  makeCorpusFolder(input, 2, { seconds: 4 });
  // No sidecar: the subtitles are a stream inside the MKV.
  makeVideo(path.join(input, 'embedded.mkv'), { seconds: 4, tone: 900, embedSubtitles: srtText(4, 'embedded') });
  writeFileSync(path.join(input, 'broken.mp4'), Buffer.from('this is not a video at all'.repeat(100)));
  writeFileSync(path.join(input, 'broken.srt'), srtText(2, 'broken'));
  first = await cli(ARGS);
  summary = JSON.parse(first.stdout) as Summary;
}, 400_000);

describe('mmalign corpus align', () => {
  it('aligns the good videos and exits with the number of failed ones', () => {
    expect(first.code, first.stderr).toBe(1);
    expect(summary).toMatchObject({ videos: 4, complete: 3, failures: 1 });
    expect(first.stderr).toMatch(/1 of 4 video\(s\) failed/);
  });

  it('lists the bad video in errors.jsonl with the reason, after one attempt', () => {
    const errors = readFileSync(path.join(out, 'errors.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(errors).toEqual([expect.objectContaining({ video: path.join(input, 'broken.mp4'), code: 'INPUT_FILE', attempts: 1 })]);
    expect(errors[0].error).toMatch(/broken\.mp4/);
  });

  it('aligns a video from its embedded subtitle stream when it has no sidecar', () => {
    const e = entries().find((x) => x.video.endsWith('embedded.mkv'))!;
    expect(e.status).toBe('ok');
    expect(e.pairs).toBeGreaterThan(0);
    // Extracted into the corpus's own bookkeeping: the video's align folder is align's alone (it refuses files it did not write).
    expect(e.subtitles).toBe(path.join(out, '.mmalign', 'subtitles', e.key, 'subtitles.srt'));
  });

  it('writes shards that hold each sample of the good videos once, with frame, text, metadata and cue audio', async () => {
    const expected = new Set<string>();
    for (const e of entries().filter((x) => x.status === 'ok')) {
      for (const line of readFileSync(path.join(out, 'videos', e.key, 'pairs.jsonl'), 'utf8').trim().split('\n')) {
        const p = JSON.parse(line);
        expected.add(sampleKey(e.key, p.cue_index, p.frame_time));
      }
    }
    const samples = await allSamples();
    expect(new Set(samples.keys())).toEqual(expected);
    expect(summary.pairs).toBe(expected.size);
    for (const [key, files] of samples) {
      expect([...files.keys()].sort()).toEqual(['jpg', 'json', 'txt', 'wav']);
      expect(files.get('jpg')!.subarray(0, 2).toString('hex')).toBe('ffd8');
      expect(files.get('wav')!.toString('ascii', 0, 4)).toBe('RIFF');
      const meta = JSON.parse(files.get('json')!.toString());
      expect(meta.key).toBe(key);
      expect(meta.text).toBe(files.get('txt')!.toString());
    }
    const stats = JSON.parse(readFileSync(path.join(out, 'stats.json'), 'utf8'));
    expect(stats.shards.reduce((a: number, s: { samples: number }) => a + s.samples, 0)).toBe(expected.size);
  });

  it('puts each aligned item into the knowledge base once', async () => {
    let vectors = 0;
    for (const e of entries().filter((x) => x.status === 'ok')) {
      vectors += JSON.parse(readFileSync(path.join(out, 'videos', e.key, 'embeddings.json'), 'utf8')).count;
    }
    const kb = await KnowledgeBase.open(kbDir, { readonly: true });
    try {
      const ids = [...kb.items()].map((i) => i.id);
      expect(ids.length).toBe(vectors);
      expect(new Set(ids).size).toBe(ids.length);
      expect(kb.versions()).toHaveLength(3);
    } finally {
      await kb.close();
    }
  });

  it('does nothing on a rerun: no video realigned, no shard or knowledge-base version written', async () => {
    const shard = path.join(out, 'shards', '000000.tar');
    const before = [statSync(shard).mtimeMs, statSync(path.join(out, 'corpus.json')).mtimeMs];
    const again = await cli(ARGS);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout)).toMatchObject({ upToDate: true, aligned: 0, complete: 3, failures: 1 });
    expect([statSync(shard).mtimeMs, statSync(path.join(out, 'corpus.json')).mtimeMs]).toEqual(before);
    const kb = await KnowledgeBase.open(kbDir, { readonly: true });
    expect(kb.versions()).toHaveLength(3);
    await kb.close();
  }, 120_000);

  it('writes the report pages after the run with --report: the corpus summary and each aligned video\'s page', async () => {
    const r = await cli([...ARGS, '--report']);
    expect(r.code).toBe(1); // still one failed video; the page lists it
    const s = JSON.parse(r.stdout) as { report: string; upToDate: boolean };
    expect(s).toMatchObject({ upToDate: true, report: path.join(out, 'report.html') });
    const page = readFileSync(s.report, 'utf8');
    expect(page).toContain('broken.mp4');
    for (const e of entries().filter((x) => x.status === 'ok')) {
      expect(page).toContain(`videos/${e.key}/report.html`);
      expect(existsSync(path.join(out, 'videos', e.key, 'report.html'))).toBe(true);
    }
  }, 120_000);

  it('takes a CSV manifest, carries its extra columns into the samples and writes the LLaMA-Factory card for glm41v', async () => {
    const manifest = path.join(root, 'list.csv');
    writeFileSync(manifest, 'video,subtitles,license\nin/v0.mp4,in/v0.srt,cc-by\nin/v1.mp4,in/v1.srt,cc0\n');
    const mout = path.join(root, 'manifest-out');
    const r = await cli(['corpus', 'align', manifest, '--out', mout, '--workers', '1', '--no-embed', '--format', 'glm41v', '--split-by', 'cue', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ complete: 2, failures: 0, splitBy: 'cue', format: 'glm41v' });
    expect(existsSync(path.join(mout, 'dataset_info.json'))).toBe(true);
    const licenses = new Set<string>();
    for (const f of readdirSync(path.join(mout, 'shards'))) {
      for (const files of (await readShard(createReadStream(path.join(mout, 'shards', f)))).values()) licenses.add(JSON.parse(files.get('json')!.toString()).metadata.license);
    }
    expect(licenses).toEqual(new Set(['cc-by', 'cc0']));
    const line = JSON.parse(readFileSync(path.join(mout, 'train.jsonl'), 'utf8').split('\n')[0]);
    expect(line.images[0]).toMatch(/\/videos\/.+\/frames\/t\d+\.\d+\.jpg$/);
    expect(existsSync(line.images[0])).toBe(true);
  }, 200_000);
});
