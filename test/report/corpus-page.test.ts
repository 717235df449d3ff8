import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { JSDOM } from 'jsdom';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { alignVideo } from '../../src/pipeline/index.js';
import { writeReport } from '../../src/report/index.js';
import { copyOutput, writeSyncJson } from '../helpers/report-output.js';
import { SAMPLE_MP4, SAMPLE_SRT } from '../helpers/media.js';
import { sharedTempDir, tempDir } from '../helpers/tmp.js';

const baseDir = sharedTempDir('report-corpus-base');
let aligned: string;
beforeAll(async () => {
  aligned = path.join(baseDir, 'out');
  await alignVideo(SAMPLE_MP4, SAMPLE_SRT, { out: aligned });
});

let dir: string;
beforeEach(() => {
  dir = tempDir('report-corpus');
});

const FAILURE = { video: '/data/broken <one>.mp4', error: 'moov atom not found: the file is truncated', code: 'MEDIA_DECODE', attempts: 3 };

/** A corpus folder as `corpus align` leaves it (PLAN.md): two aligned videos, one failure. */
function makeCorpus(withList: boolean): string {
  const corpus = path.join(dir, 'corpus');
  mkdirSync(path.join(corpus, 'videos'), { recursive: true });
  const a = copyOutput(aligned, path.join(corpus, 'videos', 'a'));
  // a's sync did not run (a video without audio, say): method none, whose 0 is no confidence.
  writeSyncJson(a, {
    version: 1,
    mapping: { offset: 0, ratio: 1, splits: [], confidence: 0, method: 'none', applied: false, reason: 'the video has no audio stream' },
    cues: [],
    speech: { step: 0.01, start: 0, probabilities: [] },
  });
  const b = copyOutput(aligned, path.join(corpus, 'videos', 'b'));
  writeSyncJson(b, {
    version: 1,
    mapping: { offset: 3, ratio: 1, splits: [], confidence: 0.42, method: 'vad-silero', applied: true, reason: '' },
    cues: [],
    speech: { step: 0.01, start: 0, probabilities: [] },
  });
  writeFileSync(path.join(corpus, 'errors.jsonl'), JSON.stringify(FAILURE) + '\n');
  const items = [
    { key: 'a', video: SAMPLE_MP4, subtitles: SAMPLE_SRT, status: 'ok', out: 'videos/a' },
    { key: 'b', video: SAMPLE_MP4, subtitles: SAMPLE_SRT, status: 'ok', out: path.join(corpus, 'videos', 'b') },
    { key: 'c', video: FAILURE.video, subtitles: null, status: 'failed', out: null },
  ];
  writeFileSync(path.join(corpus, 'corpus.json'), JSON.stringify({ videos: 3, hours: 0.01, pairs: 30, failures: 1, ...(withList ? { items } : {}) }));
  return corpus;
}

function pairsOf(out: string): Record<string, number>[] {
  return readFileSync(path.join(out, 'pairs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

describe('corpus report page', () => {
  it('shows the totals of corpus.json and the failures with their reasons', async () => {
    const corpus = makeCorpus(true);
    const result = await writeReport(corpus);
    expect(result).toMatchObject({ kind: 'corpus', videos: 3, pages: 2, failures: 1 });
    const doc = new JSDOM(readFileSync(result.file, 'utf8')).window.document;
    const shown = (k: string) => doc.querySelector(`[data-count="${k}"]`)!.textContent;
    expect(shown('videos')).toBe('3');
    expect(shown('hours')).toBe('0.01');
    expect(shown('pairs')).toBe('30');
    expect(shown('failures')).toBe('1');
    const failure = doc.querySelector('#failures tbody tr')!;
    expect(failure.textContent).toContain(FAILURE.video);
    expect(failure.textContent).toContain(FAILURE.error);
    expect(failure.textContent).toContain('MEDIA_DECODE');
  });

  it('links each aligned video to its own page, which it writes', async () => {
    const corpus = makeCorpus(true);
    const { file } = await writeReport(corpus);
    const doc = new JSDOM(readFileSync(file, 'utf8')).window.document;
    const links = [...doc.querySelectorAll<HTMLAnchorElement>('#videos a')].map((a) => a.getAttribute('href'));
    expect(links).toEqual(['videos/a/report.html', 'videos/b/report.html']);
    for (const href of links) expect(existsSync(path.join(corpus, href!))).toBe(true);
    expect(doc.querySelector('tr[data-key="c"]')!.textContent).toContain('failed');
  });

  it('draws the distributions of sync confidence and of both similarities', async () => {
    const corpus = makeCorpus(true);
    const { file } = await writeReport(corpus);
    const doc = new JSDOM(readFileSync(file, 'utf8')).window.document;
    const bars = (id: string) => [...doc.querySelectorAll(`#${id} rect`)].map((r) => Number(r.getAttribute('data-count')));
    // Only b's sync ran: one value, in the 0.4–0.5 bin of ten.
    expect(bars('hist-sync')).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 0, 0]);
    const pairs = [...pairsOf(path.join(corpus, 'videos', 'a')), ...pairsOf(path.join(corpus, 'videos', 'b'))];
    const bin = (v: number) => Math.min(19, Math.floor(((v + 1) / 2) * 20));
    const expected = (key: string) => {
      const counts = new Array(20).fill(0);
      for (const p of pairs) counts[bin(p[key])]++;
      return counts;
    };
    expect(bars('hist-frame-text')).toEqual(expected('frame_text_similarity'));
    expect(bars('hist-audio-text')).toEqual(expected('audio_text_similarity'));
  });

  it('finds the videos under videos/ when corpus.json lists none', async () => {
    const corpus = makeCorpus(false);
    const { file } = await writeReport(corpus, { videoPages: false });
    const doc = new JSDOM(readFileSync(file, 'utf8')).window.document;
    expect([...doc.querySelectorAll('#videos tbody tr')].map((r) => r.getAttribute('data-key'))).toEqual(['a', 'b']);
    // Without --video-pages nothing links to a page that does not exist.
    expect(doc.querySelectorAll('#videos a')).toHaveLength(0);
  });
});
