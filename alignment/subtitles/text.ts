import { decodeHTMLStrict } from 'entities';
import { webvttCueText } from './webvtt-text.js';

/**
 * THE cue text sanitiser. Every format's payload ends here, because cue text becomes training targets
 * and dataset rows: plain text, no markup, no control characters. The markup dialect only decides how
 * tags are recognised and whether character references are still to be decoded:
 *
 * - `webvtt`: the WebVTT cue text parsing rules (every `<` starts a tag; HTML character references,
 *   legacy forms without `;` included).
 * - `html`: SRT-style payloads (SRT, SBV, MicroDVD): ASS `{\...}` overrides, `<br>` as a line break,
 *   HTML-like tags (also OCR-mangled ones: `< i>`, `< /  i >`), `&name;` / `&#n;` references (the full
 *   HTML5 set, `;` required, so "AT&T" stays). "x<y and y>z" survives: `<` followed by a space, a digit or
 *   an unknown word with plain words after it is prose.
 * - `text`: text a real parser already decoded (TTML via XML, ASS after its overrides): markup-looking
 *   tags are still removed, nothing is decoded again.
 *
 * Then, for all: `<script>`/`<style>` elements and HTML comments go with their content; `<rt>`/`<rp>`
 * ruby annotations go with theirs; terminal escape sequences (CSI `ESC[...`, OSC `ESC]...BEL`, ...) go
 * whole; the remaining C0 controls except `\n` and `\t`, DEL and C1 controls are removed; each line is
 * trimmed and blank lines are dropped. Character references are decoded once (after tags are removed), so
 * `&lt;b&gt;` is the text "<b>", never a tag.
 *
 * @example
 * sanitizeCueText('<i>Tom</i> &amp; <script>x()</script>Jerry\u001b[2J').text; // 'Tom & Jerry'
 */
export function sanitizeCueText(raw: string, markup: CueMarkup = 'html'): { text: string; speaker?: string } {
  let s = raw.replace(/\r\n?/g, '\n');
  s = s.replace(DANGEROUS_ELEMENT, '').replace(/<!--[\s\S]*?(?:-->|$)/g, '');
  let speaker: string | undefined;
  if (markup === 'webvtt') {
    const parsed = webvttCueText(s);
    s = parsed.text;
    speaker = parsed.speaker;
  } else {
    s = s.replace(RUBY_ANNOTATION, '');
    if (markup === 'html') s = s.replace(/\{\\[^}]*\}/g, '');
    s = s.replace(KARAOKE_STAMP, '').replace(/<\s*br\s*\/?\s*>/gi, '\n').replace(TAG, (tag: string, spaced: string, name: string, rest: string) => (isMarkup(spaced, name, rest) ? '' : tag));
    if (markup === 'html') s = decodeHTMLStrict(s);
  }
  const text = stripControls(s)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join('\n');
  const who = speaker === undefined ? '' : stripControls(speaker).trim();
  return who === '' ? { text } : { text, speaker: who };
}

/** How a payload marks up its text; see {@link sanitizeCueText}. */
export type CueMarkup = 'webvtt' | 'html' | 'text';

const DANGEROUS_ELEMENT = /<\s*(script|style|iframe|object|svg|math|template|noscript|textarea|xmp)\b[^>]*>[\s\S]*?(?:<\s*\/\s*\1\s*>|$)/gi;
const RUBY_ANNOTATION = /<\s*(rt|rp)\b[^<>]*>[\s\S]*?(?:<\s*\/\s*\1\s*>|(?=<\s*\/\s*ruby\s*>)|$)/gi;
const KARAOKE_STAMP = /<(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3}>/g;
// `<`, optional `/` (either may be spaced out by OCR), a name starting with a letter, anything up to `>`.
const TAG = /<(\s*\/?\s*)([A-Za-z][\w:-]*)([^<>]*)>/g;

/** Tag names of formatting and HTML elements: removed in any spelling (`< i>`, `</ i >`, `<I>`). */
const KNOWN_TAGS = new Set(
  (
    'a abbr b big blink body br c center cite code del div em embed font form frame frameset h1 h2 h3 h4 h5 h6 head hr html ' +
    'i iframe img input ins kbd lang li link mark marquee meta object ol p q rp rt ruby s samp small source span strike strong ' +
    'style sub sup table td th tr tt u ul v var video audio button select option label base svg math script template noscript'
  ).split(' '),
);

function isMarkup(spaced: string, name: string, rest: string): boolean {
  if (KNOWN_TAGS.has(name.toLowerCase())) return true;
  // Unknown names: a tag only when written like one, not when spaced like prose ("< x>", "x<y and y>z").
  if (/\s/.test(spaced)) return false;
  return rest === '' || /^[./]/.test(rest) || /^\s*\/?\s*$/.test(rest) || rest.includes('=');
}

// ESC-introduced sequences with their parameters (so "\x1b]0;PWNED\x07" leaves no "0;PWNED"), and their C1 forms.
const ESCAPE_SEQUENCE =
  // eslint-disable-next-line no-control-regex
  /\u001b\[[0-?]*[ -/]*[@-~]?|\u001b[\]PX^_][^\u0007\u001b\n]*(?:\u0007|\u001b\\)?|\u001b[ -/]*[0-~]?|\u009b[0-?]*[ -/]*[@-~]?|[\u009d\u0090\u0098\u009e\u009f][^\u0007\u009c\n]*[\u0007\u009c]?/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** Removes terminal escape sequences and every control character except line feed and tab. */
export function stripControls(s: string): string {
  return s.replace(ESCAPE_SEQUENCE, '').replace(CONTROL, '');
}

/**
 * Cleans the payload lines of one cue (joined by `\n`) as SRT-style text; kept for callers of the old API.
 *
 * @example
 * cleanCueText(['<i>Hello</i>', ' world ']); // 'Hello\nworld'
 */
export function cleanCueText(lines: readonly string[]): string {
  return sanitizeCueText(lines.join('\n'), 'html').text;
}

/**
 * Decodes HTML character references (the full HTML5 set, `;` required); unknown names stay as written.
 *
 * @example
 * decodeEntities('Tom &amp; Jerry &hellip;'); // 'Tom & Jerry …'
 */
export function decodeEntities(s: string): string {
  return decodeHTMLStrict(s);
}

/**
 * Escapes, as `&lt;`, every `<` that {@link sanitizeCueText} would take as markup in an SRT-style
 * payload, so written text reads back as the same text; a plain "a < b" or "x<y" stays as written.
 *
 * @example
 * escapeMarkupLike('x<y, <i>tag</i>'); // 'x<y, &lt;i>tag&lt;/i>'
 */
export function escapeMarkupLike(s: string): string {
  return s
    .replace(/<!--/g, '&lt;!--')
    .replace(KARAOKE_STAMP, (m: string) => `&lt;${m.slice(1)}`)
    .replace(TAG, (tag: string, spaced: string, name: string, rest: string) => (isMarkup(spaced, name, rest) ? `&lt;${tag.slice(1)}` : tag));
}
