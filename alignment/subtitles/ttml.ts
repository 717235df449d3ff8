import { DOMParser } from '@xmldom/xmldom';
import { SubtitleParseError, type Cue } from './core.js';
import { sanitizeCueText } from './text.js';
import type { ParseContext } from './types.js';

/**
 * TTML / DFXP (W3C Timed Text): every `<p>` with a time interval is a cue. `begin`, `end` and `dur` take
 * clock times (`00:00:01.5`, `00:00:01:12` with frames, `.sub-frames`) and offset times (`1.5s`, `1500ms`,
 * `2m`, `36f`, `15000000t`), using `ttp:frameRate` (x `ttp:frameRateMultiplier`), `ttp:subFrameRate` and
 * `ttp:tickRate` from the root. Times nest: a child's `begin`/`end` count from its parent's begin, and a
 * child never outlasts its parent. A `<p>` without an interval of its own yields one cue per timed `<span>`
 * inside it. Text: nested spans flattened, `<br/>` a line break, XML whitespace collapsed; `ttm:agent`
 * and metadata are not text. Parsed with @xmldom/xmldom (no DTD entity expansion, no network access).
 */

interface Rates {
  frameRate: number;
  subFrameRate: number;
  tickRate: number;
}

const ELEMENT = 1;
const TEXT = 3;
const CDATA = 4;

// The DOM shapes used here (xmldom's own typings model the browser DOM, which this module does not need).
interface XmlNode {
  nodeType: number;
  localName?: string | null;
  nodeValue?: string | null;
  childNodes: ArrayLike<XmlNode>;
  lineNumber?: number;
  getAttribute?(name: string): string | null;
  attributes?: ArrayLike<{ localName?: string | null; name: string; value: string }>;
}

function attr(el: XmlNode, localName: string): string | undefined {
  const list = el.attributes;
  if (!list) return undefined;
  for (let i = 0; i < list.length; i++) {
    const a = list[i];
    if ((a.localName ?? a.name.replace(/^.*:/, '')) === localName) return a.value.trim();
  }
  return undefined;
}

function children(el: XmlNode): XmlNode[] {
  const out: XmlNode[] = [];
  for (let i = 0; i < el.childNodes.length; i++) out.push(el.childNodes[i]);
  return out;
}

/** Seconds of a TTML time expression, or null when it is not one. */
export function ttmlTime(expr: string, rates: Rates): number | null {
  const clock = /^(\d{2,}):(\d{2}):(\d{2})(?:\.(\d+)|:(\d{2,})(?:\.(\d+))?)?$/.exec(expr);
  if (clock) {
    const [, h, m, s, frac, frames, sub] = clock;
    if (Number(m) >= 60 || Number(s) > 60) return null;
    let t = Number(h) * 3600 + Number(m) * 60 + Number(s);
    if (frac !== undefined) t += Number(`0.${frac}`);
    if (frames !== undefined) t += Number(frames) / rates.frameRate + (sub === undefined ? 0 : Number(sub) / (rates.frameRate * rates.subFrameRate));
    return Math.round(t * 1000) / 1000;
  }
  const offset = /^(\d+(?:\.\d+)?)(h|ms|m|s|f|t)$/.exec(expr);
  if (!offset) return null;
  const n = Number(offset[1]);
  const unit = offset[2];
  const t = unit === 'h' ? n * 3600 : unit === 'm' ? n * 60 : unit === 's' ? n : unit === 'ms' ? n / 1000 : unit === 'f' ? n / rates.frameRate : n / rates.tickRate;
  return Math.round(t * 1000) / 1000;
}

function ratesOf(root: XmlNode): Rates {
  const num = (name: string): number | undefined => {
    const v = attr(root, name);
    const n = v === undefined ? NaN : Number(v);
    return Number.isFinite(n) && n > 0 ? n : undefined;
  };
  let frameRate = num('frameRate') ?? 30;
  const multiplier = attr(root, 'frameRateMultiplier')?.split(/\s+/).map(Number);
  if (multiplier && multiplier.length === 2 && multiplier[0] > 0 && multiplier[1] > 0) frameRate = (frameRate * multiplier[0]) / multiplier[1];
  const subFrameRate = num('subFrameRate') ?? 1;
  const tickRate = num('tickRate') ?? (attr(root, 'frameRate') !== undefined ? frameRate * subFrameRate : 1);
  return { frameRate, subFrameRate, tickRate };
}

