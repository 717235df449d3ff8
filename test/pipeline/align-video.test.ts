import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { alignVideo, type AlignedSink, type EncoderFactory } from '../../src/pipeline/index.js';
import type { Encoder } from '../../encoders/types.js';
import { EMBED_DIM, type Modality } from '../../src/core/types.js';
import { SAMPLE_MP4, SAMPLE_SRT, SAMPLE_VTT, ffmpegMake, frameNumberOf } from '../helpers/media.js';
import { captureIo } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { defaultBinary } from '../../src/core/ffmpeg/index.js';

let dir: string;
beforeEach(() => {
  dir = tempDir('align');
});

async function readJsonl(file: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(file, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text.trimEnd().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

interface Summary {
  frames: number;
  pairs: number;
  unpairedFrames: number;
  unpairedCues: number;
  dropped: { duplicates: number; emptyText: number };
  train: number;
  dev: number;
  framesReused: boolean;
  seconds: Record<string, number>;
}

async function alignJson(args: string[]): Promise<{ code: number; summary: Summary; io: ReturnType<typeof captureIo> }> {
  const io = captureIo();
  const code = await runCli(['align', ...args, '--json'], io);
  return { code, summary: code === 0 ? (JSON.parse(io.out()) as Summary) : ({} as Summary), io };
}

/** A deterministic stand-in encoder: tests the pipeline's wiring, not any model. */
function fakeEncoders(calls: Modality[] = []): EncoderFactory {
  return async (modality) => {
    calls.push(modality);
    const vec = (seed: number) => {
      const v = new Float32Array(EMBED_DIM);
      v[seed % EMBED_DIM] = 0.6;
      v[(seed * 7 + 1) % EMBED_DIM] = 0.8;
      return v;
    };
    const enc: Encoder = {
      modality,
      modelId: `fake-${modality}`,
      device: 'cpu',
      ndims: () => EMBED_DIM,
      nativeDims: () => 8,
      embed: async (batch) => batch.map((_, i) => vec(i)),
      embedSettled: async (batch) =>
        batch.map((item: unknown, i) => {
          const size = typeof item === 'string' ? item.length : item instanceof Uint8Array ? item.length : (item as { samples: Float32Array }).samples.length;
          return { ok: true as const, vector: vec(size + i) };
        }),
      embedNative: async (batch) => batch.map(() => new Float32Array(8)),
      dispose: async () => {},
    };
    return enc;
  };
}

describe('mmalign align --no-embed', () => {
  it('writes frames, pairs, a GLM-4V train/dev split and run.json for the fixture video', async () => {
    const out = path.join(dir, 'out');
    const { code, summary } = await alignJson([SAMPLE_MP4, SAMPLE_SRT, '--out', out, '--no-embed']);
    expect(code).toBe(0);
    expect(summary.frames).toBe(18);
    expect(summary.pairs + summary.unpairedFrames + summary.dropped.duplicates + summary.dropped.emptyText).toBe(summary.frames);
    expect(Object.keys(summary.seconds)).toEqual(['probe', 'subtitles', 'sync', 'frames', 'audio', 'align', 'embed', 'export']);
    expect(summary.seconds.frames).toBeGreaterThan(0);
    const pairs = await readJsonl(path.join(out, 'pairs.jsonl'));
    expect(pairs).toHaveLength(summary.pairs);
    for (const p of pairs) {
      expect(path.isAbsolute(p.frame as string)).toBe(true);
      expect(existsSync(p.frame as string)).toBe(true);
      expect(p.video).toBe(SAMPLE_MP4);
      expect(p.distance as number).toBeLessThanOrEqual(0.5);
    }
    const train = await readJsonl(path.join(out, 'train.jsonl'));
    const dev = await readJsonl(path.join(out, 'dev.jsonl'));
    expect(train.length + dev.length).toBe(pairs.length);
    expect(train[0]).toEqual({
      messages: [
        { role: 'user', content: expect.any(String), image: expect.stringMatching(/^\/.*frames\/t\d{6}\.\d{3}\.jpg$/) },
        { role: 'assistant', content: expect.any(String) },
      ],
    });
    const run = JSON.parse(await readFile(path.join(out, 'run.json'), 'utf8')) as { pairs: number; options: { format: string } };
    expect(run.pairs).toBe(summary.pairs);
    expect(run.options.format).toBe('glm4v');
    expect(existsSync(path.join(out, 'dataset_info.json'))).toBe(false); // only the LLaMA-Factory (glm41v) format has a card
  });

  it('names each frame by its true time, checked against the frame number drawn in it', async () => {
    const out = path.join(dir, 'out');
    await alignJson([SAMPLE_MP4, SAMPLE_SRT, '--out', out, '--no-embed', '--fps', '2']);
    const names = (await readdir(path.join(out, 'frames'))).filter((n) => n.endsWith('.jpg'));
    expect(names).toHaveLength(36);
    // 3.5 s falls between frames 87 (3.48 s) and 88 (3.52 s): the file says 3.520, the frame it holds.
    expect(names).toContain('t000003.520.jpg');
    for (const name of names.filter((_, i) => i % 7 === 0)) {
      const t = Number(name.slice(1, -4));
      expect(await frameNumberOf(path.join(out, 'frames', name))).toBe(Math.round(t * 25));
    }
  });

  it('never pairs the cue that lies outside the video, and never pairs frames in the silent stretch', async () => {
    const out = path.join(dir, 'out');
    const { summary } = await alignJson([SAMPLE_MP4, SAMPLE_VTT, '--out', out, '--no-embed']);
    const pairs = await readJsonl(path.join(out, 'pairs.jsonl'));
    expect(pairs.some((p) => p.cue_index === 6)).toBe(false);
    expect(pairs.filter((p) => (p.frame_time as number) >= 9 && (p.frame_time as number) <= 11)).toEqual([]);
    expect(summary.unpairedCues).toBe(1);
  });

  it('writes GLM-4.1V records with one <image> tag and the image in images', async () => {
    const out = path.join(dir, 'out');
    await alignJson([SAMPLE_MP4, SAMPLE_SRT, '--out', out, '--no-embed', '--format', 'glm41v', '--prompt', 'Transcribe.']);
    const [rec] = await readJsonl(path.join(out, 'train.jsonl'));
    const { messages, images } = rec as { messages: { role: string; content: string }[]; images: string[] };
    expect(messages[0]).toEqual({ role: 'user', content: '<image>Transcribe.' });
    expect(messages[1].role).toBe('assistant');
    expect(images).toHaveLength(1);
    expect(path.isAbsolute(images[0])).toBe(true);
    const info = JSON.parse(await readFile(path.join(out, 'dataset_info.json'), 'utf8')) as Record<string, { file_name: string }>;
    expect(info.mmalign_train.file_name).toBe('train.jsonl');
    expect(info.mmalign_dev.file_name).toBe('dev.jsonl');
  });

  it('splits by cue: no cue has frames in both train and dev, and the same seed gives the same files', async () => {
    const a = path.join(dir, 'a');
    const b = path.join(dir, 'b');
    await alignJson([SAMPLE_MP4, SAMPLE_SRT, '--out', a, '--no-embed', '--format', 'pairs', '--split', '0.6', '--seed', '5']);
    await alignJson([SAMPLE_MP4, SAMPLE_SRT, '--out', b, '--no-embed', '--format', 'pairs', '--split', '0.6', '--seed', '5']);
    const train = await readJsonl(path.join(a, 'train.jsonl'));
    const dev = await readJsonl(path.join(a, 'dev.jsonl'));
    const trainCues = new Set(train.map((p) => p.cue_index));
    expect(dev.length).toBeGreaterThan(0);
    expect(dev.filter((p) => trainCues.has(p.cue_index))).toEqual([]);
    const strip = (rows: Record<string, unknown>[]) => rows.map((r) => ({ ...r, frame: path.basename(r.frame as string) }));
    expect(strip(await readJsonl(path.join(b, 'dev.jsonl')))).toEqual(strip(dev));
  });

  it('warns when the split leaves dev.jsonl empty', async () => {
    const { summary } = await alignJson([SAMPLE_MP4, SAMPLE_SRT, '--out', path.join(dir, 'out'), '--no-embed', '--mode', 'cue', '--split', '1']);
    expect(summary.dev).toBe(0);
    expect((summary as unknown as { warnings: { message: string }[] }).warnings.map((w) => w.message).join('\n')).toMatch(/dev\.jsonl is empty/);
  });

  it('takes one frame per cue, inside it, in cue mode', async () => {
    const out = path.join(dir, 'out');
    const { summary } = await alignJson([SAMPLE_MP4, SAMPLE_SRT, '--out', out, '--no-embed', '--mode', 'cue']);
    expect(summary.frames).toBe(5);
    const pairs = await readJsonl(path.join(out, 'pairs.jsonl'));
    expect(pairs.map((p) => p.cue_index)).toEqual([1, 2, 3, 4, 5]);
    expect(pairs.every((p) => p.distance === 0)).toBe(true);
  });

  it('shifts every cue by --offset before sampling and pairing, and reports the shifted times', async () => {
    const out = path.join(dir, 'out');
    // --sync off: sync would (rightly) move the shifted cues back onto the speech.
    await alignJson([SAMPLE_MP4, SAMPLE_SRT, '--out', out, '--no-embed', '--mode', 'cue', '--offset', '0.5', '--sync', 'off']);
    const [first] = await readJsonl(path.join(out, 'pairs.jsonl'));
    expect(first.start).toBeCloseTo(1.0, 6);
    expect(first.end).toBeCloseTo(3.733, 6);
    expect(first.frame_time).toBeCloseTo(2.4, 6); // midpoint 2.3665 s → the first frame at or after it
  });

  it('says in --help which way --offset moves the cues: positive delays them', async () => {
    const io = captureIo();
    expect(await runCli(['align', '--help'], io)).toBe(0);
    expect(io.out().replace(/\s+/g, ' ')).toMatch(
      /--offset <seconds> seconds added to every cue time: positive delays the subtitles, negative makes them earlier \(use a negative value when subtitles appear late\)/,
    );
  });

  it('says which ffmpeg it uses with --verbose', async () => {
    const io = captureIo();
    const code = await runCli(['align', SAMPLE_MP4, SAMPLE_SRT, '--out', path.join(dir, 'out'), '--no-embed', '--verbose'], io);
    expect(code).toBe(0);
    expect(io.err()).toMatch(/ffmpeg: \S+ \(from (env|path|npm)\)/);
  });

  it('drops empty-text cues and exact duplicate pairs, and counts them', async () => {
    const video = path.join(dir, 'still.mp4');
    ffmpegMake(['-f', 'lavfi', '-i', 'color=c=blue:s=64x48:r=10:d=6', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', video]);
    const subs = path.join(dir, 'still.srt');
    await writeFile(subs, '1\n00:00:00,000 --> 00:00:02,900\nSame words.\n\n2\n00:00:03,000 --> 00:00:04,000\n<i></i>\n\n');
    const out = path.join(dir, 'out');
    const { summary } = await alignJson([video, subs, '--out', out, '--no-embed', '--threshold', '0']);
    // Frames 0,1,2 (identical blue) with the same text: 1 pair + 2 duplicates; frames 3,4 lie in the empty cue.
    expect(summary.pairs).toBe(1);
    expect(summary.dropped).toEqual({ duplicates: 2, emptyText: 2 });
  });
});

describe('resume', () => {
  it('reuses the frames of an earlier run with the same video and sampling', async () => {
    const out = path.join(dir, 'out');
    const first = await alignJson([SAMPLE_MP4, SAMPLE_SRT, '--out', out, '--no-embed']);
    const frame = path.join(out, 'frames', 't000005.000.jpg');
    const before = (await stat(frame)).mtimeMs;
    const second = await alignJson([SAMPLE_MP4, SAMPLE_SRT, '--out', out, '--no-embed', '--format', 'glm41v']);
    expect(first.summary.framesReused).toBe(false);
    expect(second.summary.framesReused).toBe(true);
    expect((await stat(frame)).mtimeMs).toBe(before);
    expect(second.summary.pairs).toBe(first.summary.pairs);
  });

  it('redoes the frames when the sampling changes, leaving no frame of the old sampling', async () => {
    const out = path.join(dir, 'out');
    await alignJson([SAMPLE_MP4, SAMPLE_SRT, '--out', out, '--no-embed']);
    const { summary } = await alignJson([SAMPLE_MP4, SAMPLE_SRT, '--out', out, '--no-embed', '--mode', 'cue']);
    expect(summary.framesReused).toBe(false);
    expect((await readdir(path.join(out, 'frames'))).filter((n) => n.endsWith('.jpg'))).toHaveLength(5);
  });

  it('redoes the frames when one of them was deleted', async () => {
    const out = path.join(dir, 'out');
    await alignJson([SAMPLE_MP4, SAMPLE_SRT, '--out', out, '--no-embed']);
    await rm(path.join(out, 'frames', 't000004.000.jpg'));
    const { summary } = await alignJson([SAMPLE_MP4, SAMPLE_SRT, '--out', out, '--no-embed']);
    expect(summary.framesReused).toBe(false);
    expect(existsSync(path.join(out, 'frames', 't000004.000.jpg'))).toBe(true);
  });

  it('keeps the previous complete output, with no temp files, when a run fails before writing', async () => {
    const out = path.join(dir, 'out');
    await alignVideo(SAMPLE_MP4, SAMPLE_SRT, { out, embed: false });
    const before = await readFile(path.join(out, 'pairs.jsonl'), 'utf8');
    const failing = alignVideo(SAMPLE_MP4, SAMPLE_SRT, {
      out,
      embed: false,
      fps: 2,
      sink: async () => {
        throw new Error('knowledge base went away');
      },
    });
    await expect(failing).rejects.toThrow('knowledge base went away');
    expect(await readFile(path.join(out, 'pairs.jsonl'), 'utf8')).toBe(before);
    expect((await readdir(out)).filter((n) => n.includes('.tmp-') || n.includes('.partial-'))).toEqual([]);
  });
});

describe('embeddings', () => {
  it('embeds paired frames, cue texts and cue audio, writes the matrix with its index, and scores each pair', async () => {
    const out = path.join(dir, 'out');
    const calls: Modality[] = [];
    const r = await alignVideo(SAMPLE_MP4, SAMPLE_SRT, { out, createEncoder: fakeEncoders(calls) });
    expect(calls.sort()).toEqual(['audio', 'image', 'text']);
    const index = JSON.parse(await readFile(path.join(out, 'embeddings.json'), 'utf8')) as {
      dim: number;
      rows: { id: string; modality: string; row: number; model: string }[];
    };
    const bytes = (await stat(path.join(out, 'embeddings.f32'))).size;
    expect(bytes).toBe(index.rows.length * index.dim * 4);
    const frames = new Set((await readJsonl(path.join(out, 'pairs.jsonl'))).map((p) => p.frame));
    expect(index.rows.filter((x) => x.modality === 'image')).toHaveLength(frames.size);
    expect(index.rows.filter((x) => x.modality === 'text').map((x) => x.id)).toEqual(['text:1', 'text:2', 'text:3', 'text:4', 'text:5']);
    expect(index.rows.filter((x) => x.modality === 'audio')).toHaveLength(5);
    expect(index.rows[0].model).toBe('fake-text');
    const pairs = await readJsonl(path.join(out, 'pairs.jsonl'));
    for (const p of pairs) {
      expect(p.frame_text_similarity).toEqual(expect.any(Number));
      expect(p.audio_text_similarity).toEqual(expect.any(Number));
    }
    expect(r.embedded).toBe(true);
  });

  it('hands pairs, vectors and the models they came from to a sink before writing the files', async () => {
    const out = path.join(dir, 'out');
    let seen: Parameters<AlignedSink>[0] | undefined;
    await alignVideo(SAMPLE_MP4, SAMPLE_SRT, {
      out,
      createEncoder: fakeEncoders(),
      sink: async (batch) => {
        seen = batch;
        expect(existsSync(path.join(out, 'pairs.jsonl'))).toBe(false);
      },
    });
    expect(seen?.video).toBe(SAMPLE_MP4);
    expect(seen?.pairs.length).toBeGreaterThan(0);
    expect(seen?.vectors.map((v) => v.id)).toContain('text:1');
    expect(seen?.models.image?.model).toBe('fake-image');
  });

  it('embeds with the embedded tiny models by default: unit vectors, one row per id, model ids recorded', async () => {
    const out = path.join(dir, 'out');
    const r = await alignVideo(SAMPLE_MP4, SAMPLE_SRT, { out, mode: 'cue', device: 'cpu' });
    const index = JSON.parse(await readFile(path.join(out, 'embeddings.json'), 'utf8')) as {
      dim: number;
      rows: { id: string; modality: string; row: number; model: string; heads: string }[];
    };
    expect(index.dim).toBe(EMBED_DIM);
    expect(new Set(index.rows.map((x) => x.model))).toEqual(new Set(['mmalign/tiny-bert', 'mmalign/tiny-resnet', 'mmalign/tiny-wav2vec2']));
    expect(index.rows.every((x) => typeof x.heads === 'string')).toBe(true);
    const raw = await readFile(path.join(out, 'embeddings.f32'));
    const m = new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4);
    for (const row of index.rows) {
      const v = m.subarray(row.row * index.dim, (row.row + 1) * index.dim);
      expect(Math.hypot(...v)).toBeCloseTo(1, 4);
    }
    expect(r.pairs).toBe(5);
    const pairs = await readJsonl(path.join(out, 'pairs.jsonl'));
    expect(pairs.every((p) => Math.abs(p.frame_text_similarity as number) <= 1)).toBe(true);
  });

  it('reuses the vectors of an earlier run for the same content and model instead of embedding again', async () => {
    const out = path.join(dir, 'out');
    const embedded: number[] = [];
    const counting: EncoderFactory = async (modality, o) => {
      const enc = await fakeEncoders()(modality, o);
      return { ...enc, embedSettled: async (batch) => (embedded.push(batch.length), enc.embedSettled(batch)) };
    };
    const first = await alignVideo(SAMPLE_MP4, SAMPLE_SRT, { out, createEncoder: counting });
    const firstCount = embedded.reduce((a, b) => a + b, 0);
    const before = await readFile(path.join(out, 'embeddings.f32'));
    embedded.length = 0;
    const second = await alignVideo(SAMPLE_MP4, SAMPLE_SRT, { out, createEncoder: counting, format: 'glm41v' });
    expect(firstCount).toBeGreaterThan(0);
    expect(embedded.reduce((a, b) => a + b, 0)).toBe(0);
    expect(second.embeddingsReused).toBe(firstCount);
    expect(first.embeddingsReused).toBe(0);
    expect(await readFile(path.join(out, 'embeddings.f32'))).toEqual(before);
  });

  it('decodes the audio track once for sync and once for all cues of a short video', async () => {
    const log = path.join(dir, 'ffmpeg-calls.log');
    const wrapper = path.join(dir, 'ffmpeg');
    await writeFile(wrapper, `#!/bin/sh\necho "$*" >> '${log}'\nexec '${defaultBinary('ffmpeg').path}' "$@"\n`, { mode: 0o755 });
    const binaries = { ffmpeg: { path: wrapper, source: 'env' as const } };
    await alignVideo(SAMPLE_MP4, SAMPLE_SRT, { out: path.join(dir, 'out'), createEncoder: fakeEncoders(), binaries });
    const calls = (await readFile(log, 'utf8')).trim().split('\n');
    // Sync reads the track a window at a time as well; keeping its samples for the clips would hold a
    // window (38 MB) through frame sampling, which costs more than a second decode (~300x real time).
    expect(calls.filter((c) => c.includes('f32le'))).toHaveLength(2);
    expect(calls.filter((c) => c.includes('image2pipe'))).toHaveLength(1);
  });

  it('aligns a video without audio, with a warning and no audio vectors', async () => {
    const video = path.join(dir, 'mute.mp4');
    ffmpegMake(['-i', SAMPLE_MP4, '-an', '-c:v', 'copy', video]);
    const out = path.join(dir, 'out');
    const r = await alignVideo(video, SAMPLE_SRT, { out, createEncoder: fakeEncoders() });
    expect(r.hasAudio).toBe(false);
    expect(r.pairs).toBeGreaterThan(0);
    expect(r.warnings.map((w) => w.message).join('\n')).toMatch(/no audio stream/);
    const index = JSON.parse(await readFile(path.join(out, 'embeddings.json'), 'utf8')) as { rows: { modality: string }[] };
    expect(index.rows.some((x) => x.modality === 'audio')).toBe(false);
  });
});
