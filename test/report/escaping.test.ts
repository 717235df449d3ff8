import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { alignVideo } from '../../src/pipeline/index.js';
import { escapeHtml, jsonForScript } from '../../src/report/html.js';
import { writeReport } from '../../src/report/index.js';
import { SAMPLE_MP4, SAMPLE_SRT } from '../helpers/media.js';
import { tempDir } from '../helpers/tmp.js';
import { openReport, scrollAllRows } from '../helpers/report-dom.js';

let dir: string;
beforeEach(() => {
  dir = tempDir('report-esc');
});

// Cue texts that would run script if any of them reached the page as HTML; each sets __pwned.
const HOSTILE = [
  `<script>window.__pwned = 'script'</script>`,
  `<img src=x onerror="window.__pwned = 'img'">`,
  `</script><script>window.__pwned = 'breakout'</script>`,
  `<!-- <svg onload="window.__pwned = 'svg'"> & 1 < 2`,
  `<iframe srcdoc="<script>parent.__pwned = 'iframe'</script>"></iframe>`,
];

// The subtitle parser strips markup from cue text, so the hostile texts are written as character
// references: they come out of the parser as literal text ("1 < 2" is text, not a tag) and must stay text.
const asSrtText = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The fixture's cue times with hostile texts, in a file whose very name is markup. */
function hostileSubtitles(): string {
  const times = readFileSync(SAMPLE_SRT, 'utf8').split('\n').filter((l) => l.includes('-->')).slice(0, HOSTILE.length);
  const file = path.join(dir, `x<img src=y onerror=window.__pwned='path'>.srt`);
  writeFileSync(file, times.map((t, i) => `${i + 1}\n${t}\n${asSrtText(HOSTILE[i])}\n`).join('\n'));
  return file;
}

describe('report escaping', () => {
  it('shows <script>, <img onerror> and </script> in cue text as text and never runs them', async () => {
    const subs = hostileSubtitles();
    const out = path.join(dir, 'out');
    await alignVideo(SAMPLE_MP4, subs, { out, embed: false });
    // A speaker name is subtitle text too (pairs.jsonl carries it when the file names one).
    const pairsFile = path.join(out, 'pairs.jsonl');
    const lines = readFileSync(pairsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    lines[0].speaker = `<b onmouseover="window.__pwned='speaker'">Eve</b>`;
    writeFileSync(pairsFile, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');

    const { file } = await writeReport(out);
    const html = await readFile(file, 'utf8');
    // The static HTML holds exactly the page's two script elements: the JSON blob and its own script.
    expect(html.match(/<script/gi)).toHaveLength(2);
    for (const tag of ['<script>window', '<img src=x', '<img src=y', '<iframe', '<svg onload', '<b onmouseover']) expect(html).not.toContain(tag);

    const r = await openReport(html, pathToFileURL(file).href);
    expect(r.window.__pwned).toBeUndefined();
    expect(r.document.scripts).toHaveLength(2);
    expect(r.document.querySelectorAll('[onerror], [onload], [onmouseover], iframe, svg [onload]')).toHaveLength(0);
    r.api.grid.setFilter({ show: 'all' });
    const rows = scrollAllRows(r);
    const texts = new Set(rows.map((row) => row.querySelector('.cue-text')!.textContent));
    for (const t of HOSTILE) expect(texts).toContain(t);
    for (const row of rows) {
      expect(row.querySelector('.cue-text')!.children).toHaveLength(0);
      expect(row.querySelectorAll('img').length).toBe(row.dataset.kind === 'pair' ? 1 : 0);
    }
    const first = rows.find((row) => row.dataset.pair === '0')!;
    expect(first.querySelector('.speaker')!.textContent).toBe(lines[0].speaker);
    expect(first.querySelector('.speaker')!.children).toHaveLength(0);
    // The header names the subtitle file as written, as text.
    expect(r.document.querySelector('header')!.textContent).toContain(path.basename(subs));
    expect(r.document.querySelectorAll('header img')).toHaveLength(0);
    expect(r.window.__pwned).toBeUndefined();
  });

  it('puts cue text into the timeline tooltip as text', async () => {
    const subs = hostileSubtitles();
    const out = path.join(dir, 'out');
    await alignVideo(SAMPLE_MP4, subs, { out, embed: false });
    const { file } = await writeReport(out);
    const r = await openReport(await readFile(file, 'utf8'), pathToFileURL(file).href);
    const mark = r.document.querySelector('#timeline .cue-mark[data-index="2"]')!;
    mark.dispatchEvent(new r.window.MouseEvent('pointermove', { bubbles: true, clientX: 10, clientY: 10 }));
    const tip = r.document.getElementById('tooltip')!;
    expect(tip.textContent).toContain(HOSTILE[1]);
    expect(tip.children).toHaveLength(0);
    expect(r.window.__pwned).toBeUndefined();
  });

  it('writes JSON that cannot close its script element and reads back unchanged', () => {
    const value = { text: '</script><script>alert(1)</script><!-- \u2028 &amp;' };
    const json = jsonForScript(value);
    expect(json).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(json)).toEqual(value);
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });

  it('lets only its own script run: the page policy pins the script by hash and loads nothing remote', async () => {
    const out = path.join(dir, 'out');
    copyFileSync(SAMPLE_SRT, path.join(dir, 's.srt'));
    await alignVideo(SAMPLE_MP4, path.join(dir, 's.srt'), { out, embed: false });
    const { file } = await writeReport(out);
    const r = await openReport(await readFile(file, 'utf8'), pathToFileURL(file).href);
    const csp = r.document.querySelector('meta[http-equiv="Content-Security-Policy"]')!.getAttribute('content')!;
    const { createHash } = await import('node:crypto');
    const script = r.document.scripts[1].textContent!;
    expect(csp).toContain(`script-src 'sha256-${createHash('sha256').update(script, 'utf8').digest('base64')}'`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/https?:/);
  });
});