/** Text of an element: spans flattened, <br/> as a line break, XML whitespace collapsed. */
function textOf(el: XmlNode): string {
  let out = '';
  for (const node of children(el)) {
    if (node.nodeType === TEXT || node.nodeType === CDATA) out += (node.nodeValue ?? '').replace(/[ \t\r\n]+/g, ' ');
    else if (node.nodeType === ELEMENT) {
      const name = node.localName ?? '';
      if (name === 'br') out += '\n';
      else if (name !== 'metadata' && name !== 'agent' && name !== 'name' && name !== 'title' && name !== 'desc') out += textOf(node);
    }
  }
  return out;
}

/**
 * Reads a TTML document into cues.
 *
 * @example
 * parseTtml('<tt xmlns="http://www.w3.org/ns/ttml"><body><div><p begin="1s" end="2s">Hi<br/>there</p></div></body></tt>', ctx);
 * // [{ index: 1, start: 1, end: 2, text: 'Hi\nthere' }]
 */
export function parseTtml(text: string, ctx: ParseContext): Cue[] {
  let doc: { documentElement: XmlNode | null };
  try {
    const parser = new DOMParser({
      onError: (level: string, message: string) => {
        if (level !== 'warning') throw new Error(message);
      },
    });
    doc = parser.parseFromString(text, 'application/xml') as unknown as { documentElement: XmlNode | null };
  } catch (err) {
    const e = err as { message?: string; locator?: { lineNumber?: number } };
    const line = e.locator?.lineNumber;
    throw new SubtitleParseError(ctx.file, line && line > 0 ? line : null, `not well-formed XML (${String(e.message ?? err).split('\n')[0].replace(/^Reporting \w+ "(.*?)" caused.*$/, '$1')}); fix the XML or convert the file`);
  }
  const root = doc.documentElement;
  if (!root || root.localName !== 'tt') {
    throw new SubtitleParseError(ctx.file, null, `an XML document whose root is <${root?.localName ?? '?'}>, not a TTML <tt>; mmalign reads TTML/DFXP among XML subtitle formats`);
  }
  const rates = ratesOf(root);
  const cues: Cue[] = [];
  const warn = (node: XmlNode, message: string): void => {
    ctx.warnings.push({ file: ctx.file, ...(node.lineNumber ? { line: node.lineNumber } : {}), message });
  };
  const push = (node: XmlNode, start: number, end: number): void => {
    if (end < start) {
      warn(node, `cue ends (${end} s) before it starts (${start} s); cue skipped`);
      return;
    }
    cues.push({ index: cues.length + 1, start, end, text: sanitizeCueText(textOf(node), 'text').text });
  };
  /** The interval of an element inside a parent interval, or null when one of its times is malformed. */
  const interval = (el: XmlNode, parentBegin: number, parentEnd: number): { begin: number; end: number; timed: boolean } | null => {
    const read = (name: string): number | undefined | null => {
      const v = attr(el, name);
      if (v === undefined) return undefined;
      const t = ttmlTime(v, rates);
      if (t === null) warn(el, `malformed ${name}="${v}" (expected a clock time like 00:00:01.500 or an offset like 1.5s); element skipped`);
      return t;
    };
    const b = read('begin');
    const e = read('end');
    const d = read('dur');
    if (b === null || e === null || d === null) return null;
    const begin = parentBegin + (b ?? 0);
    let end = parentEnd;
    if (e !== undefined) end = Math.min(end, parentBegin + e);
    if (d !== undefined) end = Math.min(end, begin + d);
    return { begin, end, timed: b !== undefined || e !== undefined || d !== undefined };
  };
  const walk = (el: XmlNode, parentBegin: number, parentEnd: number): void => {
    for (const child of children(el)) {
      if (child.nodeType !== ELEMENT) continue;
      const name = child.localName ?? '';
      if (name === 'head' || name === 'metadata') continue;
      const span = interval(child, parentBegin, parentEnd);
      if (span === null) continue;
      if (name === 'p') {
        if (Number.isFinite(span.end)) {
          push(child, span.begin, span.end);
          continue;
        }
        const before = cues.length;
        for (const s of children(child)) {
          if (s.nodeType !== ELEMENT || s.localName !== 'span') continue;
          const inner = interval(s, span.begin, span.end);
          if (inner && inner.timed && Number.isFinite(inner.end)) push(s, inner.begin, inner.end);
        }
        if (cues.length === before) warn(child, 'paragraph without an end time (no end or dur on it or on an element around it); skipped');
        continue;
      }
      walk(child, span.begin, span.end);
    }
  };
  walk(root, 0, Infinity);
  return cues;
}
