import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Modality } from '../../src/core/types.js';
import { spawnCli } from '../helpers/cli.js';
import { HUB_MIMIC_IDS, startHubMimic, writeHubMimic, type HubMimic } from '../helpers/hub-mimic.js';
import { SAMPLE_MP4, SAMPLE_SRT } from '../helpers/media.js';
import { sharedTempDir } from '../helpers/tmp.js';

// `mmalign align` as a user runs it on real models: hub ids on the command line, HF_ENDPOINT pointing at
// the loopback hub mimic (the child's environment, read by src/core/env.ts), downloads allowed.
const root = sharedTempDir('real-models');
const hubRoot = path.join(root, 'hub');
// The child's pull cache ($XDG_CACHE_HOME/mmalign/models) and no models folder of the developer's.
const childEnv = (endpoint: string) => ({ HF_ENDPOINT: endpoint, XDG_CACHE_HOME: path.join(root, 'xdg'), MMALIGN_MODELS: '' });
const modelFlags = ['--text-model', HUB_MIMIC_IDS.text, '--image-model', HUB_MIMIC_IDS.image, '--audio-model', HUB_MIMIC_IDS.audio, '--allow-remote'];
const alignArgs = (out: string) => ['align', SAMPLE_MP4, SAMPLE_SRT, '--out', out, ...modelFlags];

let hub: HubMimic;
let online: { code: number | null; stderr: string };
let hubEndpoint: string;

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const onnxOf = (m: Modality) => path.join(hubRoot, ...HUB_MIMIC_IDS[m].split('/'), 'onnx', 'model.onnx');
const readJson = async (file: string) => JSON.parse(await readFile(file, 'utf8')) as { models: Record<string, Record<string, unknown>> };

// One tsx start, three model loads and a download on a loaded 2-core machine.
beforeAll(async () => {
  await writeHubMimic(hubRoot);
  hub = await startHubMimic(hubRoot);
  hubEndpoint = hub.url;
  online = await spawnCli(alignArgs(path.join(root, 'online')), { env: childEnv(hub.url) }).done;
}, 240_000);
afterAll(async () => {
  await hub?.stop();
});

describe('align with hub models named on the command line', { timeout: 240_000 }, () => {
  it('downloads each model from HF_ENDPOINT and records its id, dtype, device and ONNX sha256 in run.json', async () => {
    expect(online.stderr).not.toMatch(/\n\s+at /);
    expect(online.code).toBe(0);
    const run = await readJson(path.join(root, 'online', 'run.json'));
    for (const m of ['text', 'image', 'audio'] as const) {
      expect(run.models[m]).toMatchObject({ model: HUB_MIMIC_IDS[m], dtype: 'fp32', device: 'cpu', fingerprint: sha256(onnxOf(m)) });
    }
    expect(hub.requests).toContain(`/${HUB_MIMIC_IDS.text}/resolve/main/tokenizer.json`);
  });

  it('records the same models in embeddings.json next to the vectors', async () => {
    const index = await readJson(path.join(root, 'online', 'embeddings.json'));
    expect(index.models.image).toMatchObject({ model: HUB_MIMIC_IDS.image, fingerprint: sha256(onnxOf('image')) });
  });

  it('prints no note about generated models when every modality has a real one', () => {
    expect(online.stderr).not.toMatch(/not semantic/);
  });

  it('runs the same command from the cache alone once the hub is gone', async () => {
    await hub.stop();
    const out = path.join(root, 'offline');
    const again = await spawnCli(alignArgs(out), { env: childEnv(hubEndpoint) }).done;
    expect(again.code).toBe(0);
    // The same warnings as the run that downloaded (cues past the end, pooled logits), none about the network.
    const lines = (s: string) => s.split('\n').filter(Boolean).sort();
    expect(lines(again.stderr)).toEqual(lines(online.stderr));
    const run = await readJson(path.join(out, 'run.json'));
    expect(run.models.text).toMatchObject({ model: HUB_MIMIC_IDS.text, fingerprint: sha256(onnxOf('text')) });
  });
});
