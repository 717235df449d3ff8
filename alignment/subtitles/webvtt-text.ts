import { decodeHTML, decodeHTMLAttribute } from 'entities';

/**
 * The WebVTT cue text parsing rules (W3C WebVTT, "WebVTT cue text parsing rules"), reduced to what
 * mmalign keeps: the text content of the tree, without `<rt>` subtrees, and the first voice (`<v Name>`).
 * Every `<` starts a tag token that runs to `>` or the end of the payload; unknown or unterminated tags
 * are dropped, and an end tag only closes the element it names when that element is the current node,
 * exactly as browsers build the tree (checked against the WPT cue-text-parsing cases).
 */

type Token =
  | { kind: 'text'; value: string }
  | { kind: 'start'; name: string; annotation: string }
  | { kind: 'end'; name: string }
  | { kind: 'timestamp' };

const WS = new Set(['\t', '\n', '\f', ' ']);

function* tokenize(input: string): Generator<Token> {
  let i = 0;
  const n = input.length;
  while (i < n) {
    if (input[i] !== '<') {
      const next = input.indexOf('<', i);
      const end = next === -1 ? n : next;
      // Character references are decoded as HTML does in text (legacy names without ';' included).
      yield { kind: 'text', value: decodeHTML(input.slice(i, end)) };
      i = end;
      continue;
    }
    i++; // past '<'
    let state: 'tag' | 'start' | 'class' | 'annotation' | 'end' | 'timestamp' = 'tag';
    let result = '';
    let buffer = '';
    let emitted: Token | undefined;
    while (emitted === undefined) {
      const c = i < n ? input[i] : undefined;
      switch (state) {
        case 'tag':
          if (c === undefined) emitted = { kind: 'start', name: '', annotation: '' };
          else if (WS.has(c)) { state = 'annotation'; i++; }
          else if (c === '.') { state = 'class'; i++; }
          else if (c === '/') { state = 'end'; i++; }
          else if (c >= '0' && c <= '9') { result = c; state = 'timestamp'; i++; }
          else if (c === '>') { i++; emitted = { kind: 'start', name: '', annotation: '' }; }
          else { result = c; state = 'start'; i++; }
          break;
        case 'start':
          if (c === undefined) emitted = { kind: 'start', name: result, annotation: '' };
          else if (WS.has(c)) { buffer = c === '\n' ? c : ''; state = 'annotation'; i++; }
          else if (c === '.') { state = 'class'; i++; }
          else if (c === '>') { i++; emitted = { kind: 'start', name: result, annotation: '' }; }
          else { result += c; i++; }
          break;
        case 'class':
          // Classes carry no text; only the state changes matter.
          if (c === undefined) emitted = { kind: 'start', name: result, annotation: '' };
          else if (WS.has(c)) { buffer = ''; state = 'annotation'; i++; }
          else if (c === '>') { i++; emitted = { kind: 'start', name: result, annotation: '' }; }
          else i++;
          break;
        case 'annotation':
          if (c === undefined || c === '>') {
            if (c === '>') i++;
            emitted = { kind: 'start', name: result, annotation: decodeHTMLAttribute(buffer).replace(/[\t\n\f\r ]+/g, ' ').trim() };
          } else { buffer += c; i++; }
          break;
        case 'end':
          if (c === undefined || c === '>') {
            if (c === '>') i++;
            emitted = { kind: 'end', name: result };
          } else { result += c; i++; }
          break;
        case 'timestamp':
          if (c === undefined || c === '>') {
            if (c === '>') i++;
            emitted = { kind: 'timestamp' };
          } else { result += c; i++; }
          break;
      }
    }
    yield emitted;
  }
}

const ELEMENTS = new Set(['c', 'i', 'b', 'u', 'ruby', 'rt', 'v', 'lang']);

/**
 * Plain text and first speaker of a WebVTT cue payload.
 *
 * @example
 * webvttCueText('<v Bob>Hi <ruby>漢<rt>kan</rt></ruby>'); // { text: 'Hi 漢', speaker: 'Bob' }
 */
export function webvttCueText(payload: string): { text: string; speaker?: string } {
  // The open elements; text is kept only while no <rt> is open.
  const stack: string[] = [];
  let inRt = 0;
  let text = '';
  let speaker: string | undefined;
  for (const token of tokenize(payload)) {
    if (token.kind === 'text') {
      if (inRt === 0) text += token.value;
    } else if (token.kind === 'start') {
      if (!ELEMENTS.has(token.name)) continue;
      if (token.name === 'rt' && stack[stack.length - 1] !== 'ruby') continue;
      stack.push(token.name);
      if (token.name === 'rt') inRt++;
      if (token.name === 'v' && speaker === undefined && token.annotation !== '') speaker = token.annotation;
    } else if (token.kind === 'end') {
      const current = stack[stack.length - 1];
      if (current !== undefined && token.name === current) {
        stack.pop();
        if (current === 'rt') inRt--;
      } else if (token.name === 'ruby' && current === 'rt') {
        stack.pop();
        stack.pop();
        inRt--;
      }
    }
  }
  return speaker === undefined ? { text } : { text, speaker };
}
