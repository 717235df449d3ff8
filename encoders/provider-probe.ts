/**
 * Asking a child process whether a GPU execution provider works. A failing provider writes native
 * noise straight to file descriptor 2 (onnxruntime's red `[E:onnxruntime:...]` line, Dawn's
 * `vkCreateInstance` warnings) that no JavaScript setting reaches; in a child that noise lands in a
 * pipe, and only the reason comes back, for the one warning line the user sees.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { EMBEDDED_MODELS_DIR } from './registry.js';

export type GpuProvider = 'cuda' | 'webgpu';

export type ProbeResult = { ok: true } | { ok: false; reason: string };

/** A small real model every provider can run: the embedded tiny text encoder (560 KB). */
const PROBE_MODEL = `${EMBEDDED_MODELS_DIR}/mmalign/tiny-bert/onnx/model.onnx`;

// Run with `node --input-type=module -e`; argv: onnxruntime-node's URL, the model, the provider.
const CHILD = `
const [ortUrl, model, provider] = process.argv.slice(1);
const ort = await import(ortUrl);
ort.env.logLevel = 'fatal';
let result;
try {
  const session = await ort.InferenceSession.create(model, { executionProviders: [provider, 'cpu'], logSeverityLevel: 4 });
  await session.release();
  result = { ok: true };
} catch (err) {
  result = { ok: false, reason: String(err && err.message ? err.message : err) };
}
process.stdout.write(JSON.stringify(result));
`;

/**
 * Opens a session on `provider` in a child process and reports whether it worked, with the
 * provider's own error message when it did not. Resolves, never rejects.
 *
 * @example
 * const r = await probeProvider('cuda');
 * if (!r.ok) console.log(`cuda: ${r.reason}`); // "cuda: ... Failed to load shared library"
 */
export function probeProvider(provider: GpuProvider, { timeoutMs = 120_000 }: { timeoutMs?: number } = {}): Promise<ProbeResult> {
  const ortUrl = pathToFileURL(createRequire(import.meta.url).resolve('onnxruntime-node')).href;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, ortUrl, PROBE_MODEL, provider], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err = (err + s).slice(-4000)));
    child.on('error', (e) => resolve({ ok: false, reason: `the probe could not start (${e.message})` }));
    child.on('close', (code, signal) => {
      try {
        const r = JSON.parse(out) as ProbeResult;
        if (typeof r.ok === 'boolean') return resolve(r);
      } catch {
        // no answer: it crashed or hung; say how
      }
      const last = err.trim().split('\n').pop() ?? '';
      resolve({ ok: false, reason: signal ? `the probe was killed by ${signal}${last ? `: ${last}` : ''}` : `the probe exited with ${code}${last ? `: ${last}` : ''}` });
    });
  });
}
