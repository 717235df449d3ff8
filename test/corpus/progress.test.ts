import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createCorpusProgress } from '../../src/corpus/progress.js';

function stream(isTTY: boolean): Writable & { isTTY: boolean; columns: number; text: () => string } {
  let text = '';
  const s = new Writable({
    write(chunk, _e, cb) {
      text += String(chunk);
      cb();
    },
  }) as Writable & { isTTY: boolean; columns: number; text: () => string; cursorTo?: unknown };
  Object.assign(s, { isTTY, columns: 160, text: () => text, cursorTo: (_x: number, _y?: number, cb?: () => void) => (cb?.(), true), clearLine: (_d: number, cb?: () => void) => (cb?.(), true), moveCursor: (_x: number, _y: number, cb?: () => void) => (cb?.(), true) });
  return s;
}

const START = { total: 3, alreadyDone: 1, alreadyHours: 0.5, failed: 0, where: '2 local worker(s)' };

describe('corpus progress', () => {
  it('prints one line per finished video when stderr is not a terminal', () => {
    const s = stream(false);
    const p = createCorpusProgress({ stream: s });
    p.start(START);
    p.videoDone({ key: 'a-1', video: '/v/a.mp4', status: 'ok', duration: 120, pairs: 40, seconds: 3.2 });
    p.videoDone({ key: 'b-2', video: '/v/b.mp4', status: 'failed', duration: 0, pairs: 0, seconds: 0.4, error: 'is not a media file', attempts: 1 });
    p.phase('finalize');
    p.stop();
    expect(s.text().split('\n')).toEqual([
      'corpus: 3 video(s), 1 already done, 2 to align on 2 local worker(s)',
      '[2/3] ok a-1: 120.0 s media, 40 pairs, 3.2 s',
      '[3/3] FAILED b-2 (/v/b.mp4) after 1 attempt(s): is not a media file',
      'corpus: finalize (3/3 videos, 0.53 h media, 1 failed)',
      '',
    ]);
  });

  it('draws one bar with videos, media hours, ETA and failures on a terminal', () => {
    const s = stream(true);
    const p = createCorpusProgress({ stream: s });
    p.start(START);
    p.videoDone({ key: 'b-2', video: '/v/b.mp4', status: 'failed', duration: 0, pairs: 0, seconds: 1, error: 'x' });
    p.videoDone({ key: 'a-1', video: '/v/a.mp4', status: 'ok', duration: 1800, pairs: 40, seconds: 3 });
    p.stop();
    const last = s.text().split(/\r|\n/).filter((l) => l.includes('videos [')).pop()!;
    expect(last).toMatch(/videos \[.*\] 3\/3 \| 1\.00 h media \| ETA \S+ \| 1 failed/);
  });
});
