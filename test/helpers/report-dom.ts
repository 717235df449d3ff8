/**
 * Opens a report page in jsdom with its script running, as a browser would (no layout, so the
 * grid's scroll position is set by hand), and reads back what the page drew.
 */
import { JSDOM } from 'jsdom';

/** What the page's script exposes on `window.mmalignReport`. */
export interface ReportApi {
  data: { pairs: unknown[]; cues: { index: number; text: string }[] };
  grid: { setFilter(f: Record<string, unknown>): void; rows(): { p?: number; c?: number }[]; rowHeight: number };
  timeline: { zoom(f: number): void; fit(): void; setView(t0: number, t1: number): void; render(): void; view(): { t0: number; t1: number } };
}

export interface OpenedReport {
  dom: JSDOM;
  document: Document;
  window: JSDOM['window'] & { mmalignReport?: ReportApi; __pwned?: unknown };
  api: ReportApi;
}

/** Loads `html` as if opened from `url` (a file:// URL), runs its scripts, and waits until it is drawn. */
export async function openReport(html: string, url: string): Promise<OpenedReport> {
  const dom = new JSDOM(html, { url, runScripts: 'dangerously', pretendToBeVisual: true });
  const window = dom.window as OpenedReport['window'];
  for (let i = 0; i < 100 && !window.document.documentElement.hasAttribute('data-ready-ms'); i++) await new Promise((r) => setTimeout(r, 10));
  if (!window.mmalignReport) throw new Error('the report script did not start (no window.mmalignReport)');
  return { dom, document: window.document, window, api: window.mmalignReport };
}

/**
 * Every row of the grid, by scrolling its virtual list from top to bottom one viewport at a time,
 * as a user would: a row counts only if the list drew it.
 */
export function scrollAllRows(r: OpenedReport, viewport = 800): HTMLElement[] {
  const scroller = r.document.getElementById('rows') as HTMLElement;
  let top = 0;
  Object.defineProperty(scroller, 'scrollTop', { configurable: true, get: () => top, set: (v: number) => (top = v) });
  Object.defineProperty(scroller, 'clientHeight', { configurable: true, get: () => viewport });
  const seen = new Map<number, HTMLElement>();
  const total = r.api.grid.rows().length * r.api.grid.rowHeight;
  for (top = 0; ; top += viewport) {
    scroller.dispatchEvent(new r.window.Event('scroll'));
    for (const row of scroller.querySelectorAll<HTMLElement>('.row')) seen.set(Number(row.dataset.row), row);
    if (top >= total) break;
  }
  return [...seen.entries()].sort((a, b) => a[0] - b[0]).map(([, row]) => row);
}

/** Runs pending animation frames (the timeline redraws in one after a zoom). */
export async function nextFrame(r: OpenedReport): Promise<void> {
  await new Promise<void>((resolve) => r.window.requestAnimationFrame(() => resolve()));
}
