import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { HeadsMismatchError, InputFileError, InvalidOptionError } from '../src/core/errors/index.js';
import { writeFileAtomic } from '../src/core/fs.js';
import { mulberry32 } from '../src/core/random.js';
import { EMBED_DIM, MODALITIES, type Modality } from '../src/core/types.js';

/** One affine layer, `y = W·x + b`, with W row-major `[outDim][inDim]`. */
export interface HeadLayer {
  inDim: number;
  outDim: number;
  weight: Float32Array;
  bias: Float32Array;
}

/** The head of one modality: 1 layer (linear) or 2 (linear → ReLU → linear). */
export interface HeadDef {
  modality: Modality;
  /** The model whose native output this head was made for. */
  modelId: string;
  inputDim: number;
  outputDim: number;
  layers: HeadLayer[];
}

export interface HeadsMetadata {
  /** `seeded`: random orthogonal projections (cross-modal scores mean nothing); `trained`: contrastively trained. */
  kind: 'seeded' | 'trained';
  /** Content hash of the weights; changes whenever any weight does, so caches can key on it. */
  version: string;
  createdAt: string;
  seed?: number;
  /** Training record: pairs, epochs, metrics, model ids, temperature... */
  training?: Record<string, unknown>;
}

export interface HeadSpec {
  modality: Modality;
  modelId: string;
  inputDim: number;
}

const FORMAT = 'mmalign-heads';
const FORMAT_VERSION = '1';

/**
 * Per-modality projection heads from each encoder's native width into the shared 256-d space.
 *
 * Stored as safetensors (an 8-byte little-endian header length, a JSON header, raw little-endian
 * float32 data), so Python tooling can read the same file; the header's `__metadata__` records the
 * model ids and widths each head was made for, which is what {@link assertCompatible} checks.
 *
 * @example
 * const heads = ProjectionHeads.seeded([{ modality: 'text', modelId: 'mmalign/tiny-bert', inputDim: 64 }]);
 * const v = heads.project('text', nativeVector); // Float32Array(256), unit length
 * await heads.save('heads.safetensors');
 */
export class ProjectionHeads {
  readonly metadata: HeadsMetadata;
  readonly #heads: ReadonlyMap<Modality, HeadDef>;

  constructor(heads: readonly HeadDef[], metadata: Omit<HeadsMetadata, 'version'> & { version?: string }) {
    const map = new Map<Modality, HeadDef>();
    for (const h of heads) {
      validateHead(h);
      if (map.has(h.modality)) throw new InvalidOptionError('heads', h.modality, 'at most one head per modality');
      map.set(h.modality, h);
    }
    this.#heads = map;
    this.metadata = { ...metadata, version: metadata.version ?? weightsVersion(heads) };
  }

  /**
   * Deterministic random orthogonal heads: the default until heads are trained. They preserve
   * within-modality geometry (an isometry when inputDim ≤ 256), but scores ACROSS modalities are
   * meaningless until trained heads are loaded.
   *
   * @example
   * const heads = ProjectionHeads.seeded([{ modality: 'image', modelId: 'mmalign/tiny-resnet', inputDim: 128 }], { seed: 7 });
   */
  static seeded(specs: readonly HeadSpec[], { seed = 0, outputDim = EMBED_DIM }: { seed?: number; outputDim?: number } = {}): ProjectionHeads {
    const heads = specs.map((s): HeadDef => {
      const rng = gaussian(hashSeed(`${seed}:${s.modality}:${s.modelId}:${s.inputDim}`));
      const weight = randomOrthogonal(outputDim, s.inputDim, rng);
      return {
        modality: s.modality,
        modelId: s.modelId,
        inputDim: s.inputDim,
        outputDim,
        layers: [{ inDim: s.inputDim, outDim: outputDim, weight, bias: new Float32Array(outputDim) }],
      };
    });
    return new ProjectionHeads(heads, { kind: 'seeded', seed, createdAt: new Date(0).toISOString() });
  }

  /**
   * Reads a heads file written by {@link save} (or by `mmalign heads train`).
   *
   * @example
   * const heads = await ProjectionHeads.load('heads.safetensors');
   */
  static async load(file: string): Promise<ProjectionHeads> {
    let buf: Buffer;
    try {
      buf = await readFile(file);
    } catch (err) {
      throw new InputFileError(file, `cannot read heads file (${(err as NodeJS.ErrnoException).code ?? String(err)})`, err);
    }
    return ProjectionHeads.fromBytes(buf, file);
  }

