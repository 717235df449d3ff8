/**
 * The one script of a video's report page: reads the embedded JSON, draws the timeline and the
 * grid, wires the controls, and exposes `window.mmalignReport` (data, timeline, grid) for tests and
 * for people poking at the page from the console. `<html data-ready-ms>` says when it finished.
 */
import { GRID_SCRIPT } from './client-grid.js';
import { TIMELINE_SCRIPT } from './client-timeline.js';

const MAIN_SCRIPT = String.raw`
function fmtTime(s, ms) {
  var neg = s < 0, t = Math.round(Math.abs(s) * 1000);
  var h = Math.floor(t / 3600000), m = Math.floor(t / 60000) % 60, sec = Math.floor(t / 1000) % 60;
  var out = (h > 0 ? h + ':' + String(m).padStart(2, '0') : String(m)) + ':' + String(sec).padStart(2, '0');
  if (ms) out += '.' + String(t % 1000).padStart(3, '0');
  return (neg ? '-' : '') + out;
}

function start() {
  var data = JSON.parse(document.getElementById('mmalign-data').textContent);
  var $ = function (id) { return document.getElementById(id); };
  var grid = null;
  var timeline = createTimeline(data, $('timeline'), {
    onCue: function (i) { if (grid) grid.scrollToCue(i); },
    onView: function (t0, t1, lo, hi) {
      $('tl-range').textContent = fmtTime(t0, true) + ' – ' + fmtTime(t1, true) + (t1 - t0 < hi - lo - 1e-6 ? '  (zoomed ' + ((hi - lo) / (t1 - t0)).toFixed(1) + '×)' : '');
    },
  });
  var show = $('f-show'), low = $('f-low'), thr = $('f-threshold'), thrVal = $('f-threshold-value'), q = $('f-query');
  grid = createGrid(data, { scroller: $('rows'), spacer: $('rows-spacer'), count: $('rows-count'), empty: $('rows-empty') }, {
    onSelect: function (t) { timeline.select(t); },
    onFilter: function (s) {
      show.value = s.show;
      low.checked = s.low;
      thr.value = String(s.threshold);
      thrVal.textContent = Number(s.threshold).toFixed(2);
      if (q.value !== s.query) q.value = s.query;
    },
  });
  if (!grid.hasSimilarities) {
    low.disabled = true;
    thr.disabled = true;
    $('f-low-note').textContent = 'no similarities: the run did not embed';
  }
  show.addEventListener('change', function () { grid.setFilter({ show: show.value }); });
  low.addEventListener('change', function () { grid.setFilter({ low: low.checked }); });
  thr.addEventListener('input', function () { grid.setFilter({ threshold: Number(thr.value) }); });
  var typing = null;
  q.addEventListener('input', function () {
    clearTimeout(typing);
    typing = setTimeout(function () { grid.setFilter({ query: q.value }); }, 120);
  });
  $('tl-in').addEventListener('click', function () { timeline.zoom(0.5); });
  $('tl-out').addEventListener('click', function () { timeline.zoom(2); });
  $('tl-fit').addEventListener('click', function () { timeline.fit(); });
  window.mmalignReport = { data: data, timeline: timeline, grid: grid };
  document.documentElement.setAttribute('data-ready-ms', String(Math.round(performance.now())));
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
`;

/** The page's script: helpers, timeline, grid and start-up, in one strict-mode function scope. */
export const CLIENT_SCRIPT = `(function () {\n'use strict';\n${MAIN_SCRIPT}\n${TIMELINE_SCRIPT}\n${GRID_SCRIPT}\n})();\n`;
