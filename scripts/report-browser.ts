/**
 * Opening report pages in Debian's headless chromium over the DevTools protocol (playwright-core
 * with the system browser; nothing is downloaded), recording every request the page makes. Shared
 * by the browser check (`npm run test:browser`) and the load bench (`npm run bench:report`).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/** The flags known to work here as root, in a container, without network. */
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export interface OpenedPage {
  page: Page;
  /** Every URL the page requested, in order. */
  requests: string[];
  /** Console errors and uncaught exceptions. */
  errors: string[];
  /** Milliseconds from navigation start until the page's script finished (`data-ready-ms`). */
  readyMs: number;
  /** Milliseconds Node waited for `goto` to reach `load`. */
  gotoMs: number;
}

export interface ReportBrowser {
  open(file: string, viewport?: { width: number; height: number }): Promise<OpenedPage>;
  close(): Promise<void>;
}

/**
 * Starts chromium with a fresh profile. Throws with the install command when the binary is missing.
 *
 * @example
 * const browser = await launchReportBrowser();
 * const { page, requests } = await browser.open('demo-out/report.html');
 */
export async function launchReportBrowser(executablePath = DEFAULT_CHROMIUM): Promise<ReportBrowser> {
  if (!existsSync(executablePath)) {
    throw new Error(`no chromium at ${executablePath}: install it (Debian: apt-get install -y chromium) or pass --chromium PATH`);
  }
  const profile = mkdtempSync(path.join(tmpdir(), 'mmalign-chromium-'));
  let context: BrowserContext;
  let browser: Browser | null = null;
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args: FLAGS, viewport: { width: 1400, height: 1000 } });
    browser = context.browser();
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
  return {
    async open(file, viewport = { width: 1400, height: 1000 }) {
      const page = await context.newPage();
      await page.setViewportSize(viewport);
      const requests: string[] = [];
      const errors: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      page.on('websocket', (ws) => requests.push(ws.url()));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`console: ${m.text()}`);
      });
      page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
      const t0 = performance.now();
      await page.goto(pathToFileURL(path.resolve(file)).href, { waitUntil: 'load' });
      const gotoMs = performance.now() - t0;
      await page.waitForSelector('html[data-ready-ms]', { timeout: 30_000 });
      const readyMs = Number(await page.getAttribute('html', 'data-ready-ms'));
      return { page, requests, errors, readyMs, gotoMs };
    },
    async close() {
      await context.close();
      await browser?.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Requests that left the machine: anything but file:, data: and blob: URLs. */
export function remoteRequests(urls: readonly string[]): string[] {
  return urls.filter((u) => !/^(file|data|blob):/i.test(u));
}
