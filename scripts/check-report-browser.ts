/**
 * `npm run test:browser`: the report in a real browser. Aligns the fixture video, writes its
 * report, opens it from file:// in Debian's headless chromium over the DevTools protocol, takes a
 * screenshot, checks on the rendered DOM that the rows and the timeline are drawn and that no
 * request left the machine; then the same for a generated 7,000-pair page of a 2-hour video, whose
 * load time it prints. Prints each check, closes with `browser check: N passed, M failed`, exits 1
 * on any failure.
 *
 * Usage: tsx scripts/check-report-browser.ts [--out DIR] [--chromium PATH] [--results FILE.json]
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readSubtitleFile } from '../alignment/subtitles/index.js';
import { alignVideo } from '../src/pipeline/index.js';
import { writeReport } from '../src/report/index.js';
import { makeSyntheticOutput } from '../test/helpers/report-output.js';
import { DEFAULT_CHROMIUM, launchReportBrowser, remoteRequests, type OpenedPage } from './report-browser.js';

const { values: args } = parseArgs({
  options: { out: { type: 'string', default: '.ci/report-browser' }, chromium: { type: 'string', default: DEFAULT_CHROMIUM }, results: { type: 'string' } },
});
const OUT = path.resolve(args.out!);
const VIDEO = path.resolve('fixtures/video/sample.mp4');
const SUBS = path.resolve('fixtures/video/sample.srt');

const checks: { name: string; ok: boolean; detail: string }[] = [];
function check(name: string, ok: boolean, detail = ''): void {
  checks.push({ name, ok, detail });
  console.log(`${ok ? 'ok    ' : 'FAILED'} ${name}${detail ? ` (${detail})` : ''}`);
}

function checkOffline(label: string, opened: OpenedPage): void {
  const remote = remoteRequests(opened.requests);
  const schemes = [...new Set(opened.requests.map((u) => u.slice(0, u.indexOf(':'))))].join(', ');
  check(`${label}: no request left the machine`, remote.length === 0, remote.length ? `remote: ${remote.slice(0, 3).join(' ')}` : `${opened.requests.length} requests, all ${schemes || 'none'}`);
  check(`${label}: no script error`, opened.errors.length === 0, opened.errors.slice(0, 3).join(' | '));
}

async function fixturePage(browser: Awaited<ReturnType<typeof launchReportBrowser>>): Promise<string> {
  const out = path.join(OUT, 'fixture');
  await alignVideo(VIDEO, SUBS, { out });
  const { file } = await writeReport(out);
  const run = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8'));
  const pairs = readFileSync(path.join(out, 'pairs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const { cues } = await readSubtitleFile(SUBS);
  const opened = await browser.open(file);
  const { page } = opened;
  check('fixture: page script ran', opened.readyMs > 0, `ready after ${opened.readyMs} ms`);
  const dom = await page.evaluate(() => {
    const rows = [...document.querySelectorAll<HTMLElement>('#rows .row')];
    const box = document.querySelector('#timeline svg')!.getBoundingClientRect();
    return {
      rows: rows.length,
      firstText: rows[0]?.querySelector('.cue-text')?.textContent ?? null,
      marks: [...document.querySelectorAll('#timeline .cue-mark')].map((m) => Number(m.getAttribute('data-index'))),
      svg: { width: box.width, height: box.height },
      ticks: document.querySelectorAll('#timeline .frames-on, #timeline .frames-off').length,
      pairsShown: document.querySelector('[data-count="pairs"]')!.textContent,
    };
  });
  check('fixture: rows are drawn', dom.rows > 0 && dom.rows <= pairs.length && dom.firstText === pairs[0].text, `${dom.rows} rows in view of ${pairs.length}, first "${dom.firstText}"`);
  check('fixture: timeline is drawn, one mark per cue', dom.svg.width > 500 && dom.svg.height > 50 && JSON.stringify(dom.marks) === JSON.stringify(cues.map((c) => c.index)) && dom.ticks > 0, `${dom.marks.length} cue marks for ${cues.length} cues, svg ${Math.round(dom.svg.width)}×${Math.round(dom.svg.height)}`);
  check('fixture: header shows run.json\'s pair count', Number(dom.pairsShown) === run.pairs, `${dom.pairsShown} vs ${run.pairs}`);
  // Thumbnails come from frames/ by relative path: the ones in view must really decode.
  await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('#rows img')].slice(0, 4).every((i) => i.complete), null, { timeout: 10_000 }).catch(() => {});
  const loaded = await page.evaluate(() => [...document.querySelectorAll<HTMLImageElement>('#rows img')].slice(0, 4).map((i) => i.naturalWidth));
  check('fixture: thumbnails in view load from frames/', loaded.length > 0 && loaded.every((w) => w === 320), `natural widths ${loaded.join(', ')}`);
  // Interaction: wheel zooms the timeline; search filters the rows.
  const svg = await page.locator('#timeline svg').boundingBox();
  await page.mouse.move(svg!.x + svg!.width / 2, svg!.y + svg!.height / 2);
  await page.mouse.wheel(0, -600);
  await page.waitForFunction(() => /zoomed/.test(document.getElementById('tl-range')!.textContent!), null, { timeout: 5000 }).catch(() => {});
  const range = await page.textContent('#tl-range');
  check('fixture: wheel zooms the timeline', /zoomed/.test(range ?? ''), range ?? '');
  await page.click('#tl-fit');
  await page.fill('#f-query', 'colour');
  const expected = pairs.filter((p) => p.text.includes('colour')).length;
  await page.waitForFunction((n) => document.getElementById('rows-count')!.textContent!.startsWith(`${n} row`), expected, { timeout: 5000 }).catch(() => {});
  check('fixture: search filters the rows', (await page.textContent('#rows-count'))!.startsWith(`${expected} row`), (await page.textContent('#rows-count')) ?? '');
  await page.fill('#f-query', '');
  await page.waitForTimeout(300);
  const shot = path.join(out, 'report.png');
  await page.screenshot({ path: shot, fullPage: true });
  check('fixture: screenshot saved', readFileSync(shot).length > 10_000, shot);
  checkOffline('fixture', opened);
  await page.close();
  return path.join(out, 'frames', 't000007.000.jpg');
}

async function longPage(browser: Awaited<ReturnType<typeof launchReportBrowser>>, jpeg: string): Promise<void> {
  const out = path.join(OUT, 'long');
  rmSync(out, { recursive: true, force: true });
  const made = makeSyntheticOutput(out, { jpeg, video: VIDEO });
  const { file } = await writeReport(out);
  const times: number[] = [];
  let last: OpenedPage | null = null;
  for (let i = 0; i < 3; i++) {
    if (last) await last.page.close();
    last = await browser.open(file);
    times.push(last.readyMs);
  }
  const opened = last!;
  const { page } = opened;
  const sorted = [...times].sort((a, b) => a - b);
  const size = (readFileSync(file).length / 1e6).toFixed(1);
  console.log(`7,000-pair page (${made.cues} cues, 2 h, ${size} MB): ready after ${times.map((t) => `${t} ms`).join(', ')} (median ${sorted[1]} ms; from navigation start to drawn timeline and rows)`);
  check('long: 7,000 pairs load in a few seconds', sorted[1] < 5000, `median ${sorted[1]} ms`);
  const rowsInView = await page.evaluate(() => document.querySelectorAll('#rows .row').length);
  check('long: only the rows in view are built', rowsInView > 0 && rowsInView <= 30, `${rowsInView} row elements for ${made.pairs} pairs`);
  await page.evaluate(() => {
    const s = document.getElementById('rows')!;
    s.scrollTop = 3500 * (window as unknown as { mmalignReport: { grid: { rowHeight: number } } }).mmalignReport.grid.rowHeight;
  });
  const found = await page.waitForSelector('#rows .row[data-pair="3500"]', { timeout: 5000 }).then(() => true, () => false);
  check('long: scrolling draws the rows scrolled to', found, 'row 3,500');
  const marks = await page.evaluate(() => document.querySelectorAll('#timeline .cue-mark.used').length);
  check('long: timeline has one mark per cue', marks === made.cues, `${marks} of ${made.cues}`);
  await page.evaluate(() => (window as unknown as { mmalignReport: { timeline: { setView(a: number, b: number): void } } }).mmalignReport.timeline.setView(3540, 3660));
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(out, 'report.png'), fullPage: true });
  checkOffline('long', opened);
  await page.close();
}

mkdirSync(OUT, { recursive: true });
let browser: Awaited<ReturnType<typeof launchReportBrowser>> | null = null;
try {
  browser = await launchReportBrowser(args.chromium);
  const jpeg = await fixturePage(browser);
  await longPage(browser, jpeg);
} catch (err) {
  check('browser check ran to the end', false, (err as Error).message.split('\n')[0]);
} finally {
  await browser?.close();
}
const failed = checks.filter((c) => !c.ok).length;
if (args.results) writeFileSync(args.results, JSON.stringify({ passed: checks.length - failed, failed, checks }, null, 2));
console.log(`browser check: ${checks.length - failed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
