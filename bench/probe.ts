/**
 * `npm run bench:probe`: probing through ffmpeg's input dump (what mmalign does) against ffprobe's
 * JSON (the reference), on the container shapes the pipeline meets: mp4, mkv, MPEG-TS, WebM, a
 * streamed MKV without a duration, a video without audio, an audio-only file and a still image.
 * Per shape: milliseconds per probe for each ffmpeg it finds (the resolved one and the npm build),
 * the same for ffprobe, and every field that differs from ffprobe's answer. The reference is the
 * first ffprobe on the PATH (or FFPROBE_REFERENCE); without one only the timings are printed.
 *
 * Target (issue 15): the same streams, sizes, codecs, rates and channels as ffprobe; duration and
 * start within 10 ms (the dump prints the duration to 10 ms); each probe within 2x ffprobe's time
 * (the streamed MKV reads its packets, as ffprobe's fallback did). Exits 1 when one is missed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultBinary, probeMedia, type MediaInfo, type ResolvedBinary } from '../src/core/ffmpeg/index.js';
import { env } from '../src/core/env.js';

const SAMPLE = fileURLToPath(new URL('../fixtures/video/sample.mp4', import.meta.url));
const RUNS = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice(7) ?? 10);

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

// The benchmark alone compares against ffprobe; mmalign itself never runs it.
const reference = process.argv.find((a) => a.startsWith('--ffprobe='))?.slice(10) ??
  env.searchPath.map((d) => path.join(d, 'ffprobe')).find(executable) ?? null;

const ffmpegs: ResolvedBinary[] = [defaultBinary('ffmpeg')];
try {
  const npm = (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  if (npm !== ffmpegs[0].path && executable(npm)) ffmpegs.push({ path: npm, source: 'npm' });
} catch {
  // no npm build on this platform
}

const dir = mkdtempSync(path.join(tmpdir(), 'mmalign-bench-probe-'));
const make = (args: string[]) => execFileSync(ffmpegs[0].path, ['-hide_banner', '-loglevel', 'error', '-y', ...args], { maxBuffer: 1 << 28 });
const SHAPES: Record<string, () => string> = {
  mp4: () => SAMPLE,
  mkv: () => (make(['-i', SAMPLE, '-c', 'copy', path.join(dir, 'a.mkv')]), path.join(dir, 'a.mkv')),
  ts: () => (make(['-i', SAMPLE, '-c', 'copy', '-f', 'mpegts', path.join(dir, 'a.ts')]), path.join(dir, 'a.ts')),
  webm: () => (make(['-i', SAMPLE, '-t', '6', '-c:v', 'libvpx', '-b:v', '200k', '-c:a', 'libopus', path.join(dir, 'a.webm')]), path.join(dir, 'a.webm')),
  'streamed-mkv': () => (writeFileSync(path.join(dir, 's.mkv'), make(['-i', SAMPLE, '-c', 'copy', '-f', 'matroska', '-'])), path.join(dir, 's.mkv')),
  'no-audio': () => (make(['-i', SAMPLE, '-an', '-c', 'copy', path.join(dir, 'mute.mp4')]), path.join(dir, 'mute.mp4')),
  'audio-only': () => (make(['-i', SAMPLE, '-vn', '-c:a', 'copy', path.join(dir, 'a.m4a')]), path.join(dir, 'a.m4a')),
  still: () => (make(['-f', 'lavfi', '-i', 'color=c=red:s=32x32', '-frames:v', '1', path.join(dir, 'still.png')]), path.join(dir, 'still.png')),
};

interface ProbeJson {
  streams?: { codec_type?: string; codec_name?: string; width?: number; height?: number; avg_frame_rate?: string; r_frame_rate?: string; sample_rate?: string; channels?: number; duration?: string; disposition?: { attached_pic?: number } }[];
  format?: { format_name?: string; duration?: string; start_time?: string };
}

const rate = (r?: string) => {
  const [n, d] = (r ?? '').split('/').map(Number);
  const v = d ? n / d : n;
  return Number.isFinite(v) && v > 0 ? v : null;
};

/** ffprobe's answer in MediaInfo's shape (duration: the format's, else where the video's last packet ends), as mmalign's probe did before issue 15. */
function ffprobeInfo(file: string, bin: string): MediaInfo {
  const j = JSON.parse(execFileSync(bin, ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file], { encoding: 'utf8' })) as ProbeJson;
  const all = j.streams ?? [];
  const v = all.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  const a = all.find((s) => s.codec_type === 'audio');
  let duration = Number(j.format?.duration);
  // A still image has no duration in either tool's answer (mmalign does not time its one frame).
  if (!(duration > 0) && v && !/^(image2|.*_pipe|gif|webp)$/.test(j.format?.format_name ?? '')) {
    const pts = execFileSync(bin, ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time,duration_time', '-of', 'csv=p=0', file], { encoding: 'utf8' });
    duration = Math.max(...pts.trim().split('\n').map((l) => l.split(',').map(Number)).map(([t, d]) => t + (d || 0))) - Number(j.format?.start_time ?? 0);
  }
  return {
    file,
    duration: duration > 0 ? duration : 0,
    startTime: Number(j.format?.start_time) || 0,
    format: j.format?.format_name ?? '',
    video: v ? { codec: v.codec_name ?? '', width: v.width ?? 0, height: v.height ?? 0, fps: rate(v.avg_frame_rate) ?? rate(v.r_frame_rate) } : null,
    audio: a ? { codec: a.codec_name ?? '', sampleRate: Number(a.sample_rate ?? 0), channels: a.channels ?? 0 } : null,
    streams: all.map((s) => s.codec_type ?? 'unknown'),
  };
}

