/**
 * The main job: a video plus its subtitles in, aligned frame/audio/text pairs, their embeddings
 * and a GLM fine-tuning dataset out, in one folder that a rerun resumes instead of redoing.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { alignByTimestamp } from '../alignment/align.js';
import { readSubtitleFile } from '../alignment/subtitles.js';
import { similarity } from '../encoders/similarity.js';
import type { ProjectionHeads } from '../encoders/heads.js';
import type { Device, Encoder } from '../encoders/types.js';
import { ALIGN_DEFAULTS } from './core/defaults.js';
import { InvalidOptionError, OutputError, SubtitleParseError, SubtitlesOutsideVideoError } from './core/errors/index.js';
import {
  DEFAULT_PROMPT,
  EXPORT_FORMATS,
  llamaFactoryDatasetInfo,
  splitTrainDev,
  toDatasetRecord,
  toJsonl,
  type AlignedPair,
  type ExportFormat,
} from './export.js';
import {
  AUDIO_SAMPLE_RATE,
  decodeAudio,
  defaultBinaries,
  probeMedia,
  requireVideo,
  sliceAudio,
  type DecodedAudio,
  type FfmpegBinaries,
} from './core/ffmpeg/index.js';
import {
  cueTargets,
  frameFileName,
  sampleFrames,
  validatePlan,
  SAMPLING_MODES,
  type SampledFrame,
  type SamplingMode,
  type SamplingPlan,
} from './media.js';
import { makeStagingDir, removeStaleTemps, replaceWithStaged, writeFileAtomic } from './core/fs.js';
import { silentProgress, type Logger, type Progress } from './core/progress.js';
import type { Cue, Modality, Warning } from './core/types.js';

/** Pipeline stages, in order; `seconds` in the result has one entry per stage. */
export type AlignStage = 'probe' | 'subtitles' | 'frames' | 'audio' | 'align' | 'embed' | 'export';
export const ALIGN_STAGES: readonly AlignStage[] = Object.freeze(['probe', 'subtitles', 'frames', 'audio', 'align', 'embed', 'export'] as const);

/** Creates an encoder; injectable so tests and callers can bring their own models. */
export type EncoderFactory = (
  modality: Modality,
  options: { modelsDir?: string; device?: string; heads?: string | ProjectionHeads; logger?: Logger },
) => Promise<Encoder>;

/** A vector the pipeline computed, keyed like the rows of embeddings.json. */
export interface PipelineVector {
  /** `frame:t000012.500`, `text:3` or `audio:3` (3 = the cue's index in the subtitle file). */
  id: string;
  modality: Modality;
  vector: Float32Array;
}

/**
 * Where aligned output can go besides DIR, e.g. a knowledge base (`--kb`). Called once per run,
 * after embedding and before the dataset files are written; a throw fails the run. Newly sampled
 * frames are moved into `frames/` only after the sink returns: their paths in `pairs` exist once the run completes.
 */
export type AlignedSink = (batch: {
  video: string;
  pairs: readonly AlignedPair[];
  vectors: readonly PipelineVector[];
  /** Per modality, the model id and projection-heads version the vectors came from. */
  models: Readonly<Partial<Record<Modality, { model: string; heads: string | null; device: string }>>>;
}) => Promise<void>;

export interface AlignVideoOptions {
  /** Output folder (created if missing). */
  out: string;
  /** Frame sampling: `fps` (default), `cue` or `scene`. */
  mode?: SamplingMode;
  /** Frames per second in `fps` mode. Default 1. */
  fps?: number;
  /** Frames per cue in `cue` mode, evenly inside it (1 = the midpoint). Default 1. */
  perCue?: number;
  /** Scene-change score (0–1) above which `scene` mode takes a frame. Default 0.3. */
  sceneThreshold?: number;
  /** Largest frame-to-cue gap in seconds that still pairs them. Default 0.5. */
  threshold?: number;
  /** Seconds added to every cue time (positive = subtitles are late). Default 0. */
  offset?: number;
  /** Embed frames, cue texts and cue audio (default true). */
  embed?: boolean;
  device?: Device;
  /** Folder of models (default: the embedded tiny models). */
  modelsDir?: string;
  /** Projection heads (a heads file or loaded heads); default: the seeded heads of each model. */
  heads?: string | ProjectionHeads;
  /** Dataset format of train/dev.jsonl. Default `glm4v`. */
  format?: ExportFormat;
  prompt?: string;
  /** Fraction of cues in train.jsonl (the rest in dev.jsonl). Default 0.9. */
  split?: number;
  seed?: number;
  /** JPEG quality 1–100. Default 90. */
  jpegQuality?: number;
  binaries?: FfmpegBinaries;
  progress?: Progress;
  /** Verbose notes (which ffmpeg, what was resumed). */
  log?: (message: string) => void;
  createEncoder?: EncoderFactory;
  sink?: AlignedSink;
  /** Clock for stage timings (ms); injectable for tests. */
  now?: () => number;
  signal?: AbortSignal;
}

