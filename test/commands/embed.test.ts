import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { makeImages, norm, type ImageFixtures } from '../helpers/encoder-media.js';
import { captureIo } from '../helpers/cli.js';
import { sharedTempDir } from '../helpers/tmp.js';

const dir = sharedTempDir('embed-cli');
let img: ImageFixtures;
beforeAll(async () => {
  img = await makeImages(dir);
});

describe('mmalign embed', () => {
  it('prints a text vector as JSON with its modality, model, device and 256 dims', async () => {
    const c = captureIo();
    expect(await runCli(['embed', '--text', 'a dog on the beach', '--device', 'cpu', '--json'], c)).toBe(0);
    const out = JSON.parse(c.out());
    expect(out).toMatchObject({ modality: 'text', model: 'mmalign/tiny-bert', device: 'cpu', dims: 256 });
    expect(out.vector).toHaveLength(256);
    expect(norm(out.vector)).toBeCloseTo(1, 5);
  });

  it('prints the native vector with --native', async () => {
    const c = captureIo();
    expect(await runCli(['embed', '--image', img.png, '--device', 'cpu', '--native', '--json'], c)).toBe(0);
    const out = JSON.parse(c.out());
    expect(out.modality).toBe('image');
    expect(out.dims).toBe(256); // tiny-resnet's last stage is 256 wide
    expect(Math.abs(norm(out.vector) - 1)).toBeGreaterThan(1e-3); // not normalised: before the head
  });

  it('prints plain space-separated numbers without --json', async () => {
    const c = captureIo();
    expect(await runCli(['embed', '--text', 'hello', '--device', 'cpu'], c)).toBe(0);
    expect(c.out().trim().split(' ')).toHaveLength(256);
  });

  it('uses the heads file given with --heads and refuses heads for another model', async () => {
    const { ProjectionHeads } = await import('mmalign');
    const file = join(dir, 'other.safetensors');
    await ProjectionHeads.seeded([{ modality: 'text', modelId: 'other/model', inputDim: 32 }]).save(file);
    const c = captureIo();
    expect(await runCli(['embed', '--text', 'hello', '--device', 'cpu', '--heads', file], c)).toBe(1);
    expect(c.err()).toContain('other/model');
  });

  it('exits 2 when no input or two inputs are given', async () => {
    const none = captureIo();
    expect(await runCli(['embed', '--json'], none)).toBe(2);
    expect(none.err()).toMatch(/exactly one of --text, --image or --audio/);
    const two = captureIo();
    expect(await runCli(['embed', '--text', 'x', '--image', img.png], two)).toBe(2);
  });

  it('exits 2 for an unknown device, listing the choices', async () => {
    const c = captureIo();
    expect(await runCli(['embed', '--text', 'x', '--device', 'gpu'], c)).toBe(2);
    expect(c.err()).toMatch(/auto.*cpu.*cuda.*webgpu/);
  });

  it('exits 1 naming a file that is not an image', async () => {
    const c = captureIo();
    expect(await runCli(['embed', '--image', img.notAnImage, '--device', 'cpu'], c)).toBe(1);
    expect(c.err()).toContain(img.notAnImage);
    expect(c.out()).toBe('');
  });

  it('exits 1 naming a missing audio file', async () => {
    const missing = join(dir, 'missing.wav');
    const c = captureIo();
    expect(await runCli(['embed', '--audio', missing, '--device', 'cpu'], c)).toBe(1);
    expect(c.err()).toContain(missing);
  });
});
