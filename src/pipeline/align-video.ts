/**
 * The main job: a video plus its subtitles in, aligned frame/audio/text pairs, their embeddings
 * and a GLM fine-tuning dataset out, in one folder that a rerun resumes instead of redoing.
 * `alignVideo` checks its options once and runs the stages of stages/ in order.
 */
import { rm } from 'node:fs/promises';
import { environmentError } from '../core/errors/index.js';
import type { KeyedVector, ModelsUsed } from './types.js';
import { fingerprint, samplingKey } from './frames/manifest.js';
import type { SamplingPlan } from './frames/plan.js';
import { openOutputFolder } from './out-dir.js';
import { recordedOptions, resolveAlignOptions, type AlignVideoOptions } from './options.js';
import { alignStage } from './stages/align.js';
import { audioStage } from './stages/audio.js';
import { loadEmbeddingCache } from './embedding-cache.js';
import { embedStage, type EmbedModels } from './stages/embed.js';
import { imageStream, nearCueWithText, type StreamedImages } from './stages/embed-images.js';
import { exportStage, writtenNames } from './stages/export.js';
import { framesStage, type FramesOutput } from './stages/frames.js';
import { probeStage } from './stages/probe.js';
import { cuesInside, subtitlesStage } from './stages/subtitles.js';
import { syncRunRecord, syncStage } from './stages/sync.js';
import { ALIGN_STAGES, type AlignStage, type AlignVideoResult, type StageContext } from './types.js';

/** Seconds per stage, summed over the stage's calls. */
function stageClock(now: () => number) {
  const seconds = Object.fromEntries(ALIGN_STAGES.map((s) => [s, 0])) as Record<AlignStage, number>;
  const timed = async <T>(stage: AlignStage, fn: () => Promise<T> | T): Promise<T> => {
    const t0 = now();
    try {
      return await fn();
    } finally {
      seconds[stage] += (now() - t0) / 1000;
    }
  };
  const rounded = () => Object.fromEntries(Object.entries(seconds).map(([k, v]) => [k, Math.round(v * 1000) / 1000])) as Record<AlignStage, number>;
  return { seconds, timed, rounded };
}

/**
 * Aligns a video with its subtitles and writes, into `out`: `frames/` (JPEGs named by time),
 * `pairs.jsonl`, `embeddings.f32` + `embeddings.json` (unless `embed: false`), the dataset
 * `train.jsonl` + `dev.jsonl` in `format`, `sync.json` (how the cues were mapped onto the speech)
 * and `run.json` (options, counts, the sync mapping, stage timings). `subtitles` null: the video's
 * own subtitle stream (`subtitleStream` chooses), whose copy is kept as `embedded-subtitles.<ext>`.
 * The cues are shifted by `offset` first, then synchronised (`sync: 'auto'`).
 * Inputs are fully checked before anything is written; every file is replaced atomically; a rerun
 * with the same video and sampling reuses the frames.
 *
 * @example
 * const result = await alignVideo('talk.mp4', 'talk.srt', { out: 'talk-out', fps: 1, format: 'glm41v' });
 * console.log(`${result.pairs} pairs, ${result.train} train / ${result.dev} dev, sync: ${result.sync.status}`);
 * await alignVideo('film.mkv', null, { out: 'film-out', subtitleStream: 'eng' });
 */
