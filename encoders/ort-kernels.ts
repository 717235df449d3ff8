import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, int, type Attr } from './onnx/graph.js';
import { DataType } from './onnx/proto.js';
import type { Kernels } from './linalg.js';
import { ORT_LOG_SEVERITY, quietOnnxRuntime } from '../src/core/ort-log.js';

type Variant = 'ab' | 'abt' | 'atb';

/** One Gemm graph per product; dynamic dims so one session serves every batch and layer shape. */
async function gemmModel(variant: Variant, dir: string): Promise<Uint8Array> {
  const g = new GraphBuilder(`mmalign-${variant}`);
  // ONNX Gemm naming: Y[M×N] = op(A)·op(B); with transA, A is [K×M]; with transB, B is [N×K].
  const a = g.input('A', DataType.FLOAT, variant === 'atb' ? ['K', 'M'] : ['M', 'K']);
  const b = g.input('B', DataType.FLOAT, variant === 'abt' ? ['N', 'K'] : ['K', 'N']);
  const attrs: Record<string, Attr> = variant === 'abt' ? { transB: int(1) } : variant === 'atb' ? { transA: int(1) } : {};
  g.op1('Gemm', [a, b], attrs, 'C');
  g.output('C', DataType.FLOAT, ['M', 'N']);
  const file = join(dir, `${variant}.onnx`);
  await g.write(file, { seed: 0 });
  return readFile(file);
}

/**
 * The trainer's matrix products on onnxruntime's CPU Gemm (MLAS: SIMD and cache blocking that
 * plain JavaScript cannot reach). The bench measures it against the TypeScript kernels; it is the
 * default backend when onnxruntime loads. Same inputs and thread count on one machine give the same
 * bits (another CPU may pick other SIMD kernels and differ in the last bits).
 *
 * @example
 * const k = await onnxKernels({ threads: 2 });
 * const c = await k.abt(x, w, batch, inDim, outDim);
 * await k.dispose();
 */
export async function onnxKernels({ threads = 1 }: { threads?: number } = {}): Promise<Kernels> {
  const dir = await mkdtemp(join(tmpdir(), 'mmalign-gemm-'));
  const sessions = {} as Record<Variant, ort.InferenceSession>;
  try {
    for (const v of ['ab', 'abt', 'atb'] as const) {
      const bytes = await gemmModel(v, dir);
      quietOnnxRuntime();
      sessions[v] = await ort.InferenceSession.create(bytes, {
        executionProviders: ['cpu'],
        logSeverityLevel: ORT_LOG_SEVERITY,
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
      });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const run = async (v: Variant, a: Float32Array, aDims: number[], b: Float32Array, bDims: number[]): Promise<Float32Array> => {
    const out = await sessions[v].run({ A: new ort.Tensor('float32', a, aDims), B: new ort.Tensor('float32', b, bDims) });
    return out.C.data as Float32Array;
  };
  const exact = (x: Float32Array, len: number) => (x.length === len ? x : x.subarray(0, len));
  return {
    name: 'onnx',
    ab: (a, b, m, k, n) => run('ab', exact(a, m * k), [m, k], exact(b, k * n), [k, n]),
    abt: (a, b, m, k, n) => run('abt', exact(a, m * k), [m, k], exact(b, n * k), [n, k]),
    // Aᵀ·B with A[m×k]: A goes in as laid out and Gemm transposes it.
    atb: (a, b, m, k, n) => run('atb', exact(a, m * k), [m, k], exact(b, m * n), [m, n]),
    dispose: async () => {
      for (const s of Object.values(sessions)) await s.release();
    },
  };
}
