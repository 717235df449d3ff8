/**
 * A corpus's summary page: totals, the distributions of sync confidence and of similarities as
 * small SVG histograms, the failures with their reasons, and one link per video to its own page.
 * Static HTML with no script at all (its policy forbids any).
 */
import { escapeHtml as e, formatCount, formatDuration } from './html.js';
import { reportCsp } from './page.js';
import { REPORT_CSS } from './styles.js';
import type { CorpusReport, Histogram } from './types.js';
import { maxOf } from '../core/arrays.js';

const W = 320;
const H = 120;
const PAD = { left: 34, bottom: 20, top: 8 };

/**
 * One histogram as an inline SVG bar chart with its range on the x axis and the peak count on y.
 *
 * @example
 * histogramSvg('sync confidence', corpus.syncConfidence);
 */
export function histogramSvg(title: string, h: Histogram, id: string): string {
  const peak = maxOf(h.counts, 1);
  const plotW = W - PAD.left - 6;
  const plotH = H - PAD.bottom - PAD.top;
  const bw = plotW / h.counts.length;
  const bars = h.counts
    .map((c, i) => {
      const bh = (c / peak) * plotH;
      const lo = h.min + ((h.max - h.min) * i) / h.counts.length;
      const hi = lo + (h.max - h.min) / h.counts.length;
      return `<rect x="${(PAD.left + i * bw + 1).toFixed(1)}" y="${(PAD.top + plotH - bh).toFixed(1)}" width="${Math.max(1, bw - 2).toFixed(1)}" height="${bh.toFixed(1)}" data-count="${c}"><title>${lo.toFixed(2)} to ${hi.toFixed(2)}: ${c}</title></rect>`;
    })
    .join('');
  const axis = `<text x="${PAD.left}" y="${H - 5}">${h.min}</text><text x="${W - 6}" y="${H - 5}" text-anchor="end">${h.max}</text>` +
    `<text x="${PAD.left + plotW / 2}" y="${H - 5}" text-anchor="middle">${((h.min + h.max) / 2).toFixed(1)}</text>` +
    `<text x="${PAD.left - 4}" y="${PAD.top + 8}" text-anchor="end">${peak}</text><text x="${PAD.left - 4}" y="${PAD.top + plotH}" text-anchor="end">0</text>`;
  const body = h.total === 0 ? `<text x="${W / 2}" y="${H / 2}" text-anchor="middle">no values</text>` : bars;
  return `<figure class="hist" id="${e(id)}" data-total="${h.total}"><figcaption><strong>${e(title)}</strong> <span class="muted">(${formatCount(h.total)} values)</span></figcaption><svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${e(title)}">${body}${axis}</svg></figure>`;
}

function fact(key: string, value: string, label: string): string {
  return `<div class="fact"><div class="v" data-count="${key}">${e(value)}</div><div class="k">${e(label)}</div></div>`;
}

/**
 * The whole HTML document of a corpus summary.
 *
 * @example
 * const html = renderCorpusPage(await readCorpusReport('corpus-out'));
 */
export function renderCorpusPage(c: CorpusReport): string {
  const failures = c.failures.length
    ? `<table class="videos" id="failures"><thead><tr><th>video</th><th>code</th><th>attempts</th><th>reason</th></tr></thead><tbody>${c.failures
        .map((f) => `<tr><td class="mono">${e(f.video)}</td><td class="mono">${e(f.code ?? '—')}</td><td class="n">${f.attempts ?? '—'}</td><td>${e(f.error)}</td></tr>`)
        .join('')}</tbody></table>`
    : '<p class="muted" id="failures">No video failed.</p>';
  const videos = c.entries
    .map((v) => {
      const name = v.href ? `<a href="${e(v.href)}">${e(v.key)}</a>` : e(v.key);
      const status = `<span class="status-${v.status === 'ok' || v.status === 'done' ? 'ok' : v.status === 'failed' ? 'failed' : 'other'}">${e(v.status)}</span>`;
      return `<tr data-key="${e(v.key)}"><td>${name}</td><td class="mono">${e(v.video)}</td><td>${status}</td><td class="n">${v.duration === null ? '—' : e(formatDuration(v.duration))}</td><td class="n">${v.pairs === null ? '—' : formatCount(v.pairs)}</td><td class="n">${v.syncConfidence === null ? '—' : v.syncConfidence.toFixed(2)}</td></tr>`;
    })
    .join('');
  const warnings = c.warnings.length
    ? `<ul class="warnings">${c.warnings.map((w) => `<li>${w.file ? `<span class="path">${e(w.file)}</span><br>` : ''}${e(w.message)}</li>`).join('')}</ul>`
    : '<p class="muted">No warnings.</p>';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${e(reportCsp(null))}">
<meta name="generator" content="mmalign report">
<title>Corpus · mmalign report</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<main>
<header><h1>Corpus</h1><div class="path">${e(c.dir)}</div></header>
<section class="card" id="counts"><h2>Totals</h2><div class="facts">
${fact('videos', formatCount(c.videos), 'videos')}${fact('hours', c.hours.toFixed(2), 'hours of video')}${fact('pairs', formatCount(c.pairs), 'pairs')}${fact('failures', formatCount(c.failures.length), 'failed videos')}
</div></section>
<section class="card"><h2>Distributions</h2><div class="hists">
${histogramSvg('sync confidence (per video)', c.syncConfidence, 'hist-sync')}${histogramSvg('frame↔text similarity (per pair)', c.frameText, 'hist-frame-text')}${histogramSvg('audio↔text similarity (per pair)', c.audioText, 'hist-audio-text')}
</div></section>
<section class="card"><h2>Failures (${c.failures.length})</h2>${failures}</section>
<section class="card" id="videos"><h2>Videos (${c.entries.length})</h2>
<table class="videos"><thead><tr><th>key</th><th>video</th><th>status</th><th>duration</th><th>pairs</th><th>sync confidence</th></tr></thead><tbody>${videos}</tbody></table></section>
<section class="card" id="warnings"><h2>Warnings (${c.warnings.length})</h2>${warnings}</section>
<footer>mmalign report · corpus of ${formatCount(c.videos)} videos</footer>
</main>
</body>
</html>
`;
}