/** Fields where `got` differs from `want` beyond the dump's printed precision. */
function differences(got: MediaInfo, want: MediaInfo): string[] {
  const out: string[] = [];
  if (Math.abs(got.duration - want.duration) > 0.0101) out.push(`duration ${got.duration} vs ${want.duration}`);
  if (Math.abs(got.startTime - want.startTime) > 0.0101) out.push(`start ${got.startTime} vs ${want.startTime}`);
  for (const k of ['format', 'streams', 'audio'] as const) {
    if (JSON.stringify(got[k]) !== JSON.stringify(want[k])) out.push(`${k} ${JSON.stringify(got[k])} vs ${JSON.stringify(want[k])}`);
  }
  const gv = got.video && { ...got.video, fps: got.video.fps && Math.round(got.video.fps * 1000) / 1000 };
  const wv = want.video && { ...want.video, fps: want.video.fps && Math.round(want.video.fps * 1000) / 1000 };
  if (JSON.stringify(gv) !== JSON.stringify(wv)) out.push(`video ${JSON.stringify(gv)} vs ${JSON.stringify(wv)}`);
  return out;
}

async function ms(fn: () => unknown): Promise<number> {
  await fn(); // warm the page cache and the binary
  const t0 = performance.now();
  for (let i = 0; i < RUNS; i++) await fn();
  return (performance.now() - t0) / RUNS;
}

const log = (s: string) => process.stdout.write(s + '\n');
let failed = 0;
try {
  const version = (bin: string) => spawnSync(bin, ['-version'], { encoding: 'utf8' }).stdout.split('\n')[0].split(' ').slice(0, 3).join(' ');
  log(`ffmpeg: ${ffmpegs.map((b) => `${b.path} (${b.source}; ${version(b.path)})`).join(', ')}`);
  log(`reference: ${reference ? `${reference} (${version(reference)})` : 'none (no ffprobe on the PATH; timings only)'}`);
  log(`${RUNS} probes each, ms per probe\n`);
  log(['shape', ...ffmpegs.map((b) => `ffmpeg ${b.source}`), 'ffprobe', 'ratio', 'differences from ffprobe'].map((c, i) => (i ? c.padStart(12) : c.padEnd(13))).join(''));
  for (const [shape, makeFile] of Object.entries(SHAPES)) {
    const file = makeFile();
    const times: number[] = [];
    const diffs: string[] = [];
    const want = reference ? ffprobeInfo(file, reference) : null;
    for (const bin of ffmpegs) {
      const binaries = { ffmpeg: bin };
      times.push(await ms(() => probeMedia(file, binaries)));
      if (want) diffs.push(...differences(await probeMedia(file, binaries), want).map((d) => `${bin.source}: ${d}`));
    }
    const ref = reference ? await ms(() => ffprobeInfo(file, reference)) : NaN;
    const ratio = Math.max(...times) / ref;
    if (want && (diffs.length > 0 || ratio > 2)) failed++;
    log(
      [shape.padEnd(13), ...times.map((t) => t.toFixed(1).padStart(12)), (reference ? ref.toFixed(1) : '-').padStart(12), (reference ? `${ratio.toFixed(2)}x` : '-').padStart(12), '  ' + (want ? diffs.join('; ') || 'none' : '-')].join(''),
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
log(failed ? `\n${failed} shape(s) missed the target` : '\nevery shape matches ffprobe within the target');
process.exitCode = failed ? 1 : 0;
