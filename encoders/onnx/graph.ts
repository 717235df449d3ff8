import {
  AttrType,
  DataType,
  GraphProto,
  ModelProto,
  TensorProto,
  encodeVarint,
  lengthDelimitedTag,
  type DataTypeCode,
} from './proto.js';
import { writeHashedFile } from './hashed-file.js';
import { fillTensor, type Init } from './rng.js';

/** A typed ONNX attribute value; ints and floats are told apart explicitly because JS numbers are not. */
export type Attr =
  | { type: 'int'; value: number }
  | { type: 'float'; value: number }
  | { type: 'ints'; value: readonly number[] }
  | { type: 'floats'; value: readonly number[] }
  | { type: 'string'; value: string };

export const int = (value: number): Attr => ({ type: 'int', value });
export const float = (value: number): Attr => ({ type: 'float', value });
export const ints = (value: readonly number[]): Attr => ({ type: 'ints', value });

/** A dimension: a fixed size or a symbolic name (`batch_size`, `sequence_length`) for a dynamic axis. */
export type Dim = number | string;

interface ValueInfo {
  name: string;
  elemType: DataTypeCode;
  dims: readonly Dim[];
}

interface NodeSpec {
  opType: string;
  name: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attrs: Readonly<Record<string, Attr>>;
}

/** An initializer whose bytes are produced only when the file is written, so a 400 MB model never sits in memory whole. */
interface InitializerSpec {
  name: string;
  dims: readonly number[];
  dataType: DataTypeCode;
  byteLength: number;
  /** Weights count as parameters; shape tensors and scalar constants do not. */
  isParameter: boolean;
  bytes: (seed: number) => Uint8Array;
}

/** What was written: where, how big, its digest and its parameter count. */
export interface WrittenModel {
  path: string;
  bytes: number;
  sha256: string;
  parameters: number;
}

const numel = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

/**
 * Collects nodes, inputs, outputs and lazily generated initializers, then streams an ONNX
 * ModelProto to disk. Node names and intermediate value names are deterministic, so the same
 * builder calls always produce the same bytes.
 */
export class GraphBuilder {
  private readonly nodes: NodeSpec[] = [];
  private readonly inits: InitializerSpec[] = [];
  private readonly initNames = new Set<string>();
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private counter = 0;

  constructor(readonly name: string) {}

  input(name: string, elemType: DataTypeCode, dims: readonly Dim[]): string {
    this.inputs.push({ name, elemType, dims });
    return name;
  }

  output(name: string, elemType: DataTypeCode, dims: readonly Dim[]): void {
    this.outputs.push({ name, elemType, dims });
  }

  /** A float32 parameter filled from the seeded generator. */
  param(name: string, dims: readonly number[], init: Init): string {
    const n = numel(dims);
    return this.addInit({
      name,
      dims,
      dataType: DataType.FLOAT,
      byteLength: n * 4,
      isParameter: true,
      bytes: (seed) => {
        const data = fillTensor(new Float32Array(n), init, seed, name);
        return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      },
    });
  }

  /** A float32 parameter computed from other seeded values (e.g. positive variances). */
  derivedParam(name: string, dims: readonly number[], make: (seed: number) => Float32Array): string {
    const n = numel(dims);
    return this.addInit({
      name,
      dims,
      dataType: DataType.FLOAT,
      byteLength: n * 4,
      isParameter: true,
      bytes: (seed) => {
        const data = make(seed);
        if (data.length !== n) throw new Error(`${name}: expected ${n} values, got ${data.length}`);
        return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      },
    });
  }

  /** A constant float32 tensor (scalars use dims []). */
  constFloat(name: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    const data = Float32Array.from(values);
    return this.addInit({
      name,
      dims,
      dataType: DataType.FLOAT,
      byteLength: data.byteLength,
      isParameter: false,
      bytes: () => new Uint8Array(data.buffer),
    });
  }

  /** A constant int64 tensor, e.g. a Reshape target or Slice bounds. */
  constInt64(name: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    return this.addInit({
      name,
      dims,
      dataType: DataType.INT64,
      byteLength: data.byteLength,
      isParameter: false,
      bytes: () => new Uint8Array(data.buffer),
    });
  }

  /** Adds a node and returns its output names. */
  op(opType: string, inputs: readonly string[], attrs: Readonly<Record<string, Attr>> = {}, nOutputs = 1, outputNames?: readonly string[]): string[] {
    const id = this.counter++;
    const outputs = outputNames ?? Array.from({ length: nOutputs }, (_, k) => `/${opType}_${id}_output_${k}`);
    this.nodes.push({ opType, name: `/${opType}_${id}`, inputs, outputs, attrs });
    return [...outputs];
  }

