/**
 * `npm run bench:pipeline`: the whole `alignVideo` pipeline on a generated 10-minute video with
 * 600 cues, tiny models, 1 fps. Prints wall time and real-time factor per stage, and compares the
 * media stages against the naive approach measured in the same run (one ffmpeg seek per frame
 * and per cue, JPEGs re-read from disk). Target: ≥ 20× real time end to end on 2 cores.
 *
 * The naive baseline spawns ffmpeg twice per second of video, which takes many minutes on a busy
 * 2-core machine; it is timed on every BENCH_BASELINE_EVERY-th frame and cue (default 10) and
 * scaled up (the seeks are independent, so their cost is linear in their number).
 *
 * Memory: peak RSS of a whole run (embedding on) for a 10-minute and a 40-minute generated 720p
 * video, each measured in a fresh child process (bench/pipeline-rss.ts). Frames are embedded as they
 * are sampled, so the peak must not grow with the video: target 40-minute peak <= 1.2x the 10-minute one.
 *
 * Options: BENCH_MINUTES (default 10), BENCH_BASELINE_EVERY (default 10; 1 = all), BENCH_SKIP_BASELINE=1,
 * BENCH_MEMORY_MINUTES (default "10,40"), BENCH_SKIP_MEMORY=1, BENCH_ONLY_MEMORY=1.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { alignVideo, ALIGN_STAGES } from '../src/pipeline/index.js';
import { defaultBinaries, probeMedia, requireVideo } from '../src/core/ffmpeg/index.js';
import { cueTargets } from '../alignment/index.js';
import { sampleFrames } from '../src/pipeline/frames/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DATA = path.join(ROOT, 'bench', '.data');
const MINUTES = Number(process.env.BENCH_MINUTES ?? 10);
const DURATION = MINUTES * 60;
const CUES = DURATION; // one cue per second: 600 for 10 minutes
const VIDEO = path.join(DATA, `bench-${MINUTES}min.mp4`);
const SUBS = path.join(DATA, `bench-${MINUTES}min.srt`);
const { ffmpeg } = defaultBinaries();

function stamp(t: number): string {
  const ms = Math.round(t * 1000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(Math.floor(ms / 3_600_000))}:${p(Math.floor(ms / 60_000) % 60)}:${p(Math.floor(ms / 1000) % 60)},${p(ms % 1000, 3)}`;
}

/** A generated video (cached in bench/.data) with one cue per second. */
async function generate(video: string, subs: string, seconds: number, size: string, rate: number): Promise<void> {
  await mkdir(DATA, { recursive: true });
  if (!existsSync(video)) {
    process.stdout.write(`generating ${video} (${seconds / 60} min, ${size}, ${rate} fps, cheap x264) ...\n`);
    // Cheap settings: it is input for the benchmark, not a fixture.
    execFileSync(ffmpeg.path, [
      '-hide_banner', '-loglevel', 'error', '-y',
      '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${rate}:duration=${seconds}`,
      '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=16000:duration=${seconds}`,
      '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '35', '-g', String(10 * rate), '-pix_fmt', 'yuv420p',
      '-c:a', 'aac', '-b:a', '24k', '-ac', '1',
      `${video}.tmp.mp4`,
    ]);
    execFileSync('mv', [`${video}.tmp.mp4`, video]);
  }
  const srt = Array.from({ length: seconds }, (_, k) => `${k + 1}\n${stamp(k + 0.1)} --> ${stamp(k + 0.9)}\nCue ${k + 1}: the pattern keeps moving across the screen.\n`).join('\n');
  await writeFile(subs, srt);
}

/** Peak RSS of one whole run in a fresh child process. */
function measureRss(video: string, subs: string, out: string): Promise<{ maxRssMB: number; wall: number; duration: number; frames: number; embedded: boolean }> {
  const child = path.join(ROOT, 'bench', 'pipeline-rss.ts');
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', child, video, subs, out], { cwd: ROOT, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${child} failed: ${stderr || err.message}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop()!));
    });
  });
}

/** Peak memory against video length: frames are embedded as they are sampled, so it must stay flat. */
async function memory(): Promise<void> {
  const minutes = (process.env.BENCH_MEMORY_MINUTES ?? '10,40').split(',').map(Number);
  process.stdout.write(`\nmemory: peak RSS of alignVideo (embedding on, tiny models, 1 fps) on generated 1280x720 videos, one child process each\n`);
  const peaks: number[] = [];
  for (const m of minutes) {
    const video = path.join(DATA, `mem-${m}min-720p.mp4`);
    const subs = path.join(DATA, `mem-${m}min-720p.srt`);
    await generate(video, subs, m * 60, '1280x720', 5);
    const r = await measureRss(video, subs, path.join(DATA, 'mem-out'));
    peaks.push(r.maxRssMB);
    process.stdout.write(`${String(m).padStart(4)} min: ${r.frames} frames, peak RSS ${r.maxRssMB.toFixed(0)} MB, ${r.wall.toFixed(1)} s (${(r.duration / r.wall).toFixed(1)}x real time)\n`);
  }
  await rm(path.join(DATA, 'mem-out'), { recursive: true, force: true });
  if (peaks.length >= 2) {
    const ratio = peaks[peaks.length - 1] / peaks[0];
    process.stdout.write(
      `peak ${minutes[minutes.length - 1]} min / ${minutes[0]} min: ${ratio.toFixed(2)}x (target <= 1.2x: ${ratio <= 1.2 ? 'met' : 'NOT met'})\n`,
    );
  }
}