  /** Parses safetensors bytes; `file` only names the source in errors. */
  static fromBytes(buf: Uint8Array, file = '<heads>'): ProjectionHeads {
    const bad = (why: string) => new InputFileError(file, `not a valid mmalign heads file: ${why}`);
    if (buf.byteLength < 8) throw bad('too short');
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const headerLen = Number(view.getBigUint64(0, true));
    if (headerLen <= 0 || 8 + headerLen > buf.byteLength) throw bad('header length out of range (truncated?)');
    let header: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(buf.buffer, buf.byteOffset + 8, headerLen).toString('utf8'));
    } catch {
      throw bad('header is not JSON');
    }
    const meta = header.__metadata__ as Record<string, string> | undefined;
    if (!meta || meta.format !== FORMAT) throw bad(`missing "__metadata__.format": "${FORMAT}"`);
    if (meta.format_version !== FORMAT_VERSION) throw bad(`unsupported format_version ${meta.format_version}`);
    const dataStart = 8 + headerLen;
    const tensor = (name: string, expected: number): Float32Array => {
      const t = header[name] as { dtype?: string; shape?: number[]; data_offsets?: [number, number] } | undefined;
      if (!t || t.dtype !== 'F32' || !t.data_offsets) throw bad(`tensor ${name} missing or not F32`);
      const [b, e] = t.data_offsets;
      if (e - b !== expected * 4 || dataStart + e > buf.byteLength) throw bad(`tensor ${name} has the wrong size (truncated?)`);
      // Copy: the source buffer may not be 4-byte aligned, and callers may keep the heads long after.
      const out = new Float32Array(expected);
      new Uint8Array(out.buffer).set(buf.subarray(dataStart + b, dataStart + e));
      return out;
    };
    let defs: { modality: Modality; modelId: string; inputDim: number; outputDim: number; layers: { inDim: number; outDim: number }[] }[];
    let metadata: HeadsMetadata;
    try {
      defs = JSON.parse(meta.heads ?? '');
      metadata = JSON.parse(meta.metadata ?? '');
    } catch {
      throw bad('metadata is not JSON');
    }
    const heads = defs.map((d): HeadDef => ({
      modality: d.modality,
      modelId: d.modelId,
      inputDim: d.inputDim,
      outputDim: d.outputDim,
      layers: d.layers.map((l, i) => ({
        inDim: l.inDim,
        outDim: l.outDim,
        weight: tensor(`${d.modality}.${i}.weight`, l.inDim * l.outDim),
        bias: tensor(`${d.modality}.${i}.bias`, l.outDim),
      })),
    }));
    try {
      return new ProjectionHeads(heads, metadata);
    } catch (err) {
      throw bad((err as Error).message);
    }
  }

  /** Serialises to safetensors bytes. */
  toBytes(): Buffer {
    const header: Record<string, unknown> = {};
    const chunks: Buffer[] = [];
    let offset = 0;
    const defs = [];
    for (const h of this.#heads.values()) {
      defs.push({
        modality: h.modality,
        modelId: h.modelId,
        inputDim: h.inputDim,
        outputDim: h.outputDim,
        layers: h.layers.map((l) => ({ inDim: l.inDim, outDim: l.outDim })),
      });
      h.layers.forEach((l, i) => {
        for (const [name, arr, shape] of [
          [`${h.modality}.${i}.weight`, l.weight, [l.outDim, l.inDim]],
          [`${h.modality}.${i}.bias`, l.bias, [l.outDim]],
        ] as const) {
          const bytes = Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength);
          header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + bytes.byteLength] };
          chunks.push(bytes);
          offset += bytes.byteLength;
        }
      });
    }
    header.__metadata__ = {
      format: FORMAT,
      format_version: FORMAT_VERSION,
      heads: JSON.stringify(defs),
      metadata: JSON.stringify(this.metadata),
    };
    let json = JSON.stringify(header);
    json += ' '.repeat((8 - (json.length % 8)) % 8); // keep the data 8-byte aligned, as safetensors writers do
    const head = Buffer.alloc(8);
    head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
    return Buffer.concat([head, Buffer.from(json, 'utf8'), ...chunks]);
  }

  /**
   * Writes the heads atomically (temp file, fsync, rename), so a crash never leaves half a file.
   * A failed write is an `OutputError` naming the file.
   *
   * @example
   * await heads.save('out/heads.safetensors');
   */
  async save(file: string): Promise<void> {
    await writeFileAtomic(file, this.toBytes());
  }

  /** The head of a modality, if these heads have one. */
  get(modality: Modality): HeadDef | undefined {
    return this.#heads.get(modality);
  }

  /** Modalities these heads cover. */
  modalities(): Modality[] {
    return MODALITIES.filter((m) => this.#heads.has(m));
  }

  /**
   * Throws {@link HeadsMismatchError} unless the head for `modality` was made for `modelId` at `inputDim`.
   *
   * @example
   * heads.assertCompatible('text', encoder.modelId, encoder.nativeDims());
   */
  assertCompatible(modality: Modality, modelId: string, inputDim: number, file: string | null = null): void {
    const h = this.#heads.get(modality);
    if (!h || h.modelId !== modelId || h.inputDim !== inputDim) {
      throw new HeadsMismatchError(modality, { modelId, inputDim }, h ? { modelId: h.modelId, inputDim: h.inputDim } : null, file);
    }
  }

  /**
   * Projects one native embedding into the shared space and L2-normalises it.
   *
   * @example
   * const shared = heads.project('audio', pooledWav2Vec2Output);
   */
  project(modality: Modality, native: Float32Array): Float32Array {
    const h = this.#heads.get(modality);
    if (!h) throw new HeadsMismatchError(modality, { modelId: '?', inputDim: native.length }, null);
    if (native.length !== h.inputDim) {
      throw new InvalidOptionError(`${modality} native vector`, `length ${native.length}`, `length ${h.inputDim} (${h.modelId})`);
    }
    let x: Float32Array = native;
    h.layers.forEach((l, li) => {
      const y = affine(l, x);
      if (li < h.layers.length - 1) for (let i = 0; i < y.length; i++) if (y[i] < 0) y[i] = 0;
      x = y;
    });
    return l2normalize(x);
  }
}

