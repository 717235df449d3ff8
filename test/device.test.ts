import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEncoder, DEVICE_PROVIDERS, InvalidOptionError, ModelLoadError, resolveDevice } from 'mmalign';
import { createSession, resetProviderFailures } from '../encoders/device.js';
import { runCli } from '../src/cli.js';
import { captureIo, spawnCli } from './helpers/cli.js';
import { SAMPLE_MP4, SAMPLE_SRT } from './helpers/media.js';

const MODELS = fileURLToPath(new URL('../fixtures/models', import.meta.url));
const ONNX = join(MODELS, 'mmalign', 'tiny-bert', 'onnx', 'model.onnx');

function recorder() {
  const messages: string[] = [];
  return { messages, logger: { warn: (m: string) => messages.push(m) } };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mmalign-device-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('device names', () => {
  it('accepts auto, cpu, cuda and webgpu', () => {
    for (const d of ['auto', 'cpu', 'cuda', 'webgpu']) expect(resolveDevice(d)).toBe(d);
  });

  it('rejects any other name with the list of valid choices', () => {
    const err = (() => {
      try {
        resolveDevice('gpu');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InvalidOptionError);
    expect((err as Error).message).toContain('auto | cpu | cuda | webgpu');
  });

  it('maps every device to providers that end on cpu, auto trying cuda then webgpu first', () => {
    expect(DEVICE_PROVIDERS.auto).toEqual(['cuda', 'webgpu', 'cpu']);
    for (const providers of Object.values(DEVICE_PROVIDERS)) expect(providers[providers.length - 1]).toBe('cpu');
    expect(Object.isFrozen(DEVICE_PROVIDERS)).toBe(true);
  });
});

/** A provider probe that always fails the way a missing CUDA library does, so tests do not depend on the machine's GPU. */
const failingProbe = async () => ({ ok: false as const, reason: 'Failed to load shared library' });

describe('provider fallback', () => {
  it('falls back from cuda to cpu when cuda was asked for and says so once, with the reason', async () => {
    resetProviderFailures();
    const { messages, logger } = recorder();
    const { session, provider } = await createSession(ONNX, { device: 'cuda', logger, probe: failingProbe });
    await session.release();
    expect(provider).toBe('cpu');
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/cuda \(Failed to load shared library.*\) is unavailable; running on cpu/);
    const again = await createSession(ONNX, { device: 'cuda', logger, probe: failingProbe });
    await again.session.release();
    expect(messages).toHaveLength(1);
  });

  it('reports the provider actually used on the encoder', async () => {
    const { messages, logger } = recorder();
    const enc = await createEncoder('text', { modelsDir: MODELS, device: 'cuda', logger });
    try {
      expect(enc.device).toBe('cpu');
      expect(messages).toHaveLength(1);
      expect(messages[0]).toContain('cuda');
      expect((await enc.embed(['still works']))[0].length).toBe(256);
    } finally {
      await enc.dispose();
    }
  });

  it('on auto without GPU device nodes, runs on cpu without a warning and tells info why', async () => {
    resetProviderFailures();
    const messages: string[] = [];
    const infos: string[] = [];
    const noGpu = join(dir, 'dev-none');
    await mkdir(noGpu, { recursive: true });
    const probe = vi.fn(failingProbe);
    const { session, provider } = await createSession(ONNX, { device: 'auto', devRoot: noGpu, probe, logger: { warn: (m) => messages.push(m), info: (m) => infos.push(m) } });
    await session.release();
    expect(provider).toBe('cpu');
    expect(messages).toEqual([]);
    expect(probe).not.toHaveBeenCalled(); // nothing to probe without the hardware
    expect(infos).toEqual(['device auto: running on cpu; not cuda (no NVIDIA device in /dev), webgpu (no GPU render device in /dev/dri)']);
  });

  it('on auto with an NVIDIA device node whose provider fails, warns once naming cuda and how to install it', async () => {
    resetProviderFailures();
    const { messages, logger } = recorder();
    const nvidia = join(dir, 'dev-nvidia');
    await mkdir(nvidia, { recursive: true });
    await writeFile(join(nvidia, 'nvidia0'), '');
    const { session, provider } = await createSession(ONNX, { device: 'auto', devRoot: nvidia, probe: failingProbe, logger });
    await session.release();
    expect(provider).toBe('cpu');
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/^execution providers cuda \(Failed to load shared library\), webgpu \(Failed to load shared library\) are unavailable; running on cpu instead\. To use the NVIDIA GPU/);
  });

  it('stays silent on cpu', async () => {
    const { messages, logger } = recorder();
    const { session, provider } = await createSession(ONNX, { device: 'cpu', logger });
    await session.release();
    expect(provider).toBe('cpu');
    expect(messages).toEqual([]);
  });

  it('fails with ModelLoadError naming the file when even cpu cannot load the model', async () => {
    const bad = join(dir, 'broken.onnx');
    await writeFile(bad, 'not a protobuf');
    const err = await createSession(bad, { device: 'cpu', logger: recorder().logger }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as Error).message).toContain(bad);
  });

  it('rejects a device name at encoder creation', async () => {
    await expect(createEncoder('text', { modelsDir: MODELS, device: 'tpu' as 'cpu' })).rejects.toBeInstanceOf(InvalidOptionError);
  });
});

