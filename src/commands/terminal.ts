/**
 * THE sanitiser for text printed on a terminal. Text from files (cue text, names, stray lines quoted in
 * warnings) may carry escape sequences that retitle the window, clear the screen, or hide what follows
 * (`\x1b]0;PWNED\x07\x1b[2J`), or bidi overrides that reorder what is shown. Every C0 control except line
 * feed and tab, DEL, every C1 control and the bidi embedding/override/isolate characters are printed as
 * visible escapes (`\x1b`, `\u202e`), so nothing reaches the terminal raw and the user still sees that
 * something odd was there.
 *
 * @example
 * terminalSafe('ok\u001b[2J'); // 'ok\\x1b[2J'
 */
export function terminalSafe(text: string, options: { newlines?: boolean } = {}): string {
  const keepNewlines = options.newlines ?? true;
  return text.replace(UNSAFE, (c) => {
    if (c === '\n' && keepNewlines) return c;
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
