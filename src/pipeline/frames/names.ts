/** Frame file names: one name per time, sorting in time order. */

/**
 * A frame's file name from its time: `t000012.500.jpg`. Zero-padded milliseconds so names sort
 * in time order and one name maps to one time (to the ms).
 *
 * @example
 * frameFileName(12.5); // 't000012.500.jpg'
 */
export function frameFileName(time: number): string {
  const ms = Math.round(time * 1000);
  const s = Math.floor(ms / 1000);
  return `t${String(s).padStart(6, '0')}.${String(ms % 1000).padStart(3, '0')}.jpg`;
}
