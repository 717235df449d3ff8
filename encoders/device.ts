import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { InvalidOptionError, ModelLoadError } from '../src/core/errors/index.js';
import { DEFAULT_DEVICE } from '../src/core/defaults.js';
import type { Logger } from '../src/core/progress.js';
import { ORT_LOG_SEVERITY, quietOnnxRuntime } from '../src/core/ort-log.js';
import { probeProvider, type GpuProvider, type ProbeResult } from './provider-probe.js';
import type { Device } from './types.js';

/** An execution provider this project knows how to ask onnxruntime-node for. */
export type ExecutionProvider = 'cuda' | 'webgpu' | 'cpu';

/**
 * Device name → the execution providers tried, in order (after transformers.js's device map).
 * Every list ends on cpu: a failed GPU provider falls back instead of failing the encoder.
 */
export const DEVICE_PROVIDERS: Readonly<Record<Device, readonly ExecutionProvider[]>> = Object.freeze({
  auto: Object.freeze(['cuda', 'webgpu', 'cpu'] as const),
  cpu: Object.freeze(['cpu'] as const),
  cuda: Object.freeze(['cuda', 'cpu'] as const),
  webgpu: Object.freeze(['webgpu', 'cpu'] as const),
});

/**
 * Checks a device name and returns it typed; anything else throws the list of valid choices.
 *
 * @example
 * resolveDevice('cuda'); // 'cuda'
 * resolveDevice('gpu');  // throws InvalidOptionError: ... Expected one of auto | cpu | cuda | webgpu.
 */
export function resolveDevice(name: unknown): Device {
  if (typeof name === 'string' && Object.hasOwn(DEVICE_PROVIDERS, name)) return name as Device;
  throw new InvalidOptionError('device', name, `one of ${Object.keys(DEVICE_PROVIDERS).join(' | ')}`);
}

export const consoleLogger: Logger = { warn: (m) => console.warn(`mmalign: ${m}`) };

/**
 * Providers that failed to initialise in this process, with why. A missing CUDA library or WebGPU
 * adapter will not appear later in the same process, so later sessions skip straight past them.
 */
const providerFailures = new Map<ExecutionProvider, string>();
/** GPU providers a child process has opened a session on, so they are not probed again. */
const providerWorks = new Set<ExecutionProvider>();
/** Which (logger, provider) pairs have been told already: each logger hears of a failure once. */
const warned = new WeakMap<Logger, Set<string>>();

export interface SessionOptions {
  device?: Device;
  /** Intra-op threads; default: the machine's core count. */
  threads?: number;
  logger?: Logger;
  /** Names the model in errors. */
  modelName?: string;
  /** Where the kernel's device nodes are looked for (tests point it at a made-up /dev). Default `/dev`. */
  devRoot?: string;
  /** Asks whether a GPU provider works; default: {@link probeProvider} in a child process. */
  probe?: (provider: GpuProvider) => Promise<ProbeResult>;
}

export interface CreatedSession {
  session: ort.InferenceSession;
  /** The provider that actually runs the model. */
  provider: ExecutionProvider;
}

/**
 * Opens an ONNX session on the first provider of `device` that works; cpu is always last.
 * onnxruntime-node throws (rather than falling back) when a provider is not installed, so a GPU
 * provider is first tried in a child process ({@link probeProvider}), whose native noise never
 * reaches the terminal, once per process.
 *
 * What the user hears: `auto` on a machine without GPU device nodes skips the GPU providers
 * silently (`logger.info`, shown by `--verbose`, says why); a provider that was asked for by name,
 * or that fails although its hardware is there, is one warning through `logger.warn` with the reason.
 *
 * @example
 * const { session, provider } = await createSession('model.onnx', { device: 'cuda' });
 * // on a machine without CUDA: provider === 'cpu', and the logger heard why once
 */
