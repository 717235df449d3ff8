import { cpSync, existsSync, readFileSync, readdirSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { resolveModel } from '../../encoders/models.js';
import { checkOnnxFile } from '../../encoders/onnx-check.js';
import { pullModel } from '../../encoders/pull.js';
import { startHubMimic } from '../helpers/hub-mimic.js';
import { EMBEDDED_MODELS_DIR, MODALITY_REGISTRY, getModalitySpec } from '../../encoders/registry.js';
import { InvalidOptionError, ModelDownloadError, ModelLoadError, ModelNotFoundError } from '../../src/core/errors/index.js';
import { tempDir } from '../helpers/tmp.js';

const tiny = (name: string) => join(EMBEDDED_MODELS_DIR, 'mmalign', name);
const noNetwork: typeof fetch = async () => {
  throw new Error('the network must not be used here');
};

let tmp: string;
beforeEach(() => {
  tmp = tempDir('models');
});

/** Files of a model folder, relative, sorted. */
function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  ).sort();
}

/** The shared loopback hub (test/helpers/hub-mimic.ts): hub URL layout, 401 for unknown repos, LFS redirects. */
const startHub = startHubMimic;

describe('the modality registry', () => {
  it('maps each modality to its family, real default model and embedded tiny model', () => {
    expect(MODALITY_REGISTRY.text).toMatchObject({ family: 'bert', defaultModel: 'Xenova/bert-base-uncased', embeddedModel: 'mmalign/tiny-bert', preprocessor: 'tokenizer' });
    expect(MODALITY_REGISTRY.image).toMatchObject({ family: 'resnet', defaultModel: 'Xenova/resnet-50', embeddedModel: 'mmalign/tiny-resnet', preprocessor: 'image' });
    expect(MODALITY_REGISTRY.audio).toMatchObject({ family: 'wav2vec2', defaultModel: 'Xenova/wav2vec2-base-960h', embeddedModel: 'mmalign/tiny-wav2vec2', preprocessor: 'audio' });
    expect(Object.isFrozen(MODALITY_REGISTRY)).toBe(true);
  });

  it('rejects an unknown modality with the list of valid ones', () => {
    expect(() => getModalitySpec('video')).toThrow(InvalidOptionError);
    expect(() => getModalitySpec('video')).toThrow(/text, image, audio/);
  });

  it('reads native widths from config.json (hidden_size, or the last ResNet stage)', () => {
    expect(MODALITY_REGISTRY.text.nativeDims({ hidden_size: 768 })).toBe(768);
    expect(MODALITY_REGISTRY.image.nativeDims({ hidden_sizes: [256, 512, 1024, 2048] })).toBe(2048);
    expect(() => MODALITY_REGISTRY.audio.nativeDims({})).toThrow(InvalidOptionError);
  });
});