export interface AlignVideoResult {
  video: string;
  subtitles: string;
  out: string;
  mode: SamplingMode;
  format: ExportFormat;
  /** Video duration in seconds. */
  duration: number;
  frames: number;
  pairs: number;
  unpairedFrames: number;
  unpairedCues: number;
  dropped: { duplicates: number; emptyText: number };
  train: number;
  dev: number;
  /** True when the frames from an earlier run in DIR matched and were reused. */
  framesReused: boolean;
  /** Vectors taken from an earlier run in DIR (same content, model and heads) instead of recomputed. */
  embeddingsReused: number;
  hasAudio: boolean;
  embedded: boolean;
  warnings: Warning[];
  seconds: Record<AlignStage, number>;
  files: {
    frames: string;
    pairs: string;
    train: string;
    dev: string;
    manifest: string;
    embeddings: string | null;
    embeddingsIndex: string | null;
    /** LLaMA-Factory's dataset card, written with the `glm41v` format. */
    datasetInfo: string | null;
  };
}

const FRAMES_MANIFEST = '.mmalign-frames.json';
/** Audio is decoded in windows this long (16 kHz f32: about 38 MB each). */
const AUDIO_WINDOW_SECONDS = 600;
// 2: frame times of videos whose container starts after 0 were off by that start (fixed in media.ts).
const MANIFEST_VERSION = 2;

interface FramesManifest {
  version: number;
  video: { path: string; size: number; mtimeMs: number; headSha256: string };
  sampling: unknown;
  frames: { time: number; file: string; bytes: number; sha1: string }[];
}

/** A frame as the pipeline carries it: JPEG bytes in memory when just sampled, from disk when reused. */
interface FrameRecord {
  time: number;
  file: string;
  sha1: string;
  bytes: number;
  jpeg: Buffer | null;
}

async function fingerprint(video: string): Promise<FramesManifest['video']> {
  const st = await stat(video);
  const hash = createHash('sha256');
  await new Promise<void>((resolve, reject) => {
    createReadStream(video, { start: 0, end: Math.min(st.size, 1 << 20) - 1 })
      .on('data', (c) => hash.update(c))
      .on('end', resolve)
      .on('error', reject);
  });
  return { path: video, size: st.size, mtimeMs: Math.round(st.mtimeMs), headSha256: hash.digest('hex') };
}

/** Everything that decides which frames come out; any change means the frames are redone. */
function samplingKey(plan: SamplingPlan, jpegQuality: number, duration: number): unknown {
  switch (plan.mode) {
    case 'fps':
      return { mode: 'fps', fps: plan.fps, jpegQuality };
    case 'cue':
      return {
        mode: 'cue',
        perCue: plan.perCue,
        jpegQuality,
        targets: createHash('sha1').update(cueTargets(plan.cues, plan.perCue, duration).join(',')).digest('hex'),
      };
    case 'scene':
      return { mode: 'scene', threshold: plan.threshold, jpegQuality };
    default:
      throw new InvalidOptionError('mode', (plan as { mode: unknown }).mode, SAMPLING_MODES.join(' | '));
  }
}

/**
 * Checks that DIR is (or can become) a writable folder, by creating it and a probe file in it.
 * Returns the top-most folder it created (to remove if the run fails), or null.
 */
async function prepareOutDir(out: string): Promise<string | null> {
  const st = await stat(out).catch(() => null);
  if (st && !st.isDirectory()) throw new OutputError(out, 'exists and is not a folder; pass a folder path to --out');
  let created: string | undefined;
  try {
    created = await mkdir(out, { recursive: true });
    const probe = path.join(out, `.write-test-${process.pid}`);
    await writeFile(probe, '');
    await rm(probe, { force: true });
    return created ?? null;
  } catch (err) {
    if (created) await rm(created, { recursive: true, force: true });
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
        ? 'is not writable (permission denied or read-only); choose another --out'
        : code === 'ENOTDIR'
          ? 'cannot be created: a parent path is a file'
          : `cannot be created or written: ${(err as Error).message}`;
    throw new OutputError(out, why, err);
  }
}