export async function createSession(
  model: string | Uint8Array,
  {
    device = DEFAULT_DEVICE,
    threads = availableParallelism(),
    logger = consoleLogger,
    modelName = typeof model === 'string' ? model : '<model bytes>',
    devRoot = '/dev',
    probe = probeProvider,
  }: SessionOptions = {},
): Promise<CreatedSession> {
  const providers = DEVICE_PROVIDERS[resolveDevice(device)];
  if (!Number.isInteger(threads) || threads < 1) throw new InvalidOptionError('threads', threads, 'a positive integer');
  const failed: string[] = [];
  const absent: string[] = [];
  const modelFile = typeof model === 'string' ? model : '<model bytes>';
  for (const provider of providers) {
    if (provider !== 'cpu') {
      const noHardware = device === 'auto' ? missingHardware(provider, devRoot) : undefined;
      if (noHardware !== undefined) {
        absent.push(`${provider} (${noHardware})`);
        continue;
      }
      if (!providerFailures.has(provider) && !providerWorks.has(provider)) {
        const r = await probe(provider);
        if (r.ok) providerWorks.add(provider);
        else {
          // Asked for by name on a machine without its hardware: say so, which is the likelier cause.
          const hardware = missingHardware(provider, devRoot);
          providerFailures.set(provider, firstLine(r.reason) + (hardware ? `; ${hardware}` : ''));
        }
      }
      const known = providerFailures.get(provider);
      if (known !== undefined) {
        failed.push(`${provider} (${known})`);
        continue;
      }
    }
    const options: ort.InferenceSession.SessionOptions = {
      executionProviders: provider === 'cpu' ? ['cpu'] : [provider, 'cpu'],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      logSeverityLevel: ORT_LOG_SEVERITY,
    };
    try {
      quietOnnxRuntime();
      const session =
        typeof model === 'string' ? await ort.InferenceSession.create(model, options) : await ort.InferenceSession.create(model, options);
      if (failed.length > 0) warnOnce(logger, failed, provider);
      if (device !== provider) {
        const why = [...absent, ...failed];
        logger.info?.(`device ${device}: running on ${provider}${why.length ? `; not ${why.join(', ')}` : ''}`);
      }
      return { session, provider };
    } catch (err) {
      const reason = firstLine(err);
      if (provider === 'cpu') {
        throw new ModelLoadError(modelName, modelFile, `onnxruntime cannot load it: ${reason}`, err);
      }
      if (isProviderFailure(reason)) providerFailures.set(provider, reason);
      failed.push(`${provider} (${reason})`);
    }
  }
  // Unreachable: every provider list ends with cpu, which either returns or throws above.
  throw new ModelLoadError(modelName, modelFile, `no execution provider could load it: ${failed.join('; ')}`);
}

function warnOnce(logger: Logger, failed: readonly string[], used: ExecutionProvider): void {
  let seen = warned.get(logger);
  if (!seen) warned.set(logger, (seen = new Set()));
  const fresh = failed.filter((f) => !seen.has(f));
  if (fresh.length === 0) return;
  for (const f of fresh) seen.add(f);
  // The install hint only helps where there is an NVIDIA GPU to use.
  const hint = fresh.some((f) => f.startsWith('cuda') && !f.includes(NO_NVIDIA))
    ? ' To use the NVIDIA GPU, install onnxruntime-node\'s CUDA provider (README, "Devices and GPUs").'
    : '';
  const what = fresh.length === 1 ? `execution provider ${fresh[0]} is` : `execution providers ${fresh.join(', ')} are`;
  logger.warn(`${what} unavailable; running on ${used} instead.${hint}`);
}

const NO_NVIDIA = 'no NVIDIA device in /dev';

/**
 * For `auto` on Linux: a GPU provider cannot work without the kernel's device nodes (NVIDIA's
 * /dev/nvidiaN; a DRI render node for WebGPU), so it is not probed at all. An explicit
 * `cuda`/`webgpu` request is always tried, so its real error is what the user sees.
 */
function missingHardware(provider: ExecutionProvider, dev: string): string | undefined {
  if (provider === 'cuda' && process.platform === 'darwin') return 'no CUDA on macOS';
  if (process.platform !== 'linux' || provider === 'cpu') return undefined;
  const names = (() => {
    try {
      return readdirSync(dev);
    } catch {
      return null;
    }
  })();
  if (names === null) return undefined;
  if (provider === 'cuda') return names.some((n) => /^nvidia\d+$/.test(n)) ? undefined : NO_NVIDIA;
  const render = (() => {
    try {
      return readdirSync(`${dev}/dri`).some((n) => n.startsWith('renderD'));
    } catch {
      return false;
    }
  })();
  return render || names.some((n) => /^nvidia\d+$/.test(n)) ? undefined : 'no GPU render device in /dev/dri';
}

/** Provider-level failures (missing library, no adapter) rather than problems with this model. */
function isProviderFailure(reason: string): boolean {
  return /shared library|adapter|not (?:supported|available|bundled)|unsupported|provider|cuda|webgpu|dawn|vulkan/i.test(reason);
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  // Strip ANSI colour codes and keep the first meaningful line.
  const clean = msg.replace(/\u001b\[[0-9;]*m/g, '').trim().split('\n')[0];
  // Native messages lead with source paths and C++ signatures; the human part starts at "Failed to".
  const at = clean.lastIndexOf('Failed to');
  return (at > 0 ? clean.slice(at) : clean).slice(0, 200);
}

/** Forgets remembered provider failures (tests; or after installing a provider in a long-lived process). */
export function resetProviderFailures(): void {
  providerFailures.clear();
  providerWorks.clear();
}