describe('resolveModel', () => {
  it('uses the embedded tiny model of each modality when no model is named, without the network', async () => {
    const expected = { text: 32, image: 256, audio: 64 } as const;
    for (const modality of ['text', 'image', 'audio'] as const) {
      const m = await resolveModel(modality, { modelsDir: undefined, cacheDir: join(tmp, 'cache'), fetch: noNetwork });
      expect(m.source).toBe('embedded');
      expect(m.id).toBe(MODALITY_REGISTRY[modality].embeddedModel);
      expect(m.nativeDims).toBe(expected[modality]);
      expect(m.generated).toBe(true);
      expect(existsSync(m.onnxFile)).toBe(true);
    }
  });

  it('finds a hub id in the models folder before anywhere else', async () => {
    const models = join(tmp, 'models');
    cpSync(tiny('tiny-bert'), join(models, 'Xenova', 'bert-base-uncased'), { recursive: true });
    const m = await resolveModel('text', { model: 'Xenova/bert-base-uncased', modelsDir: models, cacheDir: join(tmp, 'cache'), fetch: noNetwork });
    expect(m.source).toBe('models-dir');
    expect(m.dir).toBe(join(models, 'Xenova', 'bert-base-uncased'));
    expect(m.transformers).toEqual({ localModelPath: join(models, 'Xenova') + '/', modelId: 'bert-base-uncased' });
  });

  it('accepts a model folder path', async () => {
    const dir = join(tmp, 'my-resnet');
    cpSync(tiny('tiny-resnet'), dir, { recursive: true });
    const m = await resolveModel('image', { model: dir, fetch: noNetwork });
    expect(m.source).toBe('folder');
    expect(m.dir).toBe(dir);
    expect(m.nativeDims).toBe(256);
  });

  it('fails for a missing model with every place it looked and how to provide it', async () => {
    const models = join(tmp, 'models');
    const err = await resolveModel('text', { model: 'Xenova/bert-base-uncased', modelsDir: models, cacheDir: join(tmp, 'cache'), fetch: noNetwork }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelNotFoundError);
    const e = err as ModelNotFoundError;
    expect(e.searched).toEqual([
      join(models, 'Xenova', 'bert-base-uncased'),
      join(tmp, 'cache', 'Xenova', 'bert-base-uncased'),
      join(EMBEDDED_MODELS_DIR, 'Xenova', 'bert-base-uncased'),
    ]);
    for (const place of e.searched) expect(e.message).toContain(place);
    expect(e.message).toMatch(/MMALIGN_MODELS/);
    expect(e.message).toMatch(/mmalign models pull Xenova\/bert-base-uncased/);
  });

  it('refuses a model of the wrong family, naming its config.json', async () => {
    const dir = join(tmp, 'not-bert');
    cpSync(tiny('tiny-resnet'), dir, { recursive: true });
    const err = await resolveModel('text', { model: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as ModelLoadError).file).toBe(join(dir, 'config.json'));
    expect((err as ModelLoadError).message).toMatch(/model_type is "resnet", but text needs a "bert" model/);
  });

  it('reports a truncated model.onnx as a ModelLoadError naming the file', async () => {
    const dir = join(tmp, 'broken-bert');
    cpSync(tiny('tiny-bert'), dir, { recursive: true });
    const onnx = join(dir, 'onnx', 'model.onnx');
    truncateSync(onnx, Math.floor(statSync(onnx).size * 0.6));
    const err = await resolveModel('text', { model: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as ModelLoadError).file).toBe(onnx);
    expect((err as ModelLoadError).message).toContain(onnx);
    expect((err as ModelLoadError).message).toMatch(/truncated/);
  });

  it('reports a model.onnx that is not ONNX at all as a ModelLoadError', async () => {
    const dir = join(tmp, 'garbage-wav2vec2');
    cpSync(tiny('tiny-wav2vec2'), dir, { recursive: true });
    writeFileSync(join(dir, 'onnx', 'model.onnx'), '<html>404 Not Found</html>\n');
    const err = await resolveModel('audio', { model: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as ModelLoadError).message).toMatch(/model\.onnx: (not an ONNX model|truncated)/);
  });

  it('rejects ids that could escape the models folder', async () => {
    await expect(resolveModel('text', { model: 'Xenova/../../etc' })).rejects.toThrow(InvalidOptionError);
  });

  it('downloads a model it cannot find locally only when remote access is allowed', async () => {
    const hubRoot = join(tmp, 'hub');
    cpSync(tiny('tiny-wav2vec2'), join(hubRoot, 'acme', 'w2v'), { recursive: true });
    const hub = await startHub(hubRoot);
    try {
      const cacheDir = join(tmp, 'cache');
      await expect(resolveModel('audio', { model: 'acme/w2v', cacheDir, remoteHost: hub.url })).rejects.toThrow(ModelNotFoundError);
      expect(hub.requests).toEqual([]);
      const m = await resolveModel('audio', { model: 'acme/w2v', cacheDir, remoteHost: hub.url, allowRemote: true });
      expect(m.source).toBe('downloaded');
      expect(m.dir).toBe(join(cacheDir, 'acme', 'w2v'));
      const again = await resolveModel('audio', { model: 'acme/w2v', cacheDir, remoteHost: 'http://127.0.0.1:9', allowRemote: true });
      expect(again.source).toBe('cache');
    } finally {
      await hub.stop();
    }
  });
});

