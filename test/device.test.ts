import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEncoder, DEVICE_PROVIDERS, InvalidOptionError, ModelLoadError, resolveDevice } from 'mmalign';
import { createSession } from '../encoders/device.js';

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

describe('provider fallback', () => {
  it('falls back from cuda to cpu on a machine without CUDA and says so once, with the reason', async () => {
    const { messages, logger } = recorder();
    const { session, provider } = await createSession(ONNX, { device: 'cuda', logger });
    await session.release();
    expect(provider).toBe('cpu');
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/cuda \(.+\) is unavailable; running on cpu/);
    const again = await createSession(ONNX, { device: 'cuda', logger });
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

  it('on auto without GPU hardware, skips the GPU providers and names both in one notice', async () => {
    const { messages, logger } = recorder();
    const { session, provider } = await createSession(ONNX, { device: 'auto', logger });
    await session.release();
    expect(provider).toBe('cpu');
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/providers cuda \(.+\), webgpu \(.+\) are unavailable; running on cpu/);
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