export async function alignVideo(video: string, subtitles: string | null, options: AlignVideoOptions): Promise<AlignVideoResult> {
  const o = resolveAlignOptions(video, subtitles, options);
  const { seconds, timed, rounded } = stageClock(o.now);
  const ctx: StageContext = { binaries: o.binaries, progress: o.progress, log: o.log, warnings: [], now: o.now, signal: o.signal };
  const { ffmpeg } = o.binaries;
  o.log(`ffmpeg: ${ffmpeg.path} (from ${ffmpeg.source})`);

  // Every input check happens before the output folder is touched.
  const { info } = await timed('probe', () => probeStage({ video: o.video }, ctx));
  const { cues: given, source } = await timed('subtitles', () =>
    subtitlesStage({ video: o.video, subtitles: o.subtitles, subtitleStream: o.subtitleStream, offset: o.offset, duration: info.duration, fps: info.video.fps }, ctx),
  );
  // --offset first, then sync: the mapping is found from (and recorded against) the shifted cues.
  const synced = await timed('sync', () =>
    syncStage({ video: o.video, subtitles: source.label, info, cues: given, offset: o.offset, mode: o.sync, options: o.syncOptions }, ctx),
  );
  // From here on every stage sees the synchronised times: frame targets, pairing, audio clips, export.
  const cues = synced.cues;
  const inside = cuesInside(cues, info.duration, source.label, ctx);
  const plan: SamplingPlan =
    o.mode === 'fps' ? { mode: 'fps', fps: o.fps } : o.mode === 'cue' ? { mode: 'cue', perCue: o.perCue, cues: inside } : { mode: 'scene', threshold: o.sceneThreshold };

  // Refuses a folder holding files mmalign did not write, and one another run is writing into.
  const folder = await openOutputFolder(o.out, { purpose: `align ${o.video}` });
  // A failed run leaves no output behind: a folder it created is removed; an existing one keeps the last complete run.
  let completed = false;
  // New frames wait in staging until the export stage, so a run that fails later leaves the previous
  // dataset and the frames it points at untouched.
  let staged: string | null = null;
  let abandonExport: (() => Promise<void>) | null = null;
  try {
    await folder.claim(writtenNames(o.format, o.embed)).catch((err: unknown) => {
      throw environmentError(err, o.out, 'writing the output marker') ?? err;
    });
    const videoId = await fingerprint(o.video);
    const framesDir = folder.framesDir;
    const sampling = samplingKey(plan, o.jpegQuality, info.duration);
    // The embed stage's models; with embedding on, new frames are embedded while they are sampled.
    const encoders: EmbedModels = {
      create: o.createEncoder,
      model: o.model,
      dtype: o.dtype,
      allowRemote: o.allowRemote,
      modelsDir: o.modelsDir,
      device: o.device,
      heads: o.heads,
      logger: { warn: (m) => ctx.warnings.push({ message: m }), note: (m) => o.logger?.note?.(m), info: ctx.log },
    };
    const cache = o.embed ? await loadEmbeddingCache(o.out) : null;
    // A scene frame stands for its whole shot, so any of them may pair with a cue.
    const wanted = o.mode === 'scene' ? () => true : nearCueWithText(cues, o.threshold);
    const images = o.embed ? imageStream({ models: encoders, cache, wanted }, ctx) : null;
    let streamed: StreamedImages | null = null;
    let frames: FramesOutput;
    try {
      frames = await timed('frames', () => framesStage({ video: o.video, info, plan, jpegQuality: o.jpegQuality, framesDir, videoId, sampling, images }, ctx));
      staged = frames.staged;
      if (images) streamed = await timed('embed', () => images.finish());
    } finally {
      await images?.dispose();
    }
    const { clips } = await timed('audio', () => audioStage({ video: o.video, info }, ctx));
    const aligned = await timed('align', () =>
      alignStage({ video: o.video, subtitles: source.label, frames: frames.frames, cues, plan, duration: info.duration, threshold: o.threshold }, ctx),
    );

    let embedded = { vectors: [] as KeyedVector[], models: {} as ModelsUsed, reused: 0, pairs: aligned.pairs };
    if (o.embed && aligned.pairs.length > 0) {
      embedded = await timed('embed', () =>
        embedStage({ cache, images: streamed, pairs: aligned.pairs, pairFrames: aligned.pairFrames, cues, duration: info.duration, clips, videoId, staged, models: encoders }, ctx),
      );
      // Audio decoding ran inside the embed stage (lazily, per window): report it as its own stage.
      seconds.audio += clips?.decodeSeconds ?? 0;
      seconds.embed -= clips?.decodeSeconds ?? 0;
    }
    const { vectors, models, pairs } = embedded;

    if (o.sink) await o.sink({ video: o.video, pairs, vectors, models });

    const extras = [
      { name: 'sync.json', data: JSON.stringify(synced.json) + '\n' },
      ...(source.copy ? [source.copy] : []),
    ];
    const exported = await timed('export', () =>
      exportStage({ out: o.out, pairs, vectors, models, format: o.format, prompt: o.prompt, split: o.split, seed: o.seed, staged, extras }, ctx),
    );
    abandonExport = exported.abandon;
    const { train, dev, files } = exported;

    const result: AlignVideoResult = {
      video: o.video,
      subtitles: source.label,
      sync: synced.record,
      out: o.out,
      mode: o.mode,
      format: o.format,
      duration: info.duration,
      frames: frames.frames.length,
      pairs: pairs.length,
      unpairedFrames: aligned.unpairedFrames,
      unpairedCues: aligned.unpairedCues,
      dropped: aligned.dropped,
      train,
      dev,
      framesReused: frames.reused,
      embeddingsReused: embedded.reused,
      hasAudio: info.audio !== null,
      embedded: vectors.length > 0,
      warnings: ctx.warnings,
      seconds: rounded(),
      files,
    };
    const stream = source.stream && { number: source.stream.number, index: source.stream.index, codec: source.stream.codec, language: source.stream.language, title: source.stream.title };
    await exported.commit({ version: 1, options: recordedOptions(o), models, ...result, sync: syncRunRecord(synced.record), ...(stream ? { subtitleStream: stream } : {}) });
    staged = null; // moved into place
    completed = true;
    // The run is complete whatever happens now; a marker that keeps the claims of this run is still right.
    await folder.settle().catch((err: unknown) => o.log(`could not update ${o.out}'s marker: ${(err as Error).message}`));
    return result;
  } finally {
    if (!completed && staged) await rm(staged, { recursive: true, force: true });
    if (!completed) await abandonExport?.();
    await folder.close(completed);
  }
}