describe('checkOnnxFile', () => {
  it('accepts each committed tiny model', () => {
    for (const name of ['tiny-bert', 'tiny-resnet', 'tiny-wav2vec2']) expect(checkOnnxFile(join(tiny(name), 'onnx', 'model.onnx'))).toBeNull();
  });

  it('says an empty file is empty', () => {
    const f = join(tmp, 'empty.onnx');
    writeFileSync(f, '');
    expect(checkOnnxFile(f)).toMatch(/empty/);
  });
});

describe('pullModel', () => {
  it('downloads a model folder from a hub-layout mirror byte for byte', async () => {
    const hubRoot = join(tmp, 'hub');
    cpSync(tiny('tiny-bert'), join(hubRoot, 'mmalign', 'tiny-bert'), { recursive: true });
    const hub = await startHub(hubRoot);
    try {
      const models = join(tmp, 'models');
      const pulled = await pullModel('mmalign/tiny-bert', { modelsDir: models, remoteHost: hub.url, fetch: globalThis.fetch, dtypes: ['q8'] });
      expect(pulled.dir).toBe(join(models, 'mmalign', 'tiny-bert'));
      expect(listFiles(pulled.dir)).toEqual(listFiles(tiny('tiny-bert')));
      for (const f of listFiles(pulled.dir)) {
        expect(readFileSync(join(pulled.dir, f)).equals(readFileSync(join(tiny('tiny-bert'), f))), f).toBe(true);
      }
      expect(hub.requests).toContain('/mmalign/tiny-bert/resolve/main/onnx/model.onnx');
      const resolved = await resolveModel('text', { model: 'mmalign/tiny-bert', modelsDir: models, fetch: noNetwork });
      expect(resolved.source).toBe('models-dir');
    } finally {
      await hub.stop();
    }
  });

  it('fails with ModelNotFoundError for an id the mirror does not have', async () => {
    const hub = await startHub(join(tmp, 'empty-hub'));
    try {
      const err = await pullModel('nobody/nothing', { modelsDir: join(tmp, 'models'), remoteHost: hub.url }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ModelNotFoundError);
      expect((err as Error).message).toContain(`${hub.url}/nobody/nothing/resolve/main/config.json`);
    } finally {
      await hub.stop();
    }
  });

  it('leaves nothing behind when a download breaks off mid-file', async () => {
    const hubRoot = join(tmp, 'hub');
    cpSync(tiny('tiny-resnet'), join(hubRoot, 'acme', 'resnet'), { recursive: true });
    const hub = await startHub(hubRoot, { breakFile: 'model.onnx' });
    try {
      const models = join(tmp, 'models');
      const err = await pullModel('acme/resnet', { modelsDir: models, remoteHost: hub.url }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ModelDownloadError);
      expect((err as ModelDownloadError).url).toBe(`${hub.url}/acme/resnet/resolve/main/onnx/model.onnx`);
      expect(existsSync(join(models, 'acme', 'resnet', 'config.json'))).toBe(false);
      expect(existsSync(join(models, 'acme')) ? readdirSync(join(models, 'acme')) : []).toEqual([]);
    } finally {
      await hub.stop();
    }
  });

  it('fetches requested ONNX variants by their transformers.js file names', async () => {
    const hubRoot = join(tmp, 'hub');
    const src = join(hubRoot, 'acme', 'bert');
    cpSync(tiny('tiny-bert'), src, { recursive: true });
    cpSync(join(src, 'onnx', 'model.onnx'), join(src, 'onnx', 'model_quantized.onnx'));
    const hub = await startHub(hubRoot);
    try {
      const pulled = await pullModel('acme/bert', { modelsDir: join(tmp, 'models'), remoteHost: hub.url, dtypes: ['q8'] });
      expect(pulled.files.map((f) => f.file)).toContain('onnx/model_quantized.onnx');
      const missing = await pullModel('acme/bert', { modelsDir: join(tmp, 'models2'), remoteHost: hub.url, dtypes: ['fp16'] }).catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(ModelDownloadError);
      expect((missing as Error).message).toMatch(/onnx\/model_fp16\.onnx is missing/);
    } finally {
      await hub.stop();
    }
  });

  it('rejects a mirror that is not an http(s) URL', async () => {
    await expect(pullModel('acme/x', { modelsDir: tmp, remoteHost: 'ftp://example.org' })).rejects.toThrow(InvalidOptionError);
  });
});
