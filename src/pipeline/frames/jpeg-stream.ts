/** Splitting ffmpeg's MJPEG pipe back into single JPEGs. */

/**
 * Splits a concatenated MJPEG stream into JPEGs by walking marker segments (an EOI byte pair can
 * occur inside a table, never inside stuffed entropy-coded data).
 *
 * @example
 * const splitter = new JpegStreamSplitter();
 * for (const jpeg of splitter.push(chunk)) save(jpeg);
 */
export class JpegStreamSplitter {
  private buf: Buffer = Buffer.alloc(0);
  private scanFrom = 0;
  private inScan = false;

  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Buffer[] = [];
    for (;;) {
      const end = this.findEnd();
      if (end < 0) break;
      out.push(Buffer.from(this.buf.subarray(0, end)));
      this.buf = this.buf.subarray(end);
      this.scanFrom = 0;
      this.inScan = false;
    }
    return out;
  }

  /** Bytes left over at the end of the stream (a truncated JPEG); empty when the stream ended cleanly. */
  get pending(): number {
    return this.buf.length;
  }

  private findEnd(): number {
    const b = this.buf;
    if (this.scanFrom === 0) {
      if (b.length < 2) return -1;
      if (b[0] !== 0xff || b[1] !== 0xd8) throw new Error('MJPEG stream out of sync: expected SOI');
      this.scanFrom = 2;
    }
    let i = this.scanFrom;
    while (!this.inScan) {
      if (i + 4 > b.length) {
        this.scanFrom = i;
        return -1;
      }
      if (b[i] !== 0xff) throw new Error('MJPEG stream out of sync: expected a marker');
      const marker = b[i + 1];
      if (marker === 0xff) {
        i += 1; // fill byte
        continue;
      }
      const len = b.readUInt16BE(i + 2);
      if (i + 2 + len > b.length) {
        this.scanFrom = i;
        return -1;
      }
      i += 2 + len;
      if (marker === 0xda) this.inScan = true; // start of scan: entropy-coded data follows
    }
    for (; i + 1 < b.length; i++) {
      if (b[i] !== 0xff) continue;
      const next = b[i + 1];
      if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) continue; // stuffing, restart markers
      if (next === 0xd9) return i + 2;
    }
    this.scanFrom = i;
    return -1;
  }
}
