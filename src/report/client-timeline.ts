/**
 * The page's zoomable timeline, as browser script text (inlined by the page, plain ES2020, no
 * library): the speech-activity curve, the cues as given and as used (synchronised), the sampled
 * frames and the splits, drawn in SVG with one mark per cue in view. Wheel zooms about the pointer,
 * drag pans, buttons zoom and fit; a click on a cue shows its rows. Text goes in by textContent only.
 */
export const TIMELINE_SCRIPT = String.raw`
function createTimeline(data, host, hooks) {
  var NS = 'http://www.w3.org/2000/svg';
  var LEFT = 92, RIGHT = 12;
  var cues = data.cues;
  // Two cue lanes (as in the file, as used) only when some cue moved: a sync that left them alone draws one.
  var shifted = cues.some(function (c) { return Math.abs(c.start - c.givenStart) > 1e-6 || Math.abs(c.end - c.givenEnd) > 1e-6; });
  var lo = 0, hi = Math.max(data.duration, 0.001);
  cues.forEach(function (c) { lo = Math.min(lo, c.start, c.givenStart); hi = Math.max(hi, c.end, c.givenEnd); });
  var y = { axis: 0, speech: 24, speechH: 44, given: 78, used: shifted ? 100 : 78, laneH: 16 };
  y.frames = y.used + 24;
  var height = y.frames + 22;
  var view = { t0: lo, t1: hi };
  var cursor = null;
  var svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('height', String(height));
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', 'Timeline of speech, cues, frames and splits');
  host.appendChild(svg);
  var tip = document.getElementById('tooltip');
  var pending = false;
  var width = 0;

  function node(tag, attrs, cls) {
    var n = document.createElementNS(NS, tag);
    for (var k in attrs) n.setAttribute(k, String(attrs[k]));
    if (cls) n.setAttribute('class', cls);
    return n;
  }
  function plotW() { return Math.max(50, width - LEFT - RIGHT); }
  function x(t) { return LEFT + (t - view.t0) / (view.t1 - view.t0) * plotW(); }
  function tAt(px) { return view.t0 + (px - LEFT) / plotW() * (view.t1 - view.t0); }
  function label(text, yy) {
    var t = node('text', { x: 6, y: yy }, 'lane-label');
    t.textContent = text;
    return t;
  }

  function niceStep(span, maxTicks) {
    var steps = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200];
    for (var i = 0; i < steps.length; i++) if (span / steps[i] <= maxTicks) return steps[i];
    return steps[steps.length - 1];
  }

  function drawAxis(g) {
    var step = niceStep(view.t1 - view.t0, Math.max(2, plotW() / 90));
    for (var t = Math.ceil(view.t0 / step) * step; t <= view.t1 + 1e-9; t += step) {
      var tick = node('g', {}, 'tick');
      var xx = x(t);
      tick.appendChild(node('line', { x1: xx, x2: xx, y1: 14, y2: height - 4 }));
      var txt = node('text', { x: xx + 3, y: 11 });
      txt.textContent = fmtTime(t, step < 1);
      tick.appendChild(txt);
      g.appendChild(tick);
    }
  }

  function drawSpeech(g) {
    var base = y.speech + y.speechH;
    g.appendChild(label('speech', y.speech + 26));
    var sp = data.speech;
    if (!sp || !sp.probabilities.length) {
      var none = node('text', { x: LEFT + 6, y: y.speech + 26 }, 'lane-label');
      none.textContent = 'no speech curve: sync did not run for this output';
      g.appendChild(none);
      return;
    }
    var p = sp.probabilities, n = p.length, pts = ['M' + LEFT + ',' + base];
    for (var px = LEFT; px <= LEFT + plotW(); px += 1) {
      var a = Math.floor((tAt(px) - sp.start) / sp.step), b = Math.floor((tAt(px + 1) - sp.start) / sp.step);
      var m = 0;
      for (var i = Math.max(0, a); i <= Math.min(n - 1, Math.max(a, b)); i++) if (p[i] > m) m = p[i];
      pts.push('L' + px + ',' + (base - m / 100 * y.speechH).toFixed(1));
    }
    pts.push('L' + (LEFT + plotW()) + ',' + base + 'Z');
    g.appendChild(node('path', { d: pts.join('') }, 'speech-area'));
  }

  function cueRect(c, i, s, e, yy, kind) {
    var x0 = Math.max(LEFT, x(s)), x1 = Math.min(LEFT + plotW(), x(e));
    var cls = 'cue-mark ' + kind + (c.pairs === 0 ? ' unpaired' : '') + (c.spoken === false ? ' unspoken' : '');
    var r = node('rect', { x: x0.toFixed(1), y: yy, width: Math.max(1.5, x1 - x0).toFixed(1), height: y.laneH, rx: 2 }, cls);
    r.setAttribute('data-i', String(i));
    r.setAttribute('data-index', String(c.index));
    return r;
  }

  function drawCues(g) {
    g.appendChild(label(shifted ? 'cues · file' : 'cues', y.given + 12));
    if (shifted) g.appendChild(label(data.sync ? 'cues · synced' : 'cues · offset', y.used + 12));
    var inView = cues.filter(function (c) { return Math.max(c.end, c.givenEnd) >= view.t0 && Math.min(c.start, c.givenStart) <= view.t1; });
    var showShifts = shifted && inView.length <= 400;
    cues.forEach(function (c, i) {
      if (shifted) {
        if (c.givenEnd >= view.t0 && c.givenStart <= view.t1) g.appendChild(cueRect(c, i, c.givenStart, c.givenEnd, y.given, 'given'));
        // A shift line only where both ends are in view: a long one would cross every other cue.
        if (showShifts && Math.abs(c.start - c.givenStart) > 1e-3 && c.givenStart >= view.t0 && c.givenStart <= view.t1 && c.start >= view.t0 && c.start <= view.t1) g.appendChild(node('line', { x1: x(c.givenStart), y1: y.given + y.laneH, x2: x(c.start), y2: y.used }, 'shift'));
      }
      if (c.end >= view.t0 && c.start <= view.t1) g.appendChild(cueRect(c, i, c.start, c.end, y.used, 'used'));
    });
  }

  function drawFrames(g) {
    g.appendChild(label('frames', y.frames + 11));
    var on = [], off = [];
    data.frames.forEach(function (f) {
      if (f.time < view.t0 || f.time > view.t1) return;
      var xx = x(f.time).toFixed(1);
      (f.paired ? on : off).push('M' + xx + ',' + y.frames + 'V' + (y.frames + 14));
    });
    if (off.length) g.appendChild(node('path', { d: off.join('') }, 'frames-off'));
    if (on.length) g.appendChild(node('path', { d: on.join('') }, 'frames-on'));
  }

  function drawMarkers(g) {
    if (data.duration < view.t1) {
      var xe = Math.max(LEFT, x(data.duration));
      g.appendChild(node('rect', { x: xe, y: 14, width: Math.max(0, LEFT + plotW() - xe), height: height - 18, fill: '#94a3b8', 'fill-opacity': 0.12 }));
      var end = node('text', { x: xe + 4, y: height - 6 }, 'lane-label');
      end.textContent = 'after the end of the video';
      g.appendChild(end);
    }
    (data.sync ? data.sync.splits : []).forEach(function (s) {
      if (s.at < view.t0 || s.at > view.t1) return;
      var xs = x(s.at);
      g.appendChild(node('line', { x1: xs, x2: xs, y1: 14, y2: height - 4 }, 'split-line'));
      var t = node('text', { x: xs + 3, y: y.speech + 10 }, 'split-label');
      t.textContent = 'split ' + (s.offset >= 0 ? '+' : '') + s.offset.toFixed(2) + ' s';
      g.appendChild(t);
    });
    if (cursor !== null && cursor >= view.t0 && cursor <= view.t1) g.appendChild(node('line', { x1: x(cursor), x2: x(cursor), y1: 14, y2: height - 4 }, 'cursor-line'));
  }

  function render() {
    pending = false;
    width = host.clientWidth || 1100;
    svg.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
    svg.setAttribute('width', String(width));
    var g = node('g', {});
    drawAxis(g);
    drawSpeech(g);
    drawMarkers(g);
    drawCues(g);
    drawFrames(g);
    svg.replaceChildren(g);
    hooks.onView(view.t0, view.t1, lo, hi);
  }
  function schedule() {
    if (pending) return;
    pending = true;
    (window.requestAnimationFrame || setTimeout)(render);
  }
  function setView(t0, t1) {
    var minSpan = Math.min(hi - lo, 0.5);
    var span = Math.min(hi - lo, Math.max(minSpan, t1 - t0));
    t0 = Math.min(Math.max(lo, t0), hi - span);
    view = { t0: t0, t1: t0 + span };
    schedule();
  }
  function zoom(factor, at) {
    if (at === undefined) at = (view.t0 + view.t1) / 2;
    setView(at - (at - view.t0) * factor, at + (view.t1 - at) * factor);
  }

  svg.addEventListener('wheel', function (e) {
    e.preventDefault();
    var r = svg.getBoundingClientRect();
    zoom(Math.exp(e.deltaY * 0.0015), tAt(e.clientX - r.left));
  }, { passive: false });
  var drag = null;
  svg.addEventListener('pointerdown', function (e) {
    drag = { x: e.clientX, t0: view.t0, t1: view.t1, moved: false };
    if (svg.setPointerCapture) svg.setPointerCapture(e.pointerId);
  });
  svg.addEventListener('pointermove', function (e) {
    if (drag) {
      var dx = e.clientX - drag.x;
      if (Math.abs(dx) > 3) { drag.moved = true; svg.classList.add('dragging'); }
      if (drag.moved) {
        var dt = -dx / plotW() * (drag.t1 - drag.t0);
        setView(drag.t0 + dt, drag.t1 + dt);
      }
      return;
    }
    var target = e.target;
    if (!tip) return;
    if (target && target.classList && target.classList.contains('cue-mark')) {
      var c = cues[Number(target.getAttribute('data-i'))];
      var lines = ['#' + c.index + '  ' + fmtTime(c.start, true) + ' → ' + fmtTime(c.end, true)];
      if (shifted) lines.push('file: ' + fmtTime(c.givenStart, true) + ' → ' + fmtTime(c.givenEnd, true));
      lines.push(c.pairs ? c.pairs + ' pair(s)' : 'unpaired: ' + (c.unpairedReason || 'no frame'));
      if (c.spoken === false) lines.push('not spoken (sound description)');
      tip.textContent = lines.join('\n') + '\n' + (c.speaker ? c.speaker + ': ' : '') + c.text;
      var hr = host.getBoundingClientRect();
      tip.style.left = Math.min(e.clientX - hr.left + 12, Math.max(0, hr.width - 380)) + 'px';
      tip.style.top = (e.clientY - hr.top + 14) + 'px';
      tip.style.display = 'block';
    } else tip.style.display = 'none';
  });
  function endDrag(e) {
    if (!drag) return;
    var wasClick = !drag.moved;
    drag = null;
    svg.classList.remove('dragging');
    var target = e.target;
    if (wasClick && target && target.classList && target.classList.contains('cue-mark')) hooks.onCue(Number(target.getAttribute('data-i')));
  }
  svg.addEventListener('pointerup', endDrag);
  svg.addEventListener('pointercancel', function () { drag = null; svg.classList.remove('dragging'); });
  svg.addEventListener('pointerleave', function () { if (tip) tip.style.display = 'none'; });
  window.addEventListener('resize', schedule);

  render();
  return {
    render: render,
    zoom: zoom,
    setView: setView,
    fit: function () { setView(lo, hi); },
    view: function () { return { t0: view.t0, t1: view.t1 }; },
    select: function (t) {
      cursor = t;
      if (t < view.t0 || t > view.t1) { var half = (view.t1 - view.t0) / 2; setView(t - half, t + half); } else schedule();
    },
  };
}
`;