/** Whether this machine has the device nodes a GPU provider needs (then `auto` may rightly try one). */
function machineHasGpuNodes(): boolean {
  const dev = readdirSync('/dev');
  const dri = existsSync('/dev/dri') ? readdirSync('/dev/dri') : [];
  return dev.some((n) => /^nvidia\d+$/.test(n)) || dri.some((n) => n.startsWith('renderD'));
}

// Child processes of the CLI: a tsx start takes seconds on a loaded machine.
describe('what reaches the terminal', { timeout: 120_000 }, () => {
  const NATIVE_NOISE = /\u001b\[|onnxruntime|\[E:|vkCreateInstance|VK_ERROR|Dawn|dawn/;

  // Where the provider could work (an installed CUDA provider, a GPU for WebGPU) there is nothing to fall back from.
  const cudaInstalled = existsSync(join(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')), '..', 'bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so'));
  const missing = { cuda: !cudaInstalled, webgpu: !machineHasGpuNodes() };
  for (const device of ['cuda', 'webgpu'] as const) {
    it.runIf(missing[device])(`prints one warning line and none of onnxruntime's own for --device ${device} without that provider`, async () => {
      const r = await spawnCli(['embed', '--text', 'hello', '--device', device, '--json']).done;
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).device).toBe('cpu');
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^warning: execution provider ${device} \\(.+\\) is unavailable; running on cpu instead\\.`));
      expect(r.stderr.replace(/^warning: execution provider .*$/m, '')).not.toMatch(NATIVE_NOISE);
    });
  }

  it.runIf(!machineHasGpuNodes())('prints nothing for --device auto on a machine without a GPU, and --verbose says why cpu', async () => {
    const quiet = await spawnCli(['embed', '--text', 'hello', '--json']).done;
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
    const verbose = await spawnCli(['embed', '--text', 'hello', '--json', '--verbose']).done;
    expect(verbose.stderr.trim()).toBe('mmalign: device auto: running on cpu; not cuda (no NVIDIA device in /dev), webgpu (no GPU render device in /dev/dri)');
  });

  it.runIf(!machineHasGpuNodes())('records no device warning in run.json when align picks cpu on a machine without a GPU', async () => {
    const out = join(dir, 'align-auto');
    const io = captureIo();
    expect(await runCli(['align', SAMPLE_MP4, SAMPLE_SRT, '--out', out, '--verbose'], io)).toBe(0);
    const run = JSON.parse(await readFile(join(out, 'run.json'), 'utf8')) as { warnings: { message: string }[] };
    expect(run.warnings.map((w) => w.message).join('\n')).not.toMatch(/unavailable|cuda|webgpu/);
    expect(io.err()).not.toMatch(/^warning: .*(cuda|webgpu)/m);
    expect(io.err()).toMatch(/^mmalign: device auto: running on cpu; not cuda \(no NVIDIA device in \/dev\)/m);
  });
});
