import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelChoiceOf, parseDtypeFlag } from '../../src/commands/options.js';
import { runCaptured as cli } from '../helpers/cli.js';
import { SAMPLE_MP4, SAMPLE_SRT } from '../helpers/media.js';
import { tempDir } from '../helpers/tmp.js';

/** Every command that embeds, as typed before `--help`. */
const EMBEDDING_COMMANDS = [['align'], ['embed'], ['search'], ['kb', 'sync'], ['corpus', 'align'], ['heads', 'train'], ['heads', 'eval'], ['heads', 'watch']];
const MODEL_OPTIONS = ['--device <device>', '--models <dir>', '--text-model <id|dir>', '--image-model <id|dir>', '--audio-model <id|dir>', '--dtype <dtype>', '--allow-remote'];

const noteLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('note: '));

describe('the model options every embedding command shares', () => {
  it.each(EMBEDDING_COMMANDS.map((c) => [c.join(' '), c]))('are all in the help of %s', async (_name, args) => {
    const r = await cli([...args, '--help']);
    expect(r.code).toBe(0);
    for (const option of MODEL_OPTIONS) expect(r.stdout).toContain(option);
  });

  it('keep the help of --text-model naming the real default and the embedded model it replaces', async () => {
    const r = await cli(['align', '--help']);
    expect(r.stdout.replace(/\s+/g, ' ')).toContain('--text-model <id|dir> text model: a hub id (e.g. Xenova/bert-base-uncased) or a model folder (default: the embedded mmalign/tiny-bert, not semantic)');
  });

  it('accept the old heads spelling --models-dir without showing it in the help', async () => {
    const help = await cli(['heads', 'train', '--help']);
    expect(help.stdout).not.toContain('--models-dir');
    const r = await cli(['heads', 'train', path.join(tempDir('models-dir'), 'missing.jsonl'), '--out', 'x.safetensors', '--models-dir', '/nowhere']);
    expect(r.stderr).not.toMatch(/unknown option/);
  });

  it('turn --dtype q8 into the same dtype for every modality', () => {
    expect(parseDtypeFlag('q8')).toEqual({ text: 'q8', image: 'q8', audio: 'q8' });
  });

  it('let a later --dtype modality=dtype override one modality of an earlier value', () => {
    expect(parseDtypeFlag('audio=fp16', parseDtypeFlag('q8'))).toEqual({ text: 'q8', image: 'q8', audio: 'fp16' });
  });

  it('reject a --dtype for a modality that does not exist, naming the modalities', () => {
    expect(() => parseDtypeFlag('video=q8')).toThrow(/modality among text, image, audio/);
  });

  it('refuse an unknown dtype as usage (exit 2), listing the valid ones', async () => {
    const r = await cli(['embed', '--text', 'hi', '--dtype', 'q9']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--dtype: "q9"\. Expected one of fp32, fp16, q8/);
  });

  it('gather --text-model/--image-model/--audio-model into one model per modality, leaving unnamed ones out', () => {
    const choice = modelChoiceOf({ device: 'cpu', textModel: 'Xenova/bert-base-uncased', audioModel: './w2v', allowRemote: true });
    expect(choice).toEqual({ model: { text: 'Xenova/bert-base-uncased', audio: './w2v' }, dtype: {}, device: 'cpu', modelsDir: undefined, allowRemote: true });
  });

  it('refuse embed --model and --text-model that name different models', async () => {
    const r = await cli(['embed', '--text', 'hi', '--model', 'Xenova/a', '--text-model', 'Xenova/b']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--model Xenova\/a and --text-model Xenova\/b disagree/);
  });

  it('say that a model is not downloaded without --allow-remote, and how to allow it', async () => {
    const r = await cli(['embed', '--text', 'hi', '--text-model', 'Xenova/not-here-at-all', '--models', tempDir('no-models')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--allow-remote/);
  });
});

describe('the note about the embedded models', () => {
  it('is one line on stderr from embed, saying they are not semantic and how to choose real ones, with --json stdout intact', async () => {
    const r = await cli(['embed', '--text', 'hello', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ model: 'mmalign/tiny-bert', dtype: 'fp32' });
    expect(noteLines(r.stderr)).toEqual([expect.stringMatching(/not semantic.*--text-model Xenova\/bert-base-uncased .*--allow-remote/)]);
  });

  it('is printed once by align, however many encoders it loads', async () => {
    const r = await cli(['align', SAMPLE_MP4, SAMPLE_SRT, '--out', path.join(tempDir('note-align'), 'out')]);
    expect(r.code, r.stderr).toBe(0);
    expect(noteLines(r.stderr)).toHaveLength(1);
  }, 120_000);

  it('is printed by kb sync and by search on the knowledge base it fed', async () => {
    const dir = tempDir('note-kb');
    writeFileSync(path.join(dir, 'notes.txt'), 'A red car drives fast.\n');
    const kb = path.join(dir, 'kb');
    const sync = await cli(['kb', 'sync', dir, '--kb', kb, '--device', 'cpu']);
    expect(sync.code, sync.stderr).toBe(0);
    expect(noteLines(sync.stderr)).toHaveLength(1);
    const search = await cli(['search', 'a red car', '--kb', kb, '--device', 'cpu', '--json']);
    expect(search.code, search.stderr).toBe(0);
    expect(noteLines(search.stderr)).toHaveLength(1);
  }, 120_000);

  it('is not printed by align --no-embed, which loads no model', async () => {
    const r = await cli(['align', SAMPLE_MP4, SAMPLE_SRT, '--out', path.join(tempDir('note-none'), 'out'), '--no-embed']);
    expect(r.code, r.stderr).toBe(0);
    expect(noteLines(r.stderr)).toEqual([]);
  }, 120_000);
});