async function loadReusableFrames(framesDir: string, video: FramesManifest['video'], sampling: unknown): Promise<FrameRecord[] | null> {
  let manifest: FramesManifest;
  try {
    manifest = JSON.parse(await readFile(path.join(framesDir, FRAMES_MANIFEST), 'utf8')) as FramesManifest;
  } catch {
    return null;
  }
  if (manifest.version !== MANIFEST_VERSION) return null;
  if (JSON.stringify(manifest.video) !== JSON.stringify(video) || JSON.stringify(manifest.sampling) !== JSON.stringify(sampling)) return null;
  for (const f of manifest.frames) {
    const st = await stat(path.join(framesDir, f.file)).catch(() => null);
    if (!st || st.size !== f.bytes) return null;
  }
  return manifest.frames.map((f) => ({ time: f.time, file: path.join(framesDir, f.file), sha1: f.sha1, bytes: f.bytes, jpeg: null }));
}

const MODALITY_ORDER: Readonly<Record<Modality, number>> = Object.freeze({ text: 0, image: 1, audio: 2 });

function headsVersion(enc: Encoder): string | null {
  // Encoders built on BaseEncoder carry their projection heads; others simply record no version.
  const heads = (enc as unknown as { heads?: { metadata?: { version?: unknown } } }).heads;
  return typeof heads?.metadata?.version === 'string' ? heads.metadata.version : null;
}

interface EmbeddingCache {
  models: Partial<Record<Modality, { model: string; heads: string | null }>>;
  /** `modality\0key` → vector. */
  byKey: Map<string, Float32Array>;
}

/** The vectors of an earlier run in DIR, or null when there are none or they do not read back cleanly. */
async function loadEmbeddingCache(out: string): Promise<EmbeddingCache | null> {
  try {
    const index = JSON.parse(await readFile(path.join(out, 'embeddings.json'), 'utf8')) as {
      dim: number;
      models: EmbeddingCache['models'];
      rows: { modality: Modality; row: number; key?: string }[];
    };
    const raw = await readFile(path.join(out, 'embeddings.f32'));
    if (raw.length !== index.rows.length * index.dim * 4) return null;
    const all = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
    const byKey = new Map<string, Float32Array>();
    for (const r of index.rows) {
      if (r.key) byKey.set(`${r.modality}\u0000${r.key}`, all.slice(r.row * index.dim, (r.row + 1) * index.dim));
    }
    return { models: index.models ?? {}, byKey };
  } catch {
    return null;
  }
}

function checkOptions(o: {
  mode: SamplingMode;
  threshold: number;
  offset: number;
  format: ExportFormat;
  split: number;
  seed: number;
  jpegQuality: number;
  prompt: string;
}): void {
  if (!SAMPLING_MODES.includes(o.mode)) throw new InvalidOptionError('mode', o.mode, `one of ${SAMPLING_MODES.join(', ')}`);
  if (!EXPORT_FORMATS.includes(o.format)) throw new InvalidOptionError('format', o.format, `one of ${EXPORT_FORMATS.join(', ')}`);
  if (!(o.threshold >= 0)) throw new InvalidOptionError('threshold', o.threshold, 'a number of seconds >= 0');
  if (!Number.isFinite(o.offset)) throw new InvalidOptionError('offset', o.offset, 'a finite number of seconds');
  if (!(o.split >= 0 && o.split <= 1)) throw new InvalidOptionError('split', o.split, 'a train fraction from 0 to 1');
  if (!Number.isInteger(o.seed)) throw new InvalidOptionError('seed', o.seed, 'an integer');
  if (!(Number.isInteger(o.jpegQuality) && o.jpegQuality >= 1 && o.jpegQuality <= 100)) {
    throw new InvalidOptionError('jpeg-quality', o.jpegQuality, 'an integer from 1 to 100');
  }
  // Formatting a dummy record validates the prompt for the format before any work starts.
  toDatasetRecord({ video: '', frame: '', frame_time: 0, cue_index: 0, start: 0, end: 0, text: '', distance: 0 }, o.format, o.prompt);
}

// Loaded lazily so `--no-embed` runs never load onnxruntime (seconds of start-up on a small machine).
async function defaultEncoderFactory(...args: Parameters<EncoderFactory>): Promise<Encoder> {
  const { createEncoder } = await import('../encoders/encoder.js');
  const [modality, options] = args;
  return createEncoder(modality, { modelsDir: options.modelsDir, device: options.device as 'auto', heads: options.heads, logger: options.logger });
}