function validateHead(h: HeadDef): void {
  if (!MODALITIES.includes(h.modality)) throw new InvalidOptionError('head modality', h.modality, MODALITIES.join(' | '));
  if (h.layers.length < 1 || h.layers.length > 2) throw new InvalidOptionError(`${h.modality} head layers`, h.layers.length, '1 or 2');
  let dim = h.inputDim;
  for (const l of h.layers) {
    if (l.inDim !== dim || l.weight.length !== l.inDim * l.outDim || l.bias.length !== l.outDim) {
      throw new InvalidOptionError(`${h.modality} head layer shape`, `${l.outDim}x${l.inDim}`, `weights matching the previous width ${dim}`);
    }
    dim = l.outDim;
  }
  if (dim !== h.outputDim) throw new InvalidOptionError(`${h.modality} head output`, dim, String(h.outputDim));
}

function affine(l: HeadLayer, x: Float32Array): Float32Array {
  const y = new Float32Array(l.outDim);
  const { weight: w, inDim } = l;
  for (let o = 0; o < l.outDim; o++) {
    let s = l.bias[o];
    const row = o * inDim;
    for (let i = 0; i < inDim; i++) s += w[row + i] * x[i];
    y[o] = s;
  }
  return y;
}

/** Scales to unit length; a zero vector stays zero rather than becoming NaN. */
export function l2normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const n = Math.sqrt(s);
  if (n > 0) for (let i = 0; i < v.length; i++) v[i] /= n;
  return v;
}

function weightsVersion(heads: readonly HeadDef[]): string {
  const h = createHash('sha256');
  for (const d of heads) {
    h.update(`${d.modality}|${d.modelId}|${d.inputDim}|${d.outputDim}|`);
    for (const l of d.layers) {
      h.update(new Uint8Array(l.weight.buffer, l.weight.byteOffset, l.weight.byteLength));
      h.update(new Uint8Array(l.bias.buffer, l.bias.byteOffset, l.bias.byteLength));
    }
  }
  return h.digest('hex').slice(0, 16);
}

function hashSeed(s: string): number {
  return createHash('sha256').update(s).digest().readUInt32LE(0);
}

/** mulberry32 → Box–Muller: identical on every platform, which the determinism tests need. */
function gaussian(seed: number): () => number {
  const uniform = mulberry32(seed);
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/**
 * A random `[rows][cols]` matrix whose rows (when rows ≤ cols) or columns (otherwise) are
 * orthonormal: modified Gram–Schmidt on Gaussian vectors along the smaller dimension.
 */
function randomOrthogonal(rows: number, cols: number, rng: () => number): Float32Array {
  const k = Math.min(rows, cols);
  const n = Math.max(rows, cols);
  const vecs: Float64Array[] = [];
  while (vecs.length < k) {
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = rng();
    for (const u of vecs) {
      let d = 0;
      for (let i = 0; i < n; i++) d += u[i] * v[i];
      for (let i = 0; i < n; i++) v[i] -= d * u[i];
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm);
    if (norm < 1e-8) continue; // numerically dependent draw: take another
    for (let i = 0; i < n; i++) v[i] /= norm;
    vecs.push(v);
  }
  const w = new Float32Array(rows * cols);
  for (let j = 0; j < k; j++) {
    for (let i = 0; i < n; i++) {
      // rows ≤ cols: vecs are rows; otherwise vecs are columns.
      if (rows <= cols) w[j * cols + i] = vecs[j][i];
      else w[i * cols + j] = vecs[j][i];
    }
  }
  return w;
}
