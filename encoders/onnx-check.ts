/** The cheap soundness check of an ONNX file, run before onnxruntime is handed it. */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * Walks the protobuf framing of an ONNX file without decoding weights (a few hundred small reads
 * even for a 400 MB model) and says what is wrong, or null when the framing is sound. Catches
 * truncated downloads and non-ONNX files before onnxruntime gets a chance to fail obscurely.
 *
 * @example
 * checkOnnxFile('model.onnx'); // null, or e.g. 'truncated: the graph claims 438012345 bytes but only 1048576 remain'
 */
export function checkOnnxFile(path: string): string | null {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return 'empty file (0 bytes)';
    const buf = Buffer.alloc(16);
    const readVarint = (pos: number, end: number): { value: number; next: number } | null => {
      const n = readSync(fd, buf, 0, Math.min(10, end - pos), pos);
      let value = 0;
      let mul = 1;
      for (let i = 0; i < n; i++) {
        value += (buf[i] & 0x7f) * mul;
        mul *= 128;
        if ((buf[i] & 0x80) === 0) return { value, next: pos + i + 1 };
      }
      return null;
    };
    // Walks the fields in [start, end); returns where the graph field's payload lies, or an error string.
    const walk = (start: number, end: number, what: string): string | { fields: Map<number, [number, number][]> } => {
      const fields = new Map<number, [number, number][]>();
      let pos = start;
      while (pos < end) {
        const tag = readVarint(pos, end);
        if (!tag) return `truncated or corrupt ${what}: unreadable field tag at byte ${pos}`;
        const field = Math.floor(tag.value / 8);
        const wire = tag.value % 8;
        if (field === 0) return `not an ONNX model: invalid field number 0 at byte ${pos} of ${what}`;
        pos = tag.next;
        let payloadStart = pos;
        switch (wire) {
          case 0: {
            const v = readVarint(pos, end);
            if (!v) return `truncated or corrupt ${what}: unreadable varint at byte ${pos}`;
            pos = v.next;
            break;
          }
          case 1:
            pos += 8;
            break;
          case 5:
            pos += 4;
            break;
          case 2: {
            const len = readVarint(pos, end);
            if (!len) return `truncated or corrupt ${what}: unreadable length at byte ${pos}`;
            payloadStart = len.next;
            pos = len.next + len.value;
            if (pos > end) {
              return `truncated: field ${field} of ${what} claims ${len.value} bytes but only ${end - len.next} remain (file is ${size} bytes)`;
            }
            break;
          }
          default:
            return `not an ONNX model: unsupported protobuf wire type ${wire} at byte ${tag.next - 1} of ${what}`;
        }
        if (pos > end) return `truncated ${what}: field ${field} runs past the end`;
        const list = fields.get(field) ?? [];
        list.push([payloadStart, pos]);
        fields.set(field, list);
      }
      return { fields };
    };
    const top = walk(0, size, 'the model');
    if (typeof top === 'string') return top;
    const graph = top.fields.get(7);
    if (!graph || graph.length !== 1) return 'not an ONNX model: no graph (ModelProto field 7)';
    const inner = walk(graph[0][0], graph[0][1], 'the graph');
    if (typeof inner === 'string') return inner;
    if (!inner.fields.get(1)?.length) return 'corrupt: the graph has no nodes';
    return null;
  } finally {
    closeSync(fd);
  }
}
