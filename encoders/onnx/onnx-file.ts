import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { InputFileError } from '../../src/core/errors/index.js';
import { NodeProto, TensorProto, DataType } from './proto.js';

/**
 * Reads the structure of an ONNX file without loading its weights: every protobuf field is located by
 * byte range, nodes and tensor headers are decoded, and weight bytes stay on disk until asked for. A
 * 440 MB BERT is walked with a few thousand small reads, so a rewrite (quantization) can stream one
 * weight at a time and copy everything it does not change byte for byte.
 */

/** One protobuf field: where its tag starts, where its payload starts, where it ends. */
export interface FieldSpan {
  field: number;
  wire: number;
  start: number;
  payload: number;
  end: number;
  /** The value of a varint field. */
  varint?: number;
}

/** A graph node, decoded, with the byte range it came from (to be copied verbatim when unchanged). */
export interface NodeEntry {
  span: FieldSpan;
  opType: string;
  domain: string;
  name: string;
  inputs: string[];
  outputs: string[];
  /** Attribute name → decoded AttributeProto (`i`, `f`, `ints`, `floats`, `s`, `type`). */
  attrs: Map<string, DecodedAttr>;
  /** True when an attribute holds a subgraph (If, Loop, Scan). */
  hasSubgraph: boolean;
}

export interface DecodedAttr {
  type?: number;
  i?: number;
  f?: number;
  ints?: number[];
  floats?: number[];
  s?: Uint8Array;
}

/** An initializer's header; its data is fetched on demand with `OnnxFile.tensorData`. */
export interface TensorEntry {
  span: FieldSpan;
  name: string;
  dims: number[];
  dataType: number;
  /** Byte range of `raw_data` in the file, when the data is stored that way (the exporters' way). */
  raw: { pos: number; len: number } | null;
  /** `float_data` etc. (small tensors some exporters write as typed fields), decoded. */
  typed: { float_data?: number[]; int64_data?: number[]; int32_data?: number[] } | null;
  /** data_location = EXTERNAL: the bytes live in another file. */
  external: boolean;
}

export interface OpsetEntry {
  domain: string;
  version: number;
}

const CHUNK = 1 << 16;

/**
 * An ONNX model file opened for structured, lazy reading.
 *
 * @example
 * const f = OnnxFile.open('model.onnx');
 * try {
 *   console.log(f.nodes.length, f.initializers.find((t) => t.name === 'encoder.layer.0.output.dense.weight')?.dims);
 * } finally {
 *   f.close();
 * }
 */
export class OnnxFile {
  /** Top-level ModelProto fields other than the graph and opset imports. */
  readonly modelFields: FieldSpan[] = [];
  readonly opsets: OpsetEntry[] = [];
  irVersion = 0;
  /** GraphProto fields other than nodes and initializers (name, inputs, outputs, value_info, ...). */
  readonly graphFields: FieldSpan[] = [];
  readonly nodes: NodeEntry[] = [];
  readonly initializers: TensorEntry[] = [];
  readonly graphOutputs: string[] = [];
  readonly size: number;
  private cacheStart = 0;
  private cache: Buffer = Buffer.alloc(0);

  private constructor(readonly path: string, private readonly fd: number) {
    this.size = fstatSync(fd).size;
  }