/**
 * Aligns a video with its subtitles and writes, into `out`: `frames/` (JPEGs named by time),
 * `pairs.jsonl`, `embeddings.f32` + `embeddings.json` (unless `embed: false`), the dataset
 * `train.jsonl` + `dev.jsonl` in `format`, and `run.json` (options, counts, stage timings).
 * Inputs are fully checked before anything is written; every file is replaced atomically; a rerun
 * with the same video and sampling reuses the frames.
 *
 * @example
 * const result = await alignVideo('talk.mp4', 'talk.srt', { out: 'talk-out', fps: 1, format: 'glm41v' });
 * console.log(`${result.pairs} pairs, ${result.train} train / ${result.dev} dev`);
 */
export async function alignVideo(
  video: string,
  subtitles: string,
  {
    out,
    mode = ALIGN_DEFAULTS.mode,
    fps = ALIGN_DEFAULTS.fps,
    perCue = ALIGN_DEFAULTS.perCue,
    sceneThreshold = ALIGN_DEFAULTS.sceneThreshold,
    threshold = ALIGN_DEFAULTS.threshold,
    offset = ALIGN_DEFAULTS.offset,
    embed = ALIGN_DEFAULTS.embed,
    device = ALIGN_DEFAULTS.device,
    modelsDir,
    heads,
    format = ALIGN_DEFAULTS.format,
    prompt = DEFAULT_PROMPT,
    split = ALIGN_DEFAULTS.split,
    seed = ALIGN_DEFAULTS.seed,
    jpegQuality = ALIGN_DEFAULTS.jpegQuality,
    binaries = defaultBinaries(),
    progress = silentProgress,
    log = () => {},
    createEncoder = defaultEncoderFactory,
    sink,
    now = () => performance.now(),
    signal,
  }: AlignVideoOptions,
): Promise<AlignVideoResult> {
  if (!out) throw new InvalidOptionError('out', out, 'an output folder path');
  checkOptions({ mode, threshold, offset, format, split, seed, jpegQuality, prompt });
  const videoAbs = path.resolve(video);
  const subsAbs = path.resolve(subtitles);
  const outAbs = path.resolve(out);
  const seconds = Object.fromEntries(ALIGN_STAGES.map((s) => [s, 0])) as Record<AlignStage, number>;
  const timed = async <T>(stage: AlignStage, fn: () => Promise<T>): Promise<T> => {
    const t0 = now();
    try {
      return await fn();
    } finally {
      seconds[stage] += (now() - t0) / 1000;
    }
  };
  const warnings: Warning[] = [];
  log(`ffmpeg: ${binaries.ffmpeg.path} (from ${binaries.ffmpeg.source})`);

  // 1–2. Every input check happens before the output folder is touched.
  const info = await timed('probe', async () => requireVideo(await probeMedia(videoAbs, binaries)));
  log(`video: ${info.duration.toFixed(3)} s, ${info.video.width}x${info.video.height} @ ${info.video.fps ?? '?'} fps, audio: ${info.audio ? info.audio.codec : 'none'}`);
  const cues: Cue[] = await timed('subtitles', async () => {
    const doc = await readSubtitleFile(subsAbs);
    warnings.push(...doc.warnings);
    if (doc.cues.length === 0) throw new SubtitleParseError(subsAbs, null, 'has no cues; nothing to align');
    // Everything downstream (vector ids, the train/dev split, pairs' cue_index) keys on the cue number,
    // so it must be unique; files that repeat or restart numbers would otherwise lose all but one cue per number.
    const seenIndex = new Set<number>();
    const repeated = doc.cues.find((c) => seenIndex.size === seenIndex.add(c.index).size);
    if (repeated) {
      warnings.push({ file: subsAbs, message: `cue numbers repeat (e.g. ${repeated.index}); cues are numbered by their position in the file` });
    }
    // The rest of the pipeline works on the video's timeline: shift once here.
    return doc.cues.map((c, i) => ({ ...c, index: repeated ? i + 1 : c.index, start: c.start + offset, end: c.end + offset }));
  });
  const inside = cues.filter((c) => c.end > 0 && c.start < info.duration);
  if (inside.length === 0) {
    throw new SubtitlesOutsideVideoError(subsAbs, info.duration, Math.min(...cues.map((c) => c.start)), Math.max(...cues.map((c) => c.end)));
  }
  if (inside.length < cues.length) {
    warnings.push({ file: subsAbs, message: `${cues.length - inside.length} cue(s) lie outside the video (0–${info.duration.toFixed(3)} s) and cannot be paired` });
  }
  if (!info.audio) warnings.push({ file: videoAbs, message: 'has no audio stream: frames are aligned, audio segments and audio–text similarity are skipped' });
  const plan: SamplingPlan = validatePlan(
    mode === 'fps' ? { mode, fps } : mode === 'cue' ? { mode, perCue, cues: inside } : { mode, threshold: sceneThreshold },
  );
  const createdOut = await prepareOutDir(outAbs);
  // A failed run leaves no output behind: a folder it created is removed; an existing one keeps the last complete run.
  let completed = false;
  // New frames wait here until the export step, so a run that fails later leaves the previous
  // dataset and the frames it points at untouched.
  let stagedFrames: string | null = null;
  try {
    // Staging folders and temp files an interrupted run left behind.
    removeStaleTemps(outAbs);

    // 3. Frames: reuse a matching earlier run, else one decode pass into a staging folder swapped in at the end.
    const framesDir = path.join(outAbs, 'frames');
    const sampling = samplingKey(plan, jpegQuality, info.duration);
    const videoId = await fingerprint(videoAbs);
    let framesReused = false;
    const frames: FrameRecord[] = await timed('frames', async () => {
      const reused = await loadReusableFrames(framesDir, videoId, sampling);
      if (reused) {
        framesReused = true;
        log(`frames: reusing ${reused.length} frames in ${framesDir}`);
        const bar = progress.stage('frames', reused.length);
        bar.done();
        return reused;
      }
      const staging = await makeStagingDir(framesDir);
      const expected = plan.mode === 'fps' ? Math.ceil(info.duration * plan.fps) : plan.mode === 'cue' ? cueTargets(plan.cues, plan.perCue, info.duration).length : 0;
      const bar = progress.stage('frames', expected);
      const records: FrameRecord[] = [];
      try {
        await sampleFrames(videoAbs, info, plan, {
          binaries,
          jpegQuality,
          signal,
          keepJpeg: false,
          onFrame: async (f: SampledFrame) => {
            const name = frameFileName(f.time);
            // Keep the bytes only for the image encoder: without embedding, memory stays flat however long the video.
            const rec: FrameRecord = {
              time: f.time,
              file: path.join(framesDir, name),
              sha1: createHash('sha1').update(f.jpeg).digest('hex'),
              bytes: f.jpeg.length,
              jpeg: embed ? f.jpeg : null,
            };
            records.push(rec);
            await writeFile(path.join(staging, name), f.jpeg);
            if (expected === 0) bar.setTotal(records.length); // scene mode: the count is only known as cuts are found
            bar.tick();
          },
        });
        const manifest: FramesManifest = {
          version: MANIFEST_VERSION,
          video: videoId,
          sampling,
          frames: records.map((r) => ({ time: r.time, file: path.basename(r.file), bytes: r.bytes, sha1: r.sha1 })),
        };
        await writeFile(path.join(staging, FRAMES_MANIFEST), JSON.stringify(manifest, null, 1));
        stagedFrames = staging;
      } catch (err) {
        await rm(staging, { recursive: true, force: true });
        throw err;
      }
      bar.setTotal(records.length);
      bar.done();
      return records;
    });

    // 4. Align frames to cues (input indices), then pairs, dropping empty texts and exact duplicates.
    const { pairs, pairFrames, unpairedFrames, unpairedCues, dropped } = await timed('align', async () => {
      // Cue mode sampled each frame for particular cues: pair it with those, not with whichever cue is
      // nearest, or a cue nested in a longer one would lose its frames to it.
      const matches = plan.mode === 'cue' ? matchCueTargets(frames, cues, plan.perCue, info.duration, threshold) : alignByTimestamp(frames, cues, { threshold });
      const pairs: AlignedPair[] = [];
      const pairFrames: FrameRecord[] = [];
      const seen = new Set<string>();
      const usedCues = new Set<number>();
      const dropped = { duplicates: 0, emptyText: 0 };
      let unpairedFrames = 0;
      for (const m of matches) {
        if (m.cue === null || m.distance === null) {
          unpairedFrames++;
          continue;
        }
        const cue = cues[m.cue];
        const text = cue.text.trim();
        if (text === '') {
          dropped.emptyText++;
          continue;
        }
        const frame = frames[m.frame];
        const key = `${frame.sha1}\u0000${text}`;
        if (seen.has(key)) {
          dropped.duplicates++;
          continue;
        }
        seen.add(key);
        usedCues.add(m.cue);
        pairs.push({
          video: videoAbs,
          frame: frame.file,
          frame_time: frame.time,
          cue_index: cue.index,
          start: cue.start,
          end: cue.end,
          text,
          distance: Math.round(m.distance * 1e6) / 1e6,
        });
        pairFrames.push(frame);
      }
      const unpairedCues = cues.filter((c, i) => !usedCues.has(i) && c.text.trim() !== '').length;
      progress.stage('align', 1).done();
      return { pairs, pairFrames, unpairedFrames, unpairedCues, dropped };
    });
    if (pairs.length === 0) {
      warnings.push({ file: subsAbs, message: `no frame lies within ${threshold} s of any cue: the dataset is empty (raise --threshold or sample more frames)` });
    }

    // 5. Audio: decoded lazily while embedding walks the cues in time order, one window of
    // AUDIO_WINDOW_SECONDS at a time: a single decode for a short video, bounded memory for a long one.
    // The embed stage asks for a chunk of cues at once: they share one pending decode, never start their own.
    let audioWindow: { from: number; to: number; audio: Promise<DecodedAudio> } | null = null;
    let audioSeconds = 0;
    const audioFor = async (start: number, end: number): Promise<Float32Array> => {
      if (!audioWindow || start < audioWindow.from || end > audioWindow.to) {
        const t0 = now();
        const from = Math.max(0, start);
        const length = Math.max(AUDIO_WINDOW_SECONDS, end - from);
        const audio = decodeAudio(videoAbs, { binaries, signal, start: from, duration: length });
        void audio.then(() => (audioSeconds += (now() - t0) / 1000)).catch(() => {});
        audioWindow = { from, to: from + length, audio };
      }
      return sliceAudio(await audioWindow.audio, start, end);
    };

    // 6. Embeddings: frames, texts and audio of paired cues, in the shared space.
    const vectors: (PipelineVector & { key: string })[] = [];
    let embeddingsReused = 0;
    const models: Partial<Record<Modality, { model: string; heads: string | null; device: string }>> = {};
    if (embed && pairs.length > 0) {
      await timed('embed', async () => {
        const cueByIndex = new Map(cues.map((c) => [c.index, c]));
        const cueIds = [...new Set(pairs.map((p) => p.cue_index))];
        const frameList = [...new Map(pairFrames.map((f) => [f.file, f])).values()];
        // Cues too short for the audio model (< 25 ms) or past the end of the track are skipped; time order keeps windows sequential.
        const audioCues = info.audio
          ? cueIds
              .filter((id) => {
                const c = cueByIndex.get(id)!;
                return Math.min(c.end, info.duration) - Math.max(c.start, 0) >= 0.025;
              })
              .sort((a, b) => cueByIndex.get(a)!.start - cueByIndex.get(b)!.start)
          : [];
        const bar = progress.stage('embed', cueIds.length + frameList.length + audioCues.length);
        const logger = { warn: (m: string) => warnings.push({ message: m }) };
        const cache = await loadEmbeddingCache(outAbs);
        const run = async <T>(
          modality: Modality,
          items: readonly T[],
          ids: readonly string[],
          keys: readonly string[],
          toInput: (item: T) => Promise<unknown> | unknown,
        ) => {
          if (items.length === 0) return;
          const enc = await createEncoder(modality, { modelsDir, device, heads, logger });
          try {
            const model = { model: enc.modelId, heads: headsVersion(enc), device: enc.device };
            models[modality] = model;
            // Vectors of an earlier run are reused only for the same content, model and heads.
            const cached = cache?.models[modality]?.model === model.model && cache.models[modality]?.heads === model.heads ? cache.byKey : null;
            const todo: number[] = [];
            items.forEach((_, i) => {
              const hit = cached?.get(`${modality}\u0000${keys[i]}`);
              if (hit) {
                vectors.push({ id: ids[i], modality, key: keys[i], vector: hit });
                embeddingsReused++;
              } else todo.push(i);
            });
            bar.tick(items.length - todo.length);
            const chunk = 32;
            for (let c = 0; c < todo.length; c += chunk) {
              signal?.throwIfAborted();
              const slice = todo.slice(c, c + chunk);
              const inputs = await Promise.all(slice.map((i) => toInput(items[i])));
              const outcomes = await enc.embedSettled(inputs as never[]);
              outcomes.forEach((o, j) => {
                const i = slice[j];
                if (o.ok) vectors.push({ id: ids[i], modality, key: keys[i], vector: o.vector });
                else warnings.push({ message: `${modality} ${ids[i]}: not embedded: ${o.error.message}` });
              });
              bar.tick(slice.length);
            }
          } finally {
            await enc.dispose();
          }
        };
        const sha1 = (x: string) => createHash('sha1').update(x).digest('hex');
        const cueText = (id: number) => cueByIndex.get(id)!.text.trim();
        await run('text', cueIds, cueIds.map((id) => `text:${id}`), cueIds.map((id) => sha1(cueText(id))), cueText);
        await run(
          'image',
          frameList,
          frameList.map((f) => `frame:${path.basename(f.file, '.jpg')}`),
          frameList.map((f) => f.sha1),
          async (f) => f.jpeg ?? (await readFile(stagedFrames ? path.join(stagedFrames, path.basename(f.file)) : f.file)),
        );
        await run(
          'audio',
          audioCues,
          audioCues.map((id) => `audio:${id}`),
          audioCues.map((id) => `${videoId.headSha256}:${videoId.size}:${cueByIndex.get(id)!.start}:${cueByIndex.get(id)!.end}`),
          async (id) => {
            const c = cueByIndex.get(id)!;
            return { samples: await audioFor(c.start, c.end), sampleRate: AUDIO_SAMPLE_RATE, channels: 1 };
          },
        );
        vectors.sort((a, b) => MODALITY_ORDER[a.modality] - MODALITY_ORDER[b.modality]);
        bar.done();
        const byId = new Map(vectors.map((v) => [v.id, v.vector]));
        for (const p of pairs) {
          const t = byId.get(`text:${p.cue_index}`);
          const f = byId.get(`frame:${path.basename(p.frame, '.jpg')}`);
          const a = byId.get(`audio:${p.cue_index}`);
          if (t && f) p.frame_text_similarity = round6(similarity(f, t));
          if (t && a) p.audio_text_similarity = round6(similarity(a, t));
        }
      });
      // Audio decoding ran inside the embed stage (lazily, per window): report it as its own stage.
      seconds.audio += audioSeconds;
      seconds.embed -= audioSeconds;
    }

    if (sink) await sink({ video: videoAbs, pairs, vectors, models });

    // 7. Files: every one replaced atomically, run.json last so its presence means a complete run.
    const files = {
      frames: framesDir,
      pairs: path.join(outAbs, 'pairs.jsonl'),
      train: path.join(outAbs, 'train.jsonl'),
      dev: path.join(outAbs, 'dev.jsonl'),
      manifest: path.join(outAbs, 'run.json'),
      embeddings: vectors.length ? path.join(outAbs, 'embeddings.f32') : null,
      embeddingsIndex: vectors.length ? path.join(outAbs, 'embeddings.json') : null,
      datasetInfo: format === 'glm41v' ? path.join(outAbs, 'dataset_info.json') : null,
    };
    const { train, dev } = await timed('export', async () => {
      const bar = progress.stage('export', 4);
      const parts = splitTrainDev(pairs, (p) => p.cue_index, { train: split, seed });
      if (pairs.length > 0 && (parts.train.length === 0 || parts.dev.length === 0)) {
        // Fine-tuning scripts fail on an empty split file; say so now rather than at training time.
        const empty = parts.train.length === 0 ? 'train.jsonl' : 'dev.jsonl';
        warnings.push({ message: `${empty} is empty (${new Set(pairs.map((p) => p.cue_index)).size} paired cue(s), --split ${split}); training scripts may reject it` });
      }
      if (stagedFrames) {
        // The old dataset goes before the old frames, run.json first: an interruption here leaves
        // no complete-looking run and no dataset line pointing at a frame that is gone.
        for (const name of ['run.json', 'pairs.jsonl', 'train.jsonl', 'dev.jsonl', 'dataset_info.json']) {
          await rm(path.join(outAbs, name), { force: true });
        }
        await replaceWithStaged(stagedFrames, framesDir);
        stagedFrames = null;
      }
      await writeFileAtomic(files.pairs, toJsonl(pairs));
      bar.tick();
      await writeFileAtomic(files.train, toJsonl(parts.train.map((p) => toDatasetRecord(p, format, prompt))));
      await writeFileAtomic(files.dev, toJsonl(parts.dev.map((p) => toDatasetRecord(p, format, prompt))));
        bar.tick(2);
      // GLM-4.1V trains through LLaMA-Factory, which wants the files registered; other formats must not keep a stale card.
      if (files.datasetInfo) {
        await writeFileAtomic(files.datasetInfo, JSON.stringify(llamaFactoryDatasetInfo('train.jsonl', 'dev.jsonl'), null, 2) + '\n');
      } else {
        await rm(path.join(outAbs, 'dataset_info.json'), { force: true });
      }
      if (vectors.length) {
        const dim = vectors[0].vector.length;
        const matrix = new Float32Array(vectors.length * dim);
        vectors.forEach((v, i) => matrix.set(v.vector, i * dim));
        await writeFileAtomic(files.embeddings!, new Uint8Array(matrix.buffer));
        const index = {
          dtype: 'float32',
          dim,
          count: vectors.length,
          layout: 'row-major, little-endian; row r starts at byte r * dim * 4',
          models,
          rows: vectors.map((v, row) => ({ id: v.id, modality: v.modality, row, model: models[v.modality]?.model ?? null, heads: models[v.modality]?.heads ?? null, key: v.key })),
        };
        await writeFileAtomic(files.embeddingsIndex!, JSON.stringify(index, null, 1) + '\n');
      } else {
        // A rerun with --no-embed must not leave vectors from an earlier run that no longer match the pairs.
        await rm(path.join(outAbs, 'embeddings.f32'), { force: true });
        await rm(path.join(outAbs, 'embeddings.json'), { force: true });
      }
      bar.done();
      return { train: parts.train.length, dev: parts.dev.length };
    });

    const result: AlignVideoResult = {
      video: videoAbs,
      subtitles: subsAbs,
      out: outAbs,
      mode,
      format,
      duration: info.duration,
      frames: frames.length,
      pairs: pairs.length,
      unpairedFrames,
      unpairedCues,
      dropped,
      train,
      dev,
      framesReused,
      embeddingsReused,
      hasAudio: info.audio !== null,
      embedded: vectors.length > 0,
      warnings,
      seconds: Object.fromEntries(Object.entries(seconds).map(([k, v]) => [k, Math.round(v * 1000) / 1000])) as Record<AlignStage, number>,
      files,
    };
    const options = { mode, fps, perCue, sceneThreshold, threshold, offset, embed, device, modelsDir: modelsDir ?? null, heads: typeof heads === 'string' ? heads : (heads?.metadata.version ?? null), format, prompt, split, seed, jpegQuality };
    await writeFileAtomic(files.manifest, JSON.stringify({ version: 1, options, models, ...result }, null, 2) + '\n');
    completed = true;
    return result;
  } finally {
    if (!completed && stagedFrames) await rm(stagedFrames, { recursive: true, force: true });
    if (!completed && createdOut) await rm(createdOut, { recursive: true, force: true });
  }
}

