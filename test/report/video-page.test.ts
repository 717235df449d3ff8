import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readSubtitleFile } from '../../alignment/subtitles/index.js';
import { alignVideo } from '../../src/pipeline/index.js';
import { writeReport } from '../../src/report/index.js';
import { SAMPLE_MP4, SAMPLE_SRT } from '../helpers/media.js';
import { sharedTempDir, tempDir } from '../helpers/tmp.js';
import { nextFrame, openReport, scrollAllRows, type OpenedReport } from '../helpers/report-dom.js';
import { copyOutput, speechCurve, writeSyncJson } from '../helpers/report-output.js';

// One real align run of the fixture (with the embedded models), copied per test.
const baseDir = sharedTempDir('report-base');
let aligned: string;
beforeAll(async () => {
  aligned = path.join(baseDir, 'out');
  await alignVideo(SAMPLE_MP4, SAMPLE_SRT, { out: aligned });
});

let dir: string;
beforeEach(() => {
  dir = tempDir('report');
});

async function reportOf(out: string): Promise<OpenedReport> {
  const { file } = await writeReport(out);
  return openReport(await readFile(file, 'utf8'), pathToFileURL(file).href);
}

function readPairs(out: string): Record<string, unknown>[] {
  return readFileSync(path.join(out, 'pairs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

function parseShownTime(text: string): number {
  const parts = text.split(':').map(Number);
  return parts.reduce((acc, p) => acc * 60 + p, 0);
}

describe('video report page', () => {
  it('draws one grid row per pair of pairs.jsonl, in order, with its frame, times, text and similarities', async () => {
    const out = copyOutput(aligned, path.join(dir, 'out'));
    const pairs = readPairs(out);
    const r = await reportOf(out);
    const rows = scrollAllRows(r, 300);
    expect(rows).toHaveLength(pairs.length);
    rows.forEach((row, i) => {
      const p = pairs[i];
      expect(row.dataset.kind).toBe('pair');
      expect(row.dataset.cue).toBe(String(p.cue_index));
      expect(row.querySelector('.cue-text')!.textContent).toBe(p.text);
      expect(row.querySelector('img')!.getAttribute('src')).toBe(`frames/${path.basename(p.frame as string)}`);
      expect(row.querySelector('img')!.getAttribute('loading')).toBe('lazy');
      expect(parseShownTime(row.querySelector('.ft')!.textContent!)).toBeCloseTo(p.frame_time as number, 3);
      const vals = [...row.querySelectorAll('.sim .val')].map((v) => Number(v.textContent));
      expect(vals[0]).toBeCloseTo(p.frame_text_similarity as number, 3);
      expect(vals[1]).toBeCloseTo(p.audio_text_similarity as number, 3);
      // No clip was saved: the player plays the cue's stretch of the video itself.
      const video = path.relative(out, SAMPLE_MP4).split(path.sep).join('/');
      expect(row.querySelector('audio')!.getAttribute('src')).toBe(`${video}#t=${(p.start as number).toFixed(3)},${(p.end as number).toFixed(3)}`);
    });
  });

  it('builds only the rows in view, not one element per pair', async () => {
    const out = copyOutput(aligned, path.join(dir, 'out'));
    const r = await reportOf(out);
    const scroller = r.document.getElementById('rows')!;
    Object.defineProperty(scroller, 'clientHeight', { configurable: true, get: () => 224 });
    scroller.dispatchEvent(new r.window.Event('scroll'));
    r.window.dispatchEvent(new r.window.Event('resize'));
    // 2 rows in view + the overscan of 6 below; the fixture's 15 pairs are more than that.
    expect(scroller.querySelectorAll('.row').length).toBeLessThan(readPairs(out).length);
    expect(r.document.getElementById('rows-spacer')!.style.height).toBe(`${readPairs(out).length * r.api.grid.rowHeight}px`);
  });

  it('draws one timeline mark per cue of the subtitle file, and one tick per sampled frame', async () => {
    const out = copyOutput(aligned, path.join(dir, 'out'));
    const { cues } = await readSubtitleFile(SAMPLE_SRT);
    const r = await reportOf(out);
    const marks = [...r.document.querySelectorAll('#timeline .cue-mark')];
    expect(marks.map((m) => Number(m.getAttribute('data-index')))).toEqual(cues.map((c) => c.index));
    const xs = marks.map((m) => Number(m.getAttribute('x')));
    expect([...xs].sort((a, b) => a - b)).toEqual(xs);
    // The cue after the end of the video is the unpaired one.
    expect(marks.filter((m) => m.classList.contains('unpaired')).map((m) => m.getAttribute('data-index'))).toEqual(['6']);
    const run = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8'));
    const ticks = [...r.document.querySelectorAll('#timeline .frames-on, #timeline .frames-off')].map((p) => p.getAttribute('d')!.split('M').length - 1);
    expect(ticks.reduce((a, b) => a + b, 0)).toBe(run.frames);
  });

  it('zooming in keeps only the cues in view and Fit brings every cue back', async () => {
    const out = copyOutput(aligned, path.join(dir, 'out'));
    const r = await reportOf(out);
    r.api.timeline.setView(0, 3);
    await nextFrame(r);
    expect([...r.document.querySelectorAll('#timeline .cue-mark')].map((m) => m.getAttribute('data-index'))).toEqual(['1']);
    r.api.timeline.fit();
    await nextFrame(r);
    expect(r.document.querySelectorAll('#timeline .cue-mark')).toHaveLength(6);
  });

  it('shows the numbers of run.json in the header', async () => {
    const out = copyOutput(aligned, path.join(dir, 'out'));
    const run = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8'));
    const r = await reportOf(out);
    const shown = (key: string) => r.document.querySelector(`[data-count="${key}"]`)!.textContent!;
    for (const key of ['frames', 'pairs', 'unpairedFrames', 'unpairedCues', 'train', 'dev']) expect(Number(shown(key).replace(/,/g, ''))).toBe(run[key]);
    expect(Number(shown('droppedDuplicates'))).toBe(run.dropped.duplicates);
    expect(parseShownTime(shown('duration'))).toBeCloseTo(run.duration, 3);
    for (const m of ['text', 'image', 'audio']) {
      const row = r.document.querySelector(`tr[data-model="${m}"]`)!;
      expect(row.textContent).toContain(run.models[m].model);
      expect(row.textContent).toContain('not semantic');
    }
    expect(r.document.getElementById('not-semantic')).not.toBeNull();
    expect(r.document.getElementById('warnings')!.textContent).toContain(run.warnings[0].message);
  });

  it('lists the cues that got no pair, read from the subtitle file, with the reason', async () => {
    const out = copyOutput(aligned, path.join(dir, 'out'));
    const r = await reportOf(out);
    r.api.grid.setFilter({ show: 'unpaired' });
    const rows = scrollAllRows(r);
    expect(rows.map((row) => row.dataset.cue)).toEqual(['6']);
    expect(rows[0].querySelector('.cue-text')!.textContent).toBe('This cue lies outside the video.');
    expect(rows[0].querySelector('.reason')!.textContent).toContain('outside the video');
    r.api.grid.setFilter({ show: 'all' });
    expect(scrollAllRows(r)).toHaveLength(readPairs(out).length + 1);
  });

  it('keeps only pairs below the similarity threshold when that filter is on', async () => {
    const out = copyOutput(aligned, path.join(dir, 'out'));
    const pairs = readPairs(out);
    const r = await reportOf(out);
    const threshold = -0.12;
    r.api.grid.setFilter({ low: true, threshold });
    const expected = pairs
      .map((p, i) => ({ p, i }))
      .filter(({ p }) => (p.frame_text_similarity as number) < threshold || (p.audio_text_similarity as number) < threshold)
      .map(({ i }) => String(i));
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(pairs.length);
    expect(scrollAllRows(r).map((row) => row.dataset.pair)).toEqual(expected);
  });

  it('finds rows by text, case-insensitively', async () => {
    const out = copyOutput(aligned, path.join(dir, 'out'));
    const pairs = readPairs(out);
    const r = await reportOf(out);
    r.api.grid.setFilter({ query: 'COLOUR bars' });
    const rows = scrollAllRows(r);
    expect(rows.length).toBe(pairs.filter((p) => (p.text as string).includes('colour bars')).length);
    expect(rows.every((row) => row.querySelector('.cue-text')!.textContent === 'Now the colour bars appear.')).toBe(true);
    expect(r.document.getElementById('rows-count')!.textContent).toMatch(new RegExp(`^${rows.length} row`));
  });

  it('shows the sync mapping, the speech curve, both cue lanes and the splits from sync.json', async () => {
    const out = copyOutput(aligned, path.join(dir, 'out'));
    const { cues } = await readSubtitleFile(SAMPLE_SRT);
    const shift = (t: number) => (t < 9 ? t + 0.2 : t + 0.5);
    writeSyncJson(out, {
      version: 1,
      mapping: { offset: 0.2, ratio: 1, splits: [{ at: 9, offset: 0.5 }], confidence: 0.87, method: 'vad-silero', applied: true, reason: 'one split at 9 s' },
      cues: cues.map((c) => ({ index: c.index, start: shift(c.start), end: shift(c.end), originalStart: c.start, originalEnd: c.end, spoken: true })),
      speech: { step: 0.01, start: 0, probabilities: speechCurve(cues, 18, 0.01) },
    });
    const r = await reportOf(out);
    expect(r.document.querySelector('[data-sync="offset"]')!.textContent).toBe('+0.200 s');
    expect(r.document.querySelector('[data-sync="confidence"]')!.textContent).toBe('0.87');
    expect(r.document.querySelector('[data-sync="splits"]')!.textContent).toContain('+0.500 s');
    expect(r.document.querySelectorAll('#timeline .cue-mark.given')).toHaveLength(cues.length);
    expect(r.document.querySelectorAll('#timeline .cue-mark.used')).toHaveLength(cues.length);
    expect(r.document.querySelectorAll('#timeline .split-line')).toHaveLength(1);
    expect(r.document.querySelector('#timeline .speech-area')!.getAttribute('d')!.length).toBeGreaterThan(100);
    const first = scrollAllRows(r)[0];
    expect(first.querySelector('.cue-time')!.textContent).toBe('0:00.700 → 0:03.433');
    expect(first.querySelector('.file')!.textContent).toBe('file: 0:00.500 → 0:03.233');
  });

  it('still opens when the subtitle file is gone and there is no sync.json: paired cues only, and a warning saying so', async () => {
    const out = copyOutput(aligned, path.join(dir, 'out'));
    rmSync(path.join(out, 'sync.json')); // it lists every cue, unpaired ones included
    const subs = path.join(dir, 'gone.srt');
    writeFileSync(subs, readFileSync(SAMPLE_SRT));
    const run = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8'));
    writeFileSync(path.join(out, 'run.json'), JSON.stringify({ ...run, subtitles: subs }));
    rmSync(subs);
    const result = await writeReport(out);
    expect(result.warnings.map((w) => w.message).join('\n')).toContain('unpaired ones cannot be listed');
    const r = await openReport(await readFile(result.file, 'utf8'), pathToFileURL(result.file).href);
    expect(r.document.querySelectorAll('#timeline .cue-mark')).toHaveLength(5);
    expect(scrollAllRows(r)).toHaveLength(readPairs(out).length);
    expect(r.document.getElementById('warnings')!.textContent).toContain(subs);
  });
});
