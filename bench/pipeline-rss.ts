/**
 * Child process of `npm run bench:pipeline`'s memory section: runs one `alignVideo` (tiny models,
 * cpu, 1 fps) and prints, as one JSON line, its peak resident memory (process.resourceUsage().maxRSS),
 * so each measured video gets a fresh process whose peak nothing else has raised.
 *
 * Usage: node --import tsx bench/pipeline-rss.ts VIDEO SUBS OUT
 */
import { rm } from 'node:fs/promises';
import { alignVideo } from '../src/pipeline/index.js';

const [video, subs, out] = process.argv.slice(2);
if (!video || !subs || !out) throw new Error('usage: pipeline-rss.ts VIDEO SUBS OUT');
await rm(out, { recursive: true, force: true });
const t0 = performance.now();
const r = await alignVideo(video, subs, { out, fps: 1, device: 'cpu', format: 'glm4v' });
const wall = (performance.now() - t0) / 1000;
process.stdout.write(
  JSON.stringify({ maxRssMB: process.resourceUsage().maxRSS / 1024, wall, duration: r.duration, frames: r.frames, pairs: r.pairs, embedded: r.embedded }) + '\n',
);
