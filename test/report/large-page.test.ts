import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { writeReport } from '../../src/report/index.js';
import { openReport } from '../helpers/report-dom.js';
import { makeSyntheticOutput } from '../helpers/report-output.js';
import { SAMPLE_MP4 } from '../helpers/media.js';
import { tempDir } from '../helpers/tmp.js';

let dir: string;
beforeEach(() => {
  dir = tempDir('report-large');
});

const JPEG = path.join(path.dirname(SAMPLE_MP4), '..', 'frames.json');

describe('large report page', () => {
  it('holds 7,000 pairs of a 2-hour video but builds only the rows in view, and the right ones after a scroll', async () => {
    const out = path.join(dir, 'long');
    // Any file serves as the frames' bytes here: jsdom loads no images.
    const made = makeSyntheticOutput(out, { jpeg: JPEG, video: SAMPLE_MP4 });
    expect(made.pairs).toBe(7000);
    const { file } = await writeReport(out);
    const r = await openReport(readFileSync(file, 'utf8'), pathToFileURL(file).href);
    expect(r.api.data.pairs).toHaveLength(7000);
    const scroller = r.document.getElementById('rows')!;
    expect(scroller.querySelectorAll('.row').length).toBeLessThanOrEqual(20);

    let top = 0;
    Object.defineProperty(scroller, 'scrollTop', { configurable: true, get: () => top });
    Object.defineProperty(scroller, 'clientHeight', { configurable: true, get: () => 800 });
    top = 3500 * r.api.grid.rowHeight;
    scroller.dispatchEvent(new r.window.Event('scroll'));
    const shown = [...scroller.querySelectorAll<HTMLElement>('.row')].map((row) => Number(row.dataset.pair));
    expect(shown).toContain(3500);
    expect(Math.min(...shown)).toBeGreaterThan(3480);
    expect(shown.length).toBeLessThanOrEqual(20);
    // The whole timeline still has one mark per cue in each lane.
    expect(r.document.querySelectorAll('#timeline .cue-mark.used')).toHaveLength(made.cues);
    expect(r.document.querySelectorAll('#timeline .cue-mark.given')).toHaveLength(made.cues);
  });
});