  /** Shorthand for single-output nodes. */
  op1(opType: string, inputs: readonly string[], attrs: Readonly<Record<string, Attr>> = {}, outputName?: string): string {
    return this.op(opType, inputs, attrs, 1, outputName === undefined ? undefined : [outputName])[0];
  }

  /** Number of weight values (batch-norm running statistics included, constants not). */
  get parameterCount(): number {
    return this.inits.reduce((sum, t) => sum + (t.isParameter ? numel(t.dims) : 0), 0);
  }

  private addInit(spec: InitializerSpec): string {
    if (this.initNames.has(spec.name)) throw new Error(`duplicate initializer ${spec.name}`);
    this.initNames.add(spec.name);
    this.inits.push(spec);
    return spec.name;
  }

  /**
   * Streams the model to `path` (temp file + rename, so a crash never leaves half a model).
   * The graph's length prefix is known before any weight is generated because every
   * initializer's encoded size follows from its name and shape alone.
   */
  async write(path: string, { seed, opset = 17, irVersion = 8, producer = 'mmalign', onTensor }: {
    seed: number;
    opset?: number;
    irVersion?: number;
    producer?: string;
    onTensor?: (done: number, total: number) => void;
  }): Promise<WrittenModel> {
    const modelHead = Buffer.from(
      ModelProto.encode(
        ModelProto.fromObject({
          ir_version: irVersion,
          producer_name: producer,
          producer_version: '1',
          opset_import: [{ domain: '', version: opset }],
        }),
      ).finish(),
    );
    const graphHead = Buffer.from(
      GraphProto.encode(
        GraphProto.fromObject({
          name: this.name,
          node: this.nodes.map((n) => ({
            name: n.name,
            op_type: n.opType,
            input: [...n.inputs],
            output: [...n.outputs],
            attribute: Object.entries(n.attrs).map(([k, a]) => encodeAttr(k, a)),
          })),
          input: this.inputs.map(valueInfo),
          output: this.outputs.map(valueInfo),
        }),
      ).finish(),
    );
    // Per initializer: tag(5) varint(len) [TensorProto without raw_data] tag(9) varint(n) <raw bytes>.
    const heads = this.inits.map((t) => {
      const head = Buffer.from(
        TensorProto.encode(TensorProto.fromObject({ dims: [...t.dims], data_type: t.dataType, name: t.name })).finish(),
      );
      const rawPrefix = Buffer.concat([lengthDelimitedTag(9), encodeVarint(t.byteLength)]);
      const tensorLen = head.length + rawPrefix.length + t.byteLength;
      return { prefix: Buffer.concat([lengthDelimitedTag(5), encodeVarint(tensorLen), head, rawPrefix]) };
    });
    // Each prefix already holds the TensorProto head and the raw_data tag; add the raw bytes themselves.
    const totalGraphLen = graphHead.length + heads.reduce((s, h, i) => s + h.prefix.length + this.inits[i].byteLength, 0);

    const { bytes, sha256 } = await writeHashedFile(path, async (put) => {
      await put(modelHead);
      await put(lengthDelimitedTag(7));
      await put(encodeVarint(totalGraphLen));
      await put(graphHead);
      for (let i = 0; i < this.inits.length; i++) {
        await put(heads[i].prefix);
        const raw = this.inits[i].bytes(seed);
        if (raw.length !== this.inits[i].byteLength) throw new Error(`${this.inits[i].name}: wrong byte length`);
        await put(raw);
        onTensor?.(i + 1, this.inits.length);
      }
    });
    return { path, bytes, sha256, parameters: this.parameterCount };
  }
}

function valueInfo(v: ValueInfo): Record<string, unknown> {
  return {
    name: v.name,
    type: {
      tensor_type: {
        elem_type: v.elemType,
        shape: { dim: v.dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) },
      },
    },
  };
}

export function encodeAttr(name: string, a: Attr): Record<string, unknown> {
  switch (a.type) {
    case 'int':
      return { name, type: AttrType.INT, i: a.value };
    case 'float':
      return { name, type: AttrType.FLOAT, f: a.value };
    case 'ints':
      return { name, type: AttrType.INTS, ints: [...a.value] };
    case 'floats':
      return { name, type: AttrType.FLOATS, floats: [...a.value] };
    case 'string':
      return { name, type: AttrType.STRING, s: Buffer.from(a.value, 'utf8') };
    default:
      throw new Error(`unknown attribute type: ${JSON.stringify(a satisfies never)}`);
  }
}
