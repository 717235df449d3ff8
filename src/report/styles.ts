/**
 * The report pages' stylesheet, inlined into each page so it opens from file:// with nothing else.
 * Row height here and ROW_HEIGHT in the client script are the same number: the virtual list
 * positions rows by it.
 */
export const ROW_HEIGHT = 112;

export const REPORT_CSS = `
:root {
  --bg: #f6f7f9; --card: #ffffff; --ink: #1f2430; --muted: #5d6675; --line: #e3e6eb;
  --accent: #2563eb; --accent-soft: #dbe6fd; --good: #15803d; --warn: #b45309; --bad: #c2410c;
  --given: #9aa5b8; --used: #2563eb; --unpaired: #dc2626; --speech: #10b981; --speech-fill: #d1fae5;
  --frame: #0f766e; --frame-off: #c9d2dc; --split: #c026d3;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace;
}
* { box-sizing: border-box; }
html, body { margin: 0; background: var(--bg); color: var(--ink); }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif; }
main { max-width: 1400px; margin: 0 auto; padding: 20px 24px 40px; }
h1 { font-size: 22px; margin: 0 0 2px; word-break: break-all; }
h2 { font-size: 15px; margin: 0 0 10px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
a { color: var(--accent); }
.path { color: var(--muted); font-family: var(--mono); font-size: 12px; word-break: break-all; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; margin-top: 14px; }
.notice { margin-top: 12px; padding: 9px 12px; border-radius: 8px; background: #fff7ed; border: 1px solid #fed7aa; color: #7c2d12; }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(96px, 1fr)); gap: 10px; }
.fact { background: var(--bg); border-radius: 8px; padding: 8px 10px; }
.fact .v { font-size: 18px; white-space: nowrap; font-weight: 650; font-variant-numeric: tabular-nums; }
.fact .k { color: var(--muted); font-size: 12px; }
.fact.wide { grid-column: span 2; }
.two { display: grid; grid-template-columns: 1.2fr 1fr; gap: 14px; }
.two > .card { margin-top: 14px; }
@media (max-width: 900px) { .two { grid-template-columns: 1fr; } }
table.kv { border-collapse: collapse; width: 100%; }
table.kv th, table.kv td { text-align: left; padding: 5px 8px 5px 0; border-bottom: 1px solid var(--line); vertical-align: top; }
table.kv th { color: var(--muted); font-weight: 500; white-space: nowrap; }
table.kv td.mono, .mono { font-family: var(--mono); font-size: 12px; }
.badge { display: inline-block; padding: 1px 7px; border-radius: 999px; font-size: 12px; font-weight: 600; white-space: nowrap; }
.badge.no { background: #fee2e2; color: #991b1b; } .badge.yes { background: #dcfce7; color: #166534; }
.badge.unknown { background: #e5e7eb; color: #374151; } .badge.info { background: var(--accent-soft); color: #1e40af; }
.meter { display: inline-block; width: 90px; height: 8px; border-radius: 4px; background: var(--line); vertical-align: middle; margin-right: 6px; overflow: hidden; }
.meter > i { display: block; height: 100%; background: var(--accent); }
ul.warnings { margin: 0; padding-left: 18px; } ul.warnings li { margin: 3px 0; }
ul.warnings .path { font-size: 12px; }
.toolbar { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 14px; margin-bottom: 10px; }
.toolbar .grow { flex: 1; }
button, select, input[type=search] { font: inherit; border: 1px solid #cfd5dd; background: #fff; border-radius: 6px; padding: 4px 10px; color: var(--ink); }
button:hover { border-color: var(--accent); }
input[type=search] { min-width: 240px; }
label { color: var(--muted); white-space: nowrap; }
.legend { display: flex; flex-wrap: wrap; gap: 12px; color: var(--muted); font-size: 12px; }
.legend i { display: inline-block; width: 14px; height: 9px; border-radius: 2px; margin-right: 4px; vertical-align: baseline; }
#timeline { position: relative; user-select: none; }
#timeline svg { display: block; width: 100%; cursor: grab; touch-action: none; }
#timeline svg.dragging { cursor: grabbing; }
#timeline .lane-label { font-size: 11px; fill: var(--muted); }
#timeline .tick text { font-size: 10px; fill: var(--muted); font-variant-numeric: tabular-nums; }
#timeline .tick line { stroke: var(--line); }
.cue-mark { fill: var(--used); } .cue-mark.given { fill: var(--given); }
.cue-mark.unpaired { fill: var(--unpaired); } .cue-mark.unspoken { fill-opacity: .35; }
.cue-mark:hover { stroke: var(--ink); stroke-width: 1; }
.shift { stroke: var(--given); stroke-width: 1; }
.speech-area { fill: var(--speech-fill); stroke: var(--speech); stroke-width: 1; }
.frames-on { stroke: var(--frame); stroke-width: 1; } .frames-off { stroke: var(--frame-off); stroke-width: 1; }
.split-line { stroke: var(--split); stroke-width: 1.5; stroke-dasharray: 4 3; } .split-label { fill: var(--split); font-size: 10px; }
.cursor-line { stroke: var(--ink); stroke-width: 1; }
#tooltip { position: absolute; pointer-events: none; background: #111827; color: #f9fafb; padding: 6px 9px; border-radius: 6px;
  font-size: 12px; max-width: 380px; white-space: pre-wrap; display: none; z-index: 2; box-shadow: 0 4px 14px rgba(0,0,0,.2); }
.grid-head, .row { display: grid; grid-template-columns: 136px 190px minmax(240px, 1fr) 230px 200px; gap: 12px; align-items: center; }
.grid-head { padding: 6px 10px; color: var(--muted); font-size: 12px; font-weight: 600; text-transform: uppercase; letter-spacing: .04em; border-bottom: 1px solid var(--line); }
#rows { position: relative; height: min(72vh, 900px); overflow-y: auto; contain: strict; }
#rows-spacer { position: relative; width: 100%; }
.row { position: absolute; left: 0; right: 0; height: ${ROW_HEIGHT}px; padding: 8px 10px; border-bottom: 1px solid var(--line); background: var(--card); }
.row:hover { background: #f8fafc; } .row.selected { background: #eef4ff; box-shadow: inset 3px 0 0 var(--accent); }
.row.unpaired { background: #fffafa; }
.thumb img, .nothumb { width: 128px; height: 96px; border-radius: 6px; object-fit: cover; background: #e5e7eb; display: block; }
.nothumb { display: flex; align-items: center; justify-content: center; color: var(--muted); font-size: 12px; border: 1px dashed #cbd2da; background: transparent; }
.times { font-variant-numeric: tabular-nums; font-size: 12px; color: var(--muted); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.times > div { margin-top: 1px; }
.times .ft { font-size: 15px; font-weight: 650; color: var(--ink); font-family: var(--mono); }
.times .file { color: var(--given); }
.times .cue-no { color: var(--ink); font-weight: 600; }
.text { overflow: hidden; }
.text p { margin: 0; font-size: 14.5px; white-space: pre-wrap; display: -webkit-box; -webkit-line-clamp: 3; -webkit-box-orient: vertical; overflow: hidden; }
.speaker { display: inline-block; margin-bottom: 3px; font-size: 12px; font-weight: 650; color: #6d28d9; }
.reason { display: inline-block; margin-top: 4px; font-size: 12px; color: var(--unpaired); }
.sim { display: grid; grid-template-columns: 72px 1fr 52px; align-items: center; gap: 6px; font-size: 12px; color: var(--muted); margin: 3px 0; }
.sim .bar { position: relative; height: 10px; background: #eef0f3; border-radius: 5px; }
.sim .bar::after { content: ""; position: absolute; left: 50%; top: -2px; bottom: -2px; width: 1px; background: #aab3bf; }
.sim .fill { position: absolute; top: 0; bottom: 0; border-radius: 5px; background: var(--good); }
.sim .fill.neg { background: var(--warn); } .sim.low .fill { background: var(--bad); }
.sim .val { font-family: var(--mono); text-align: right; color: var(--ink); }
.sim.none .val { color: var(--muted); }
audio { width: 190px; height: 32px; }
.muted { color: var(--muted); }
.count { color: var(--muted); font-variant-numeric: tabular-nums; }
footer { margin-top: 18px; color: var(--muted); font-size: 12px; text-align: center; }
table.videos { width: 100%; border-collapse: collapse; }
table.videos th, table.videos td { padding: 6px 8px; border-bottom: 1px solid var(--line); text-align: left; }
table.videos td.n { text-align: right; font-variant-numeric: tabular-nums; }
.hists { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 14px; }
.hist rect { fill: var(--accent); } .hist text { font-size: 10px; fill: var(--muted); }
.status-ok { color: var(--good); font-weight: 600; } .status-failed { color: var(--unpaired); font-weight: 600; }
`;
