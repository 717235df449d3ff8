/**
 * A video's report page: the static header (escaped HTML, complete without script), the embedded
 * data blob, and the inlined stylesheet and script. One file, no network: the Content-Security-Policy
 * lets only this page's own script run and loads nothing but local files.
 */
import { createHash } from 'node:crypto';
import { CLIENT_SCRIPT } from './client.js';
import { escapeHtml as e, formatCount, formatTime, jsonForScript } from './html.js';
import { REPORT_CSS } from './styles.js';
import type { Warning } from '../core/types.js';
import type { RunCounts, SyncMapping, VideoReport } from './types.js';

/** What the client script reads: the report less what only the static header shows. */
export function pageData(r: VideoReport): Record<string, unknown> {
  const ms = (t: number) => Math.round(t * 1000) / 1000;
  const r4 = (x: number | undefined) => (x === undefined ? undefined : Math.round(x * 1e4) / 1e4);
  return {
    duration: r.counts.duration,
    video: { name: r.video.name, hasAudio: r.video.hasAudio, href: r.video.href },
    sync: r.sync ? { offset: r.sync.offset, ratio: r.sync.ratio, splits: r.sync.splits } : null,
    // Percent steps are finer than the eye can see on a 1,000-pixel curve and halve the blob.
    speech: r.speech ? { step: r.speech.step, start: r.speech.start, probabilities: r.speech.probabilities.map((p) => Math.round(p * 100)) } : null,
    cues: r.cues.map((c) => ({ ...c, start: ms(c.start), end: ms(c.end), givenStart: ms(c.givenStart), givenEnd: ms(c.givenEnd) })),
    pairs: r.pairs.map((p) => ({ ...p, frameTime: ms(p.frameTime), frameText: r4(p.frameText), audioText: r4(p.audioText) })),
    frames: r.frames.map((f) => ({ time: ms(f.time), paired: f.paired })),
  };
}

const FACTS: readonly { key: keyof RunCounts; label: string }[] = [
  { key: 'frames', label: 'frames sampled' },
  { key: 'pairs', label: 'pairs' },
  { key: 'unpairedFrames', label: 'unpaired frames' },
  { key: 'unpairedCues', label: 'unpaired cues' },
  { key: 'droppedDuplicates', label: 'duplicates dropped' },
  { key: 'droppedEmptyText', label: 'empty cues dropped' },
  { key: 'train', label: 'train pairs' },
  { key: 'dev', label: 'dev pairs' },
];

/** Framerate corrections sync looks for, by name, to say which one a ratio is. */
const KNOWN_RATIOS: readonly [number, string][] = [
  [25 / 24, '25/24'], [24 / 25, '24/25'], [25 / 23.976, '25/23.976'], [23.976 / 25, '23.976/25'], [24 / 23.976, '24/23.976'], [23.976 / 24, '23.976/24'],
];

function facts(r: VideoReport): string {
  const cells = [
    `<div class="fact wide"><div class="v" data-count="duration" data-value="${r.counts.duration}">${e(formatTime(r.counts.duration))}</div><div class="k">duration</div></div>`,
    `<div class="fact"><div class="v">${e(r.mode)}</div><div class="k">sampling · ${e(r.format)}</div></div>`,
    `<div class="fact"><div class="v" data-count="cues">${formatCount(r.cues.length)}</div><div class="k">cues in the file</div></div>`,
    ...FACTS.map((f) => `<div class="fact"><div class="v" data-count="${f.key}">${formatCount(r.counts[f.key])}</div><div class="k">${e(f.label)}</div></div>`),
  ];
  return `<div class="facts">${cells.join('')}</div>`;
}

function semanticBadge(s: boolean | null): string {
  if (s === true) return '<span class="badge yes">semantic</span>';
  if (s === false) return '<span class="badge no">not semantic</span>';
  return '<span class="badge unknown">unknown</span>';
}

function models(r: VideoReport): string {
  if (r.models.length === 0) return `<p class="muted">${r.embedded ? 'No model recorded in run.json.' : 'Not embedded (align ran with --no-embed): no similarities.'}</p>`;
  const rows = r.models
    .map((m) => `<tr data-model="${e(m.modality)}"><th>${e(m.modality)}</th><td class="mono">${e(m.id)}</td><td class="mono">${e(m.heads ?? '—')}</td><td>${e(m.device ?? '—')}</td><td>${semanticBadge(m.semantic)}</td></tr>`)
    .join('');
  return `<table class="kv"><thead><tr><th>modality</th><th>model</th><th>heads</th><th>device</th><th>similarities</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function signed(x: number, digits = 3): string {
  return `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(digits)}`;
}

function sync(m: SyncMapping | null, offset: number): string {
  if (!m) {
    const shift = offset ? `, shifted by --offset ${signed(offset)} s` : '';
    return `<p class="muted" id="sync-none">Sync did not run for this output (no sync.json): cues are paired at the subtitle file's times${e(shift)}.</p>`;
  }
  const known = KNOWN_RATIOS.find(([v]) => Math.abs(v - m.ratio) < 1e-4);
  const ratio = `${m.ratio.toFixed(6)}${known ? ` (${known[1]})` : m.ratio === 1 ? ' (none)' : ''}`;
  const splits = m.splits.length ? m.splits.map((s) => `${e(formatTime(s.at))} → ${e(signed(s.offset))} s`).join('<br>') : 'none';
  const pct = Math.round(Math.min(1, Math.max(0, m.confidence)) * 100);
  return `<table class="kv" id="sync">
<tr><th>offset</th><td data-sync="offset">${e(signed(m.offset))} s</td></tr>
<tr><th>ratio</th><td data-sync="ratio">${e(ratio)}</td></tr>
<tr><th>splits</th><td data-sync="splits">${splits}</td></tr>
<tr><th>confidence</th><td data-sync="confidence"><span class="meter"><i style="width:${pct}%"></i></span>${m.confidence.toFixed(2)}</td></tr>
<tr><th>method</th><td class="mono">${e(m.method)}</td></tr>
<tr><th>applied</th><td>${m.applied ? '<span class="badge yes">applied</span>' : '<span class="badge unknown">not applied</span>'}${m.reason ? ` <span class="muted">${e(m.reason)}</span>` : ''}</td></tr>
</table>`;
}

