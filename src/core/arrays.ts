/**
 * Array helpers for lists of any length. `target.push(...items)` and `Math.max(...items)` pass every
 * element as an argument, which overflows the call stack near 120k elements (a 206k-cue subtitle file
 * did); these loop instead. The layout test refuses a spread into such calls anywhere in the sources.
 */

/**
 * Appends every item to `target`, in order, and returns `target`.
 *
 * @example
 * const all: Cue[] = [];
 * appendAll(all, doc.cues); // any length
 */
export function appendAll<T>(target: T[], items: Iterable<T>): T[] {
  for (const item of items) target.push(item);
  return target;
}

/**
 * The largest of `values`, or `empty` when there are none (Math.max() of nothing is -Infinity).
 *
 * @example
 * maxOf(windows.map((w) => w.length), 0);
 */
export function maxOf(values: Iterable<number>, empty = -Infinity): number {
  let best = -Infinity;
  let any = false;
  for (const v of values) {
    any = true;
    if (Number.isNaN(v)) return NaN;
    if (v > best) best = v;
  }
  return any ? best : empty;
}
