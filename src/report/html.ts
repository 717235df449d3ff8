/**
 * The two ways data enters a report page: as escaped HTML text, or as a JSON blob inside a
 * `<script type="application/json">` that no cue text can close. Subtitle text is data, never markup.
 */

const HTML_ESCAPES: Readonly<Record<string, string>> = Object.freeze({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' });

/**
 * Escapes text for an HTML text node or a quoted attribute value.
 *
 * @example
 * escapeHtml('<img src=x onerror="alert(1)">'); // '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;'
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]);
}

/**
 * JSON that is safe inside `<script type="application/json">`: `<` (so neither `</script>` nor `<!--`
 * can appear), `>`, `&` and the JS line separators are written as `\uXXXX` escapes, which JSON.parse
 * reads back to the same characters.
 *
 * @example
 * jsonForScript({ text: '</script><script>alert(1)</script>' });
 * // '{"text":"\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"}'
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Seconds as `h:mm:ss.mmm` (hours only when there are any), as the page shows times.
 *
 * @example
 * formatTime(3723.5); // '1:02:03.500'
 * formatTime(12.25); // '0:12.250'
 */
export function formatTime(seconds: number): string {
  const neg = seconds < 0;
  const ms = Math.round(Math.abs(seconds) * 1000);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor(ms / 60_000) % 60;
  const s = Math.floor(ms / 1000) % 60;
  const frac = String(ms % 1000).padStart(3, '0');
  const body = h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.${frac}` : `${m}:${String(s).padStart(2, '0')}.${frac}`;
  return neg ? `-${body}` : body;
}

/**
 * A duration in words for headers: `2 h 03 min`, `4 min 05 s`, `18.0 s`.
 *
 * @example
 * formatDuration(7385); // '2 h 03 min'
 */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor(total / 60) % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  return `${m} min ${String(total % 60).padStart(2, '0')} s`;
}

/** Numbers as the header prints them: integers grouped (`7,000`), others to 3 decimals. */
export function formatCount(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString('en-US') : n.toFixed(3);
}