function allWarnings(r: VideoReport): Warning[] {
  return [...r.runWarnings, ...r.notices];
}

function warnings(r: VideoReport): string {
  const all = allWarnings(r);
  if (all.length === 0) return '<p class="muted">No warnings.</p>';
  const items = all.map((w) => `<li>${w.file ? `<span class="path">${e(w.file)}${w.line !== undefined ? `:${w.line}` : ''}</span><br>` : ''}${e(w.message)}</li>`);
  return `<ul class="warnings">${items.join('')}</ul>`;
}

/** The Content-Security-Policy of a report: this page's own script only, local files only. */
export function reportCsp(script: string | null): string {
  const scriptSrc = script === null ? "'none'" : `'sha256-${createHash('sha256').update(script, 'utf8').digest('base64')}'`;
  return `default-src 'none'; script-src ${scriptSrc}; style-src 'unsafe-inline'; img-src 'self' file: data: blob:; media-src 'self' file: blob:`;
}

/**
 * The whole HTML document of a video's report.
 *
 * @example
 * const html = renderVideoPage(await readVideoReport('talk-out'));
 */
export function renderVideoPage(r: VideoReport): string {
  const notSemantic = r.models.filter((m) => m.semantic === false).map((m) => m.modality);
  const unpaired = r.cues.filter((c) => c.unpairedReason !== undefined).length;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${e(reportCsp(CLIENT_SCRIPT))}">
<meta name="generator" content="mmalign report">
<title>${e(r.video.name)} · mmalign report</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<main>
<header>
<h1 id="video-name">${e(r.video.name)}</h1>
<div class="path">video: ${e(r.video.path)}</div>
<div class="path">subtitles: ${e(r.subtitles.path)}${r.subtitles.found ? '' : ' (not found)'}</div>
<div class="path">output: ${e(r.dir)}</div>
${notSemantic.length ? `<div class="notice" id="not-semantic">The ${e(notSemantic.join(', '))} model(s) are generated by mmalign (seeded weights, not semantic): their similarities are real computation but mean nothing. Align with real models to judge similarity.</div>` : ''}
</header>
<section class="card" id="counts"><h2>Counts</h2>${facts(r)}</section>
<div class="two">
<section class="card" id="models"><h2>Models</h2>${models(r)}</section>
<section class="card"><h2>Sync</h2>${sync(r.sync, r.offset)}</section>
</div>
<section class="card" id="warnings"><h2>Warnings (${allWarnings(r).length})</h2>${warnings(r)}</section>
<section class="card"><h2>Timeline</h2>
<div class="toolbar">
<button type="button" id="tl-out" title="zoom out">−</button><button type="button" id="tl-in" title="zoom in">+</button><button type="button" id="tl-fit">Fit</button>
<span class="count" id="tl-range"></span><span class="grow"></span>
<span class="legend"><span><i style="background:var(--speech)"></i>speech</span><span><i style="background:var(--given)"></i>cue as given</span><span><i style="background:var(--used)"></i>cue as used</span><span><i style="background:var(--unpaired)"></i>unpaired cue</span><span><i style="background:var(--frame)"></i>paired frame</span><span><i style="background:var(--frame-off)"></i>unpaired frame</span><span><i style="background:var(--split)"></i>split</span></span>
</div>
<div id="timeline"><div id="tooltip"></div></div>
<p class="muted">Wheel to zoom, drag to pan, click a cue to see its rows.</p>
</section>
<section class="card" id="pairs"><h2>Pairs</h2>
<div class="toolbar">
<label>Show <select id="f-show"><option value="pairs">pairs (${formatCount(r.pairs.length)})</option><option value="unpaired">unpaired cues (${formatCount(unpaired)})</option><option value="all">both, in time order</option></select></label>
<label><input type="checkbox" id="f-low"> similarity below</label><input type="range" id="f-threshold" min="-1" max="1" step="0.01" value="0.1"><span class="count" id="f-threshold-value">0.10</span><span class="muted" id="f-low-note"></span>
<input type="search" id="f-query" placeholder="search cue text or speaker" aria-label="search cue text">
<span class="grow"></span><span class="count" id="rows-count"></span>
</div>
<div class="grid-head"><span>frame</span><span>time</span><span>cue</span><span>similarity</span><span>audio</span></div>
<div id="rows"><div id="rows-spacer"></div></div>
<p class="muted" id="rows-empty" style="display:none">No rows match the filters.</p>
<noscript><p>The timeline and the rows need JavaScript; the counts above are complete without it.</p></noscript>
</section>
<footer>mmalign report · ${formatCount(r.pairs.length)} pairs · ${formatCount(r.cues.length)} cues</footer>
</main>
<script type="application/json" id="mmalign-data">${jsonForScript(pageData(r))}</script>
<script>${CLIENT_SCRIPT}</script>
</body>
</html>
`;
}
