/**
 * The page's grid of pairs, as browser script text: a virtual list that builds only the rows in
 * view (fixed row height, absolute positions), so 7,000 pairs cost as much as 20; the filters
 * (pairs / unpaired cues / both, low similarity, text search). Subtitle text enters the DOM by
 * textContent only.
 */
import { ROW_HEIGHT } from './styles.js';

export const GRID_SCRIPT = String.raw`
function createGrid(data, els, hooks) {
  var ROW_H = ${ROW_HEIGHT};
  var OVERSCAN = 6;
  var state = { show: 'pairs', low: false, threshold: 0.1, query: '' };
  var rows = [];
  var drawn = { from: -1, to: -1 };
  var selected = null;
  var hasSims = data.pairs.some(function (p) { return p.frameText !== undefined || p.audioText !== undefined; });

  function el(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined) n.textContent = text;
    return n;
  }
  function isLow(p) {
    return (p.frameText !== undefined && p.frameText < state.threshold) || (p.audioText !== undefined && p.audioText < state.threshold);
  }
  function matches(c, speaker, q) {
    return c.text.toLowerCase().indexOf(q) >= 0 || (!!speaker && speaker.toLowerCase().indexOf(q) >= 0);
  }

  function build() {
    var q = state.query.trim().toLowerCase();
    var out = [];
    if (state.show !== 'unpaired') {
      data.pairs.forEach(function (p, i) {
        if (state.low && !isLow(p)) return;
        if (q && !matches(data.cues[p.cue], p.speaker || data.cues[p.cue].speaker, q)) return;
        out.push({ p: i, t: p.frameTime });
      });
    }
    // Cues without a pair have no similarity: the low-similarity filter is about pairs only.
    if (state.show !== 'pairs' && !state.low) {
      data.cues.forEach(function (c, i) {
        if (c.unpairedReason === undefined) return;
        if (q && !matches(c, c.speaker, q)) return;
        out.push({ c: i, t: c.start });
      });
    }
    if (state.show === 'all') out.sort(function (a, b) { return a.t - b.t; });
    rows = out;
  }

  function simLine(name, v) {
    var line = el('div', 'sim');
    line.appendChild(el('span', '', name));
    var bar = el('span', 'bar');
    line.appendChild(bar);
    if (v === undefined) {
      line.classList.add('none');
      line.appendChild(el('span', 'val', '—'));
      return line;
    }
    var fill = el('i', 'fill' + (v < 0 ? ' neg' : ''));
    var w = Math.min(1, Math.abs(v)) * 50;
    fill.style.left = (v < 0 ? 50 - w : 50) + '%';
    fill.style.width = Math.max(w, 0.8) + '%';
    bar.appendChild(fill);
    if (v < state.threshold) line.classList.add('low');
    line.appendChild(el('span', 'val', v.toFixed(3)));
    return line;
  }

  function player(src, from, to) {
    var a = document.createElement('audio');
    a.setAttribute('controls', '');
    a.setAttribute('preload', 'none');
    a.src = from === undefined ? src : src + '#t=' + Math.max(0, from).toFixed(3) + ',' + Math.max(0, to).toFixed(3);
    return a;
  }

  function renderRow(k) {
    var r = rows[k];
    var pair = r.p !== undefined ? data.pairs[r.p] : null;
    var ci = pair ? pair.cue : r.c;
    var c = data.cues[ci];
    var row = el('div', 'row' + (pair ? '' : ' unpaired'));
    row.setAttribute('data-row', String(k));
    row.setAttribute('data-kind', pair ? 'pair' : 'unpaired');
    row.setAttribute('data-cue', String(c.index));
    if (pair) row.setAttribute('data-pair', String(r.p));
    row.style.top = k * ROW_H + 'px';
    if (selected !== null && selected.p === r.p && selected.c === r.c) row.classList.add('selected');

    var thumb = el('div', 'thumb');
    if (pair) {
      var link = el('a');
      link.href = pair.frame;
      link.target = '_blank';
      var img = el('img');
      img.setAttribute('loading', 'lazy');
      img.setAttribute('decoding', 'async');
      img.width = 128;
      img.height = 96;
      img.alt = 'frame at ' + fmtTime(pair.frameTime, true);
      img.src = pair.frame;
      link.appendChild(img);
      thumb.appendChild(link);
    } else thumb.appendChild(el('div', 'nothumb', 'no frame'));
    row.appendChild(thumb);

    var times = el('div', 'times');
    times.appendChild(el('div', 'ft', pair ? fmtTime(pair.frameTime, true) : '—'));
    var dist = pair ? (pair.distance === 0 ? ' · inside' : ' · Δ ' + pair.distance.toFixed(3) + ' s') : '';
    times.appendChild(el('div', 'cue-no', 'cue #' + c.index + dist));
    times.appendChild(el('div', 'cue-time', fmtTime(c.start, true) + ' → ' + fmtTime(c.end, true)));
    if (Math.abs(c.start - c.givenStart) > 1e-3 || Math.abs(c.end - c.givenEnd) > 1e-3) {
      times.appendChild(el('div', 'file', 'file: ' + fmtTime(c.givenStart, true) + ' → ' + fmtTime(c.givenEnd, true)));
    }
    row.appendChild(times);

    var text = el('div', 'text');
    var speaker = (pair && pair.speaker) || c.speaker;
    if (speaker) text.appendChild(el('span', 'speaker', speaker));
    var p = el('p', 'cue-text', c.text);
    p.title = c.text;
    text.appendChild(p);
    if (!pair) text.appendChild(el('span', 'reason', 'unpaired: ' + c.unpairedReason));
    else if (c.spoken === false) text.appendChild(el('span', 'reason', 'not spoken (sound description)'));
    row.appendChild(text);

    var sims = el('div', 'sims');
    if (pair) {
      sims.appendChild(simLine('frame↔text', pair.frameText));
      sims.appendChild(simLine('audio↔text', pair.audioText));
    } else sims.appendChild(el('span', 'muted', 'no pair'));
    row.appendChild(sims);

    var audio = el('div', 'audio');
    if (pair && pair.audio) audio.appendChild(player(pair.audio.src));
    else if (data.video.href) audio.appendChild(player(data.video.href, c.start, c.end));
    else audio.appendChild(el('span', 'muted', data.video.hasAudio ? 'video not found' : 'no audio track'));
    row.appendChild(audio);

    row.addEventListener('click', function (e) {
      if (e.target && (e.target.tagName === 'AUDIO' || e.target.tagName === 'IMG')) return;
      selected = { p: r.p, c: r.c };
      var cur = els.spacer.querySelectorAll('.row.selected');
      for (var i = 0; i < cur.length; i++) cur[i].classList.remove('selected');
      row.classList.add('selected');
      hooks.onSelect(pair ? pair.frameTime : c.start);
    });
    return row;
  }

  function draw(force) {
    var top = els.scroller.scrollTop || 0;
    var h = els.scroller.clientHeight || 800;
    var from = Math.max(0, Math.floor(top / ROW_H) - OVERSCAN);
    var to = Math.min(rows.length, Math.ceil((top + h) / ROW_H) + OVERSCAN);
    if (!force && from === drawn.from && to === drawn.to) return;
    drawn = { from: from, to: to };
    var frag = document.createDocumentFragment();
    for (var k = from; k < to; k++) frag.appendChild(renderRow(k));
    els.spacer.replaceChildren(frag);
  }

  function update() {
    build();
    els.spacer.style.height = rows.length * ROW_H + 'px';
    var pairs = rows.filter(function (r) { return r.p !== undefined; }).length;
    els.count.textContent = rows.length.toLocaleString('en-US') + ' row(s): ' + pairs.toLocaleString('en-US') + ' pair(s), ' + (rows.length - pairs).toLocaleString('en-US') + ' unpaired cue(s)';
    els.empty.style.display = rows.length ? 'none' : 'block';
    draw(true);
  }

  function scrollToCue(ci) {
    var find = function () {
      for (var k = 0; k < rows.length; k++) {
        var r = rows[k];
        if ((r.p !== undefined ? data.pairs[r.p].cue : r.c) === ci) return k;
      }
      return -1;
    };
    var k = find();
    if (k < 0) {
      setFilter({ show: 'all', low: false, query: '' });
      k = find();
    }
    if (k < 0) return;
    selected = { p: rows[k].p, c: rows[k].c };
    els.scroller.scrollTop = Math.max(0, k * ROW_H - ROW_H);
    draw(true);
    if (els.scroller.scrollIntoView) els.scroller.scrollIntoView({ block: 'nearest' });
    hooks.onSelect(rows[k].t);
  }

  function setFilter(f) {
    for (var key in f) state[key] = f[key];
    hooks.onFilter(state);
    update();
  }

  els.scroller.addEventListener('scroll', function () { draw(false); }, { passive: true });
  window.addEventListener('resize', function () { draw(false); });
  update();
  return {
    hasSimilarities: hasSims,
    state: function () { return { show: state.show, low: state.low, threshold: state.threshold, query: state.query }; },
    rows: function () { return rows.slice(); },
    renderRow: renderRow,
    draw: draw,
    setFilter: setFilter,
    scrollToCue: scrollToCue,
    rowHeight: ROW_H,
  };
}
`;