/**
 * Cue-mode pairing by construction: each cue is paired with the frames its targets selected (the
 * first frame at or after each target, as `sampleFrames` picks them), within `threshold`. A frame
 * hit by targets of several cues serves each of them; a frame no target hit is listed unpaired.
 * Matches come frame by frame, in frame order, then cue order.
 */
function matchCueTargets(
  frames: readonly { time: number }[],
  cues: readonly Cue[],
  perCue: number,
  duration: number,
  threshold: number,
): { frame: number; cue: number | null; distance: number | null }[] {
  const order = frames.map((_, i) => i).sort((a, b) => frames[a].time - frames[b].time);
  // Frame times are rounded to the microsecond, targets to the millisecond: allow for the rounding.
  const firstAtOrAfter = (t: number): number | null => {
    let lo = 0;
    let hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (frames[order[mid]].time < t - 1e-6) lo = mid + 1;
      else hi = mid;
    }
    return lo < order.length ? order[lo] : null;
  };
  const cuesOf = new Map<number, Set<number>>();
  cues.forEach((c, ci) => {
    // The same targets sampleFrames looked for: each cue clipped to the video first.
    for (const t of cueTargets([c], perCue, duration)) {
      if (!(t >= 0 && t < duration)) continue;
      const f = firstAtOrAfter(t);
      if (f === null) continue;
      const set = cuesOf.get(f) ?? new Set<number>();
      cuesOf.set(f, set.add(ci));
    }
  });
  const out: { frame: number; cue: number | null; distance: number | null }[] = [];
  frames.forEach((frame, fi) => {
    let paired = false;
    for (const ci of [...(cuesOf.get(fi) ?? [])].sort((a, b) => a - b)) {
      const c = cues[ci];
      const distance = frame.time < c.start ? c.start - frame.time : frame.time > c.end ? frame.time - c.end : 0;
      if (distance > threshold) continue;
      out.push({ frame: fi, cue: ci, distance });
      paired = true;
    }
    if (!paired) out.push({ frame: fi, cue: null, distance: null });
  });
  return out;
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
