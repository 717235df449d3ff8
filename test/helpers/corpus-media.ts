/** Small generated corpora for the corpus tests: videos from ffmpeg's lavfi sources, SRT files to match. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { defaultBinaries } from '../../src/core/ffmpeg/index.js';

function stamp(t: number): string {
  const ms = Math.round(t * 1000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(Math.floor(ms / 3_600_000))}:${p(Math.floor(ms / 60_000) % 60)}:${p(Math.floor(ms / 1000) % 60)},${p(ms % 1000, 3)}`;
}

/** SRT text with one cue per second from 0.1 s, `count` cues, texts naming `label`. */
export function srtText(count: number, label: string): string {
  return Array.from({ length: count }, (_, k) => `${k + 1}\n${stamp(k + 0.1)} --> ${stamp(k + 0.9)}\n${label} line ${k + 1}\n`).join('\n');
}

export interface VideoSpec {
  seconds?: number;
  /** Tone frequency; videos with different tones have different content. */
  tone?: number;
  audio?: boolean;
  /** Mux an SRT track into the file (as MKV) instead of writing a sidecar. */
  embedSubtitles?: string;
}

/**
 * Writes a small test video (160x120, 10 fps, x264, AAC tone) with the project's ffmpeg resolver.
 *
 * @example
 * makeVideo('/tmp/c/a.mp4', { seconds: 4, tone: 440 });
 */
export function makeVideo(file: string, { seconds = 4, tone = 440, audio = true, embedSubtitles }: VideoSpec = {}): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const { ffmpeg } = defaultBinaries();
  const args = ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=160x120:rate=10:duration=${seconds}`];
  if (audio) args.push('-f', 'lavfi', '-i', `sine=frequency=${tone}:sample_rate=16000:duration=${seconds}`);
  if (embedSubtitles) {
    const srt = `${file}.embed.srt`;
    writeFileSync(srt, embedSubtitles);
    args.push('-i', srt);
  }
  args.push('-map', '0:v');
  if (audio) args.push('-map', '1:a');
  if (embedSubtitles) args.push('-map', `${audio ? 2 : 1}:s`, '-c:s', 'srt');
  args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '10');
  if (audio) args.push('-c:a', 'aac', '-b:a', '32k');
  args.push('-metadata', `title=${path.basename(file)}-${tone}`, file);
  execFileSync(ffmpeg.path, args, { stdio: ['ignore', 'ignore', 'inherit'] });
}

/**
 * A folder of `n` videos with sidecar SRTs: `<dir>/v<i>.mp4` + `.srt`, each with its own tone.
 *
 * @example
 * const videos = makeCorpusFolder('/tmp/c/in', 3);
 */
export function makeCorpusFolder(dir: string, n: number, { seconds = 4 }: { seconds?: number } = {}): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const video = path.join(dir, `v${i}.mp4`);
    makeVideo(video, { seconds, tone: 300 + 50 * i });
    writeFileSync(path.join(dir, `v${i}.srt`), srtText(seconds, `video ${i}`));
    out.push(video);
  }
  return out;
}
