/**
 * `npm run bench:report`: how long a report page takes to open in headless chromium, for a
 * generated 2-hour video with 7,000 pairs against a 70-pair page measured in the same run (the
 * baseline: what any page costs the browser). Also the time `writeReport` takes to write each.
 * "Ready" is navigation start until the page's script has drawn the timeline and the rows in view.
 *
 * Usage: tsx bench/report.ts [--runs N] [--chromium PATH]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { writeReport } from '../src/report/index.js';
import { makeSyntheticOutput } from '../test/helpers/report-output.js';
import { DEFAULT_CHROMIUM, launchReportBrowser, remoteRequests } from '../scripts/report-browser.js';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '5' }, chromium: { type: 'string', default: DEFAULT_CHROMIUM } } });
const runs = Math.max(1, Number(args.runs));
const work = mkdtempSync(path.join(tmpdir(), 'mmalign-bench-report-'));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  const jpeg = path.join(work, 'frame.jpg');
  writeFileSync(jpeg, await sharp({ create: { width: 320, height: 240, channels: 3, background: '#3b6ea5' } }).jpeg().toBuffer());
  const video = path.resolve('fixtures/video/sample.mp4');
  const cases = [
    { name: 'baseline: 70 pairs, 72 s', pairs: 70, duration: 72 },
    { name: '7,000 pairs, 2 h', pairs: 7000, duration: 7200 },
  ];
  const browser = await launchReportBrowser(args.chromium);
  const results: { name: string; writeMs: number; readyMs: number; gotoMs: number; mb: number }[] = [];
  try {
    for (const c of cases) {
      const dir = path.join(work, String(c.pairs));
      const made = makeSyntheticOutput(dir, { pairs: c.pairs, duration: c.duration, jpeg, video });
      const t0 = performance.now();
      const { file } = await writeReport(dir, { semantic: async () => null });
      const writeMs = performance.now() - t0;
      const ready: number[] = [];
      const gotos: number[] = [];
      for (let i = 0; i < runs + 1; i++) {
        const opened = await browser.open(file);
        if (remoteRequests(opened.requests).length) throw new Error(`${c.name}: the page made remote requests: ${remoteRequests(opened.requests).join(' ')}`);
        if (opened.errors.length) throw new Error(`${c.name}: ${opened.errors.join(' | ')}`);
        // The first open warms the browser's caches; it is not counted.
        if (i > 0) {
          ready.push(opened.readyMs);
          gotos.push(opened.gotoMs);
        }
        await opened.page.close();
      }
      const { size } = await import('node:fs').then((fs) => fs.statSync(file));
      results.push({ name: `${c.name} (${made.pairs} pairs, ${made.cues} cues)`, writeMs, readyMs: median(ready), gotoMs: median(gotos), mb: size / 1e6 });
    }
  } finally {
    await browser.close();
  }
  for (const r of results) {
    console.log(`${r.name.padEnd(48)} page ${r.mb.toFixed(2)} MB  writeReport ${r.writeMs.toFixed(0).padStart(5)} ms  ready ${String(r.readyMs).padStart(5)} ms  load ${r.gotoMs.toFixed(0).padStart(5)} ms  (median of ${runs})`);
  }
  const [base, big] = results;
  console.log(`7,000-pair page: ready in ${big.readyMs} ms, ${(big.readyMs / base.readyMs).toFixed(2)}x the 70-pair baseline's ${base.readyMs} ms (target: a second or two)`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
