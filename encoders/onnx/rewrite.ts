import { encodeAttr, type Attr } from './graph.js';
import { writeHashedFile } from './hashed-file.js';
import type { NodeEntry, OnnxFile, OpsetEntry, TensorEntry } from './onnx-file.js';
import { GraphProto, ModelProto, TensorProto, encodeVarint, lengthDelimitedTag } from './proto.js';

/**
 * Writes a rewritten copy of an ONNX file: unchanged nodes, initializers and fields are copied byte
 * for byte from the source, new ones are encoded, and new weights are produced one group at a time
 * while the file streams out (the graph's length prefix is known before any weight is computed,
 * because every tensor's encoded size follows from its name, type and shape).
 */

/** A node the rewrite adds. */
export interface NewNode {
  opType: string;
  domain?: string;
  name: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attrs?: Readonly<Record<string, Attr>>;
}

/** Tensors whose bytes are computed together (a quantized weight, its scales and zero points). */
export interface TensorGroup {
  tensors: readonly { name: string; dims: readonly number[]; dataType: number; byteLength: number }[];
  /** The bytes of each tensor, in order; called once, while writing. */
  produce: () => readonly Uint8Array[];
}

export interface RewritePlan {
  /** The new node list in topological order: source nodes (copied) and new ones. */
  nodes: readonly (NodeEntry | NewNode)[];
  /** Source initializers to keep, copied verbatim. */
  keep: readonly TensorEntry[];
  groups: readonly TensorGroup[];
  /** value_info entries to leave out (values the rewrite no longer produces). */
  dropValueInfo: ReadonlySet<string>;
  /** Graph inputs to leave out: initializers the rewrite replaced that were also listed as (overridable) inputs. */
  dropInputs: ReadonlySet<string>;
  /** Opset imports to add (e.g. com.microsoft for contrib ops). */
  addOpsets: readonly OpsetEntry[];
  metadata: readonly { key: string; value: string }[];
}

export interface RewriteResult {
  path: string;
  bytes: number;
  sha256: string;
}

const isSourceNode = (n: NodeEntry | NewNode): n is NodeEntry => 'span' in n;

/** One field of a protobuf message, encoded by encoding a message that holds only that field. */
function encodeNode(n: NewNode): Buffer {
  return Buffer.from(
    GraphProto.encode(
      GraphProto.fromObject({
        node: [{
          name: n.name,
          op_type: n.opType,
          ...(n.domain ? { domain: n.domain } : {}),
          input: [...n.inputs],
          output: [...n.outputs],
          attribute: Object.entries(n.attrs ?? {}).map(([k, a]) => encodeAttr(k, a)),
        }],
      }),
    ).finish(),
  );
}

/** tag(5) len [TensorProto without raw_data] tag(9) len: everything of an initializer field before its bytes. */
function tensorPrefix(t: TensorGroup['tensors'][number]): Buffer {
  const head = Buffer.from(TensorProto.encode(TensorProto.fromObject({ dims: [...t.dims], data_type: t.dataType, name: t.name })).finish());
  const rawPrefix = Buffer.concat([lengthDelimitedTag(9), encodeVarint(t.byteLength)]);
  return Buffer.concat([lengthDelimitedTag(5), encodeVarint(head.length + rawPrefix.length + t.byteLength), head, rawPrefix]);
}

/** Reads a field's valueinfo name (field 1 of ValueInfoProto). */
function valueInfoName(src: OnnxFile, span: { payload: number; end: number }): string {
  const name = src.fields(span.payload, span.end, 'a value_info').find((p) => p.field === 1 && p.wire === 2);
  return name ? src.read(name.payload, name.end - name.payload).toString('utf8') : '';
}

/**
 * Streams `plan` applied to `src` to `out` atomically (temp file, fsync, rename): a crash or an error
 * leaves no partial file at `out`.
 *
 * @example
 * await writeRewritten(file, plan, 'onnx/model_quantized.onnx');
 */
export async function writeRewritten(
  src: OnnxFile,
  plan: RewritePlan,
  out: string,
  { onGroup }: { onGroup?: (done: number, total: number) => void } = {},
): Promise<RewriteResult> {
  type Piece = { bytes: Buffer } | { copy: [number, number] } | { group: number };
  const pieces: Piece[] = [];
  const len = (p: Piece): number => ('bytes' in p ? p.bytes.length : 'copy' in p ? p.copy[1] - p.copy[0] : 0);

  for (const n of plan.nodes) pieces.push(isSourceNode(n) ? { copy: [n.span.start, n.span.end] } : { bytes: encodeNode(n) });
  for (const f of src.graphFields) {
    if (f.field === 13 && f.wire === 2 && plan.dropValueInfo.has(valueInfoName(src, f))) continue;
    if (f.field === 11 && f.wire === 2 && plan.dropInputs.has(valueInfoName(src, f))) continue;
    pieces.push({ copy: [f.start, f.end] });
  }
  for (const t of plan.keep) pieces.push({ copy: [t.span.start, t.span.end] });
  const groupPrefixes = plan.groups.map((g) => g.tensors.map(tensorPrefix));
  let groupBytes = 0;
  plan.groups.forEach((g, i) => {
    pieces.push({ group: i });
    groupBytes += g.tensors.reduce((s, t, k) => s + groupPrefixes[i][k].length + t.byteLength, 0);
  });
  const graphLen = pieces.reduce((s, p) => s + len(p), 0) + groupBytes;

  const head: Buffer[] = [];
  for (const f of src.modelFields) head.push(src.read(f.start, f.end - f.start));
  head.push(Buffer.from(ModelProto.encode(ModelProto.fromObject({ opset_import: [...src.opsets, ...plan.addOpsets] })).finish()));
  if (plan.metadata.length) head.push(Buffer.from(ModelProto.encode(ModelProto.fromObject({ metadata_props: [...plan.metadata] })).finish()));
  head.push(lengthDelimitedTag(7), encodeVarint(graphLen));

  let done = 0;
  const { bytes, sha256 } = await writeHashedFile(out, async (put) => {
    for (const b of head) await put(b);
    for (const p of pieces) {
      if ('bytes' in p) await put(p.bytes);
      else if ('copy' in p) await put(src.read(p.copy[0], p.copy[1] - p.copy[0]));
      else {
        const g = plan.groups[p.group];
        const data = g.produce();
        for (let k = 0; k < g.tensors.length; k++) {
          if (data[k].length !== g.tensors[k].byteLength) throw new Error(`${g.tensors[k].name}: produced ${data[k].length} bytes, expected ${g.tensors[k].byteLength}`);
          await put(groupPrefixes[p.group][k]);
          await put(data[k]);
        }
        onGroup?.(++done, plan.groups.length);
      }
    }
  });
  return { path: out, bytes, sha256 };
}
