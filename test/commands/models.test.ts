import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { EMBEDDED_MODELS_DIR } from '../../encoders/registry.js';
import { captureIo } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

let tmp: string;
beforeEach(() => {
  tmp = tempDir('models-cli');
});

describe('mmalign models', () => {
  it('list --json shows each modality with its default, embedded and local models', async () => {
    const io = captureIo();
    expect(await runCli(['models', 'list', '--json', '--models', join(tmp, 'none')], io)).toBe(0);
    const rows = JSON.parse(io.out()) as { modality: string; defaultModel: string; embeddedModel: string; local: { id: string; source: string; generated: boolean }[] }[];
    expect(rows.map((r) => r.modality)).toEqual(['text', 'image', 'audio']);
    expect(rows[0].defaultModel).toBe('Xenova/bert-base-uncased');
    expect(rows[1].local).toContainEqual(expect.objectContaining({ id: 'mmalign/tiny-resnet', source: 'embedded', generated: true }));
  });

  it('build --preset tiny --only bert writes a loadable folder identical to the committed one', async () => {
    const io = captureIo();
    expect(await runCli(['models', 'build', '--preset', 'tiny', '--only', 'bert', '--out', tmp, '--json'], io)).toBe(0);
    const [row] = JSON.parse(io.out()) as { id: string; dir: string; sha256: string; nativeDims: number }[];
    expect(row.id).toBe('mmalign/tiny-bert');
    expect(row.dir).toBe(join(tmp, 'mmalign', 'tiny-bert'));
    expect(existsSync(join(tmp, 'mmalign', 'tiny-resnet'))).toBe(false);
    const committed = readFileSync(join(EMBEDDED_MODELS_DIR, 'mmalign', 'tiny-bert', 'onnx', 'model.onnx'));
    expect(row.sha256).toBe(createHash('sha256').update(committed).digest('hex'));
  });

  it('build rejects an unknown family as a usage error (exit 2) naming the valid ones', async () => {
    const io = captureIo();
    expect(await runCli(['models', 'build', '--only', 'gpt', '--out', tmp], io)).toBe(2);
    expect(io.err()).toMatch(/bert, resnet, wav2vec2/);
  });

  it('build without --out is a usage error', async () => {
    const io = captureIo();
    expect(await runCli(['models', 'build', '--preset', 'tiny'], io)).toBe(2);
    expect(io.err()).toMatch(/--out/);
  });

  it('pull of a model the mirror lacks exits 1 with the URL it tried', async () => {
    const io = captureIo();
    // Port 9 (discard) on loopback refuses connections: a network failure without leaving the machine.
    const code = await runCli(['models', 'pull', 'acme/missing', '--mirror', 'http://127.0.0.1:9', '--models', tmp], io);
    expect(code).toBe(1);
    expect(io.err()).toContain('http://127.0.0.1:9/acme/missing/resolve/main/config.json');
  });

  it('pull --mirror downloads a model from a loopback hub into --models and reports it as JSON', async () => {
    const hubRoot = join(tmp, 'hub');
    cpSync(join(EMBEDDED_MODELS_DIR, 'mmalign', 'tiny-resnet'), join(hubRoot, 'acme', 'resnet'), { recursive: true });
    const server = createServer((req, res) => {
      const m = /^\/(acme\/resnet)\/resolve\/main\/(.+)$/.exec(req.url ?? '');
      const file = m ? join(hubRoot, m[1], m[2]) : '';
      if (!m || !existsSync(file) || !statSync(file).isFile()) return void res.writeHead(404).end();
      res.writeHead(200).end(readFileSync(file));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const io = captureIo();
      const models = join(tmp, 'models');
      expect(await runCli(['models', 'pull', 'acme/resnet', '--mirror', mirror, '--models', models, '--json'], io)).toBe(0);
      const pulled = JSON.parse(io.out()) as { dir: string; files: { file: string }[] };
      expect(pulled.dir).toBe(join(models, 'acme', 'resnet'));
      expect(pulled.files.map((f) => f.file)).toEqual(['config.json', 'onnx/model.onnx', 'preprocessor_config.json']);
      const onnx = 'onnx/model.onnx';
      expect(readFileSync(join(pulled.dir, onnx)).equals(readFileSync(join(hubRoot, 'acme', 'resnet', onnx)))).toBe(true);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