  static open(path: string): OnnxFile {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      throw new InputFileError(path, `cannot open it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    const f = new OnnxFile(path, fd);
    try {
      f.parse();
    } catch (err) {
      f.close();
      throw err;
    }
    return f;
  }

  close(): void {
    closeSync(this.fd);
  }

  /** Bytes [pos, pos + len) of the file. */
  read(pos: number, len: number): Buffer {
    if (pos >= this.cacheStart && pos + len <= this.cacheStart + this.cache.length) {
      return this.cache.subarray(pos - this.cacheStart, pos - this.cacheStart + len);
    }
    if (len > CHUNK) return this.readUncached(pos, len);
    this.cacheStart = pos;
    this.cache = this.readUncached(pos, Math.min(CHUNK, this.size - pos));
    return this.cache.subarray(0, len);
  }

  private readUncached(pos: number, len: number): Buffer {
    const out = Buffer.alloc(len);
    let off = 0;
    while (off < len) {
      const n = readSync(this.fd, out, off, len - off, pos + off);
      if (n === 0) throw this.fail(`truncated: wanted ${len} bytes at offset ${pos}, the file ends at ${this.size}`);
      off += n;
    }
    return out;
  }

  /** A float32 initializer's values (a fresh, aligned array). */
  floatData(t: TensorEntry): Float32Array {
    if (t.dataType !== DataType.FLOAT) throw this.fail(`initializer ${t.name} is not float32 (data_type ${t.dataType})`);
    if (t.external) throw this.fail(`initializer ${t.name} keeps its data in an external file, which mmalign does not read`);
    const n = t.dims.reduce((a, b) => a * b, 1);
    if (t.raw) {
      if (t.raw.len !== n * 4) throw this.fail(`initializer ${t.name}: raw_data holds ${t.raw.len} bytes, its shape needs ${n * 4}`);
      const bytes = this.readUncached(t.raw.pos, t.raw.len);
      return new Float32Array(bytes.buffer, bytes.byteOffset, n).slice();
    }
    const values = t.typed?.float_data ?? [];
    if (values.length !== n) throw this.fail(`initializer ${t.name}: float_data holds ${values.length} values, its shape needs ${n}`);
    return Float32Array.from(values);
  }

  /** Bad input names the file and the problem (InputFileError: exit 1, nothing written). */
  private fail(problem: string): InputFileError {
    return new InputFileError(this.path, problem);
  }

  private varint(pos: number, end: number): { value: number; next: number } {
    const b = this.read(pos, Math.min(10, end - pos));
    let value = 0;
    let mul = 1;
    for (let i = 0; i < b.length; i++) {
      value += (b[i] & 0x7f) * mul;
      mul *= 128;
      if ((b[i] & 0x80) === 0) return { value, next: pos + i + 1 };
    }
    throw this.fail(`not an ONNX model: unreadable varint at byte ${pos}`);
  }

  /** The fields in [start, end), framing checked. */
  fields(start: number, end: number, what: string): FieldSpan[] {
    const out: FieldSpan[] = [];
    let pos = start;
    while (pos < end) {
      const tag = this.varint(pos, end);
      const field = Math.floor(tag.value / 8);
      const wire = tag.value % 8;
      if (field === 0) throw this.fail(`not an ONNX model: invalid field number 0 at byte ${pos} of ${what}`);
      let payload = tag.next;
      let next: number;
      let varint: number | undefined;
      switch (wire) {
        case 0: {
          const v = this.varint(tag.next, end);
          varint = v.value;
          next = v.next;
          break;
        }
        case 1:
          next = tag.next + 8;
          break;
        case 5:
          next = tag.next + 4;
          break;
        case 2: {
          const len = this.varint(tag.next, end);
          payload = len.next;
          next = len.next + len.value;
          break;
        }
        default:
          throw this.fail(`not an ONNX model: unsupported protobuf wire type ${wire} at byte ${pos} of ${what}`);
      }
      if (next > end) throw this.fail(`truncated: field ${field} of ${what} runs past the end (file is ${this.size} bytes)`);
      out.push({ field, wire, start: pos, payload, end: next, varint });
      pos = next;
    }
    return out;
  }

  private parse(): void {
    if (this.size === 0) throw this.fail('empty file (0 bytes)');
    const top = this.fields(0, this.size, 'the model');
    const graphs = top.filter((f) => f.field === 7 && f.wire === 2);
    if (graphs.length !== 1) throw this.fail('not an ONNX model: no graph (ModelProto field 7)');
    for (const f of top) {
      if (f.field === 7) continue;
      if (f.field === 1 && f.wire === 0) this.irVersion = f.varint ?? 0;
      if (f.field === 8 && f.wire === 2) {
        const parts = this.fields(f.payload, f.end, 'an opset import');
        const domain = parts.find((p) => p.field === 1 && p.wire === 2);
        const version = parts.find((p) => p.field === 2 && p.wire === 0);
        this.opsets.push({ domain: domain ? this.read(domain.payload, domain.end - domain.payload).toString('utf8') : '', version: version?.varint ?? 0 });
        continue;
      }
      this.modelFields.push(f);
    }
    const g = graphs[0];
    for (const f of this.fields(g.payload, g.end, 'the graph')) {
      if (f.field === 1 && f.wire === 2) this.nodes.push(this.decodeNode(f));
      else if (f.field === 5 && f.wire === 2) this.initializers.push(this.decodeTensor(f));
      else {
        if (f.field === 12 && f.wire === 2) this.graphOutputs.push(this.valueInfoName(f));
        this.graphFields.push(f);
      }
    }
    if (this.nodes.length === 0) throw this.fail('corrupt: the graph has no nodes');
  }

  private decodeNode(span: FieldSpan): NodeEntry {
    let n: Record<string, unknown>;
    try {
      n = NodeProto.toObject(NodeProto.decode(this.read(span.payload, span.end - span.payload)), { longs: Number, defaults: false });
    } catch (err) {
      throw this.fail(`corrupt node at byte ${span.start}: ${(err as Error).message}`);
    }
    const attrs = new Map<string, DecodedAttr>();
    let hasSubgraph = false;
    for (const a of (n.attribute as (DecodedAttr & { name: string })[] | undefined) ?? []) {
      attrs.set(a.name, a);
      if (a.type === 5 || a.type === 10) hasSubgraph = true;
    }
    // AttributeProto.g (6) and .graphs (11) are not in our schema subset; look for them in the raw bytes.
    if (!hasSubgraph) {
      for (const f of this.fields(span.payload, span.end, 'a node')) {
        if (f.field !== 5 || f.wire !== 2) continue;
        if (this.fields(f.payload, f.end, 'an attribute').some((p) => (p.field === 6 || p.field === 11) && p.wire === 2)) hasSubgraph = true;
      }
    }
    return {
      span,
      opType: String(n.op_type ?? ''),
      domain: String(n.domain ?? ''),
      name: String(n.name ?? ''),
      inputs: (n.input as string[] | undefined) ?? [],
      outputs: (n.output as string[] | undefined) ?? [],
      attrs,
      hasSubgraph,
    };
  }

  private decodeTensor(span: FieldSpan): TensorEntry {
    const parts = this.fields(span.payload, span.end, 'an initializer');
    const rawField = parts.find((p) => p.field === 9 && p.wire === 2);
    // Decode everything but raw_data: names, shapes and small typed arrays.
    const head = Buffer.concat(parts.filter((p) => p !== rawField).map((p) => this.read(p.start, p.end - p.start)));
    const t = TensorProto.toObject(TensorProto.decode(head), { longs: Number, defaults: false }) as {
      name?: string; dims?: number[]; data_type?: number; float_data?: number[]; int64_data?: number[]; int32_data?: number[];
    };
    const location = parts.find((p) => p.field === 14 && p.wire === 0);
    const typed = t.float_data || t.int64_data || t.int32_data ? { float_data: t.float_data, int64_data: t.int64_data, int32_data: t.int32_data } : null;
    return {
      span,
      name: t.name ?? '',
      dims: t.dims ?? [],
      dataType: t.data_type ?? 0,
      raw: rawField ? { pos: rawField.payload, len: rawField.end - rawField.payload } : null,
      typed,
      external: location?.varint === 1,
    };
  }

  private valueInfoName(span: FieldSpan): string {
    const name = this.fields(span.payload, span.end, 'a graph output').find((p) => p.field === 1 && p.wire === 2);
    return name ? this.read(name.payload, name.end - name.payload).toString('utf8') : '';
  }
}