function runQuiet(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpeg.path, args, { stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}`))));
  });
}

/** The naive approach: a fresh ffmpeg per frame (input seek), then every JPEG read back from disk. */
async function naiveFrames(times: readonly number[], dir: string): Promise<number> {
  await mkdir(dir, { recursive: true });
  const t0 = performance.now();
  let bytes = 0;
  for (const [i, t] of times.entries()) {
    const file = path.join(dir, `f${i}.jpg`);
    await runQuiet(['-nostdin', '-ss', String(t), '-i', VIDEO, '-frames:v', '1', '-q:v', '4', '-y', file]);
    bytes += (await readFile(file)).length;
  }
  if (bytes === 0) throw new Error('naive frames produced nothing');
  return (performance.now() - t0) / 1000;
}

/** The naive audio: a fresh ffmpeg per cue, decoding [start, end) to 16 kHz mono f32. */
async function naiveAudio(spans: readonly { start: number; end: number }[]): Promise<number> {
  const t0 = performance.now();
  for (const s of spans) {
    await runQuiet(['-nostdin', '-ss', String(s.start), '-t', String(s.end - s.start), '-i', VIDEO, '-vn', '-ac', '1', '-ar', '16000', '-f', 'f32le', '-y', '/dev/null']);
  }
  return (performance.now() - t0) / 1000;
}

async function main(): Promise<void> {
  if (process.env.BENCH_ONLY_MEMORY === '1') return memory();
  await generate(VIDEO, SUBS, DURATION, '320x240', 25);
  const out = path.join(DATA, 'out');
  await rm(out, { recursive: true, force: true });
  process.stdout.write(`cores: ${cpus().length}; ffmpeg: ${ffmpeg.path} (${ffmpeg.source})\n`);

  const t0 = performance.now();
  const r = await alignVideo(VIDEO, SUBS, { out, fps: 1, device: 'cpu', format: 'glm4v' });
  const wall = (performance.now() - t0) / 1000;

  process.stdout.write(`\nalignVideo: ${r.duration.toFixed(0)} s video, ${r.frames} frames, ${r.pairs} pairs, embedded=${r.embedded}\n`);
  process.stdout.write('stage       seconds   x real time\n');
  for (const s of ALIGN_STAGES) {
    const sec = r.seconds[s];
    process.stdout.write(`${s.padEnd(10)} ${sec.toFixed(2).padStart(8)}   ${sec > 0 ? (r.duration / sec).toFixed(1).padStart(8) : '       -'}\n`);
  }
  const rtf = r.duration / wall;
  process.stdout.write(`${'end to end'.padEnd(10)} ${wall.toFixed(2).padStart(8)}   ${rtf.toFixed(1).padStart(8)}   (target >= 20x: ${rtf >= 20 ? 'met' : 'NOT met'})\n`);

  // Same run, a second way: the frames + audio stages done naively.
  const oursMedia = r.seconds.frames + r.seconds.audio;
  if (process.env.BENCH_SKIP_BASELINE !== '1') {
    const every = Math.max(1, Math.floor(Number(process.env.BENCH_BASELINE_EVERY ?? 10)));
    const times = Array.from({ length: r.frames }, (_, k) => k).filter((k) => k % every === 0);
    const spans = Array.from({ length: CUES }, (_, k) => ({ start: k + 0.1, end: k + 0.9 })).filter((_, k) => k % every === 0);
    process.stdout.write(
      `\nbaseline: ${times.length} ffmpeg seeks for frames + ${spans.length} for cue audio` +
        (every > 1 ? ` (1 in ${every}, times scaled x${(r.frames / times.length).toFixed(1)} and x${(CUES / spans.length).toFixed(1)})` : '') +
        ' ...\n',
    );
    const nf = ((await naiveFrames(times, path.join(DATA, 'naive'))) * r.frames) / times.length;
    const na = ((await naiveAudio(spans)) * CUES) / spans.length;
    process.stdout.write(
      `frames: ours ${r.seconds.frames.toFixed(2)} s (one pass) vs naive ${nf.toFixed(2)} s (seek per frame): ${(nf / r.seconds.frames).toFixed(1)}x faster\n` +
        `audio:  ours ${r.seconds.audio.toFixed(2)} s (one decode) vs naive ${na.toFixed(2)} s (seek per cue): ${(na / Math.max(r.seconds.audio, 1e-3)).toFixed(1)}x faster\n` +
        `media stages together: ${((nf + na) / oursMedia).toFixed(1)}x faster\n`,
    );

    // Sparse targets are where per-timestamp seeks can win: 30 cue midpoints spread over the video.
    const info = requireVideo(await probeMedia(VIDEO));
    const sparse = Array.from({ length: 30 }, (_, k) => ({ start: (k * DURATION) / 30 + 1, end: (k * DURATION) / 30 + 2 }));
    const s0 = performance.now();
    const one = await sampleFrames(VIDEO, info, { mode: 'cue', perCue: 1, cues: sparse });
    const onePass = (performance.now() - s0) / 1000;
    const seeks = await naiveFrames(cueTargets(sparse, 1), path.join(DATA, 'naive-sparse'));
    process.stdout.write(
      `sparse cue mode (${one.length} frames in ${MINUTES} min): one pass ${onePass.toFixed(2)} s vs seeks ${seeks.toFixed(2)} s ` +
        `(${onePass < seeks ? 'one pass' : 'seeks'} faster, ${(Math.max(onePass, seeks) / Math.min(onePass, seeks)).toFixed(1)}x)\n`,
    );
    await rm(path.join(DATA, 'naive'), { recursive: true, force: true });
    await rm(path.join(DATA, 'naive-sparse'), { recursive: true, force: true });
  }
  if (process.env.BENCH_SKIP_MEMORY !== '1') await memory();
  process.stdout.write('\nNote: the machine is shared; figures are indicative. Tiny generated models are not semantic.\n');
}

await main();
