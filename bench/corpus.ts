/**
 * `npm run bench:corpus`: a corpus of generated 2-minute videos aligned three ways in one run:
 *   1. sequential: one `mmalign align` process after another (the way before `corpus align`),
 *   2. the local pool: `mmalign corpus align --workers N`,
 *   3. BullMQ: `mmalign corpus align --queue` with two `mmalign corpus worker`s on a loopback Redis.
 * Prints media hours aligned per wall-clock hour for each and the ratios. Targets on 2 cores: the pool
 * >= 1.3x sequential; BullMQ within 10 % of the pool. Then the single writer: the finalize step's
 * knowledge-base ingestion of the whole corpus, in ms per item.
 *
 * Options (env): BENCH_VIDEOS (default 8), BENCH_SECONDS (default 120), BENCH_WORKERS (default: cores),
 * BENCH_CLI=dist (run `node dist/src/cli.js`, after `npm run build`, instead of the sources through tsx,
 * whose compile adds seconds to every process start), MMALIGN_BENCH_REDIS_URL (else redis-server from
 * the PATH is started on a random loopback port).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultBinaries } from '../src/core/ffmpeg/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = process.env.BENCH_CLI === 'dist';
const CLI = DIST ? path.join(ROOT, 'dist', 'src', 'cli.js') : path.join(ROOT, 'src', 'cli.ts');
const VIDEOS = Number(process.env.BENCH_VIDEOS ?? 8);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 120);
const WORKERS = Number(process.env.BENCH_WORKERS ?? availableParallelism());
const DATA = path.join(ROOT, 'bench', '.data', 'corpus');
const INPUT = path.join(DATA, `in-${VIDEOS}x${SECONDS}s`);
const MEDIA_HOURS = (VIDEOS * SECONDS) / 3600;

function stamp(t: number): string {
  const ms = Math.round(t * 1000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(Math.floor(ms / 3_600_000))}:${p(Math.floor(ms / 60_000) % 60)}:${p(Math.floor(ms / 1000) % 60)},${p(ms % 1000, 3)}`;
}

/** 320x240 25 fps test pattern (a different one per video), a tone or noise, one cue per second. */
function generate(): void {
  mkdirSync(INPUT, { recursive: true });
  const { ffmpeg } = defaultBinaries();
  const sources = ['testsrc2', 'testsrc', 'smptebars', 'rgbtestsrc', 'smptehdbars', 'pal75bars', 'pal100bars', 'yuvtestsrc'];
  for (let i = 0; i < VIDEOS; i++) {
    const video = path.join(INPUT, `talk${String(i).padStart(2, '0')}.mp4`);
    if (!existsSync(video)) {
      process.stdout.write(`generating ${video} (${SECONDS} s)\n`);
      const src = sources[i % sources.length];
      const audio = i % 2 === 0 ? `sine=frequency=${220 + 40 * i}:sample_rate=16000:duration=${SECONDS}` : `anoisesrc=color=pink:amplitude=0.2:sample_rate=16000:duration=${SECONDS}`;
      const tmp = `${video}.partial.mp4`;
      const run = runQuiet(ffmpeg.path, [
        '-hide_banner', '-loglevel', 'error', '-y',
        '-f', 'lavfi', '-i', `${src}=size=320x240:rate=25`,
        '-f', 'lavfi', '-i', audio,
        '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '30', '-g', '250', '-pix_fmt', 'yuv420p',
        '-c:a', 'aac', '-b:a', '32k', '-ac', '1', '-t', String(SECONDS), tmp,
      ]);
      if (run !== 0) throw new Error(`ffmpeg could not generate ${video}`);
      renameSync(tmp, video); // bench input, not project output: a plain rename is enough
    }
    const srt = Array.from({ length: SECONDS }, (_, k) => `${k + 1}\n${stamp(k + 0.1)} --> ${stamp(k + 0.9)}\nTalk ${i}, line ${k + 1}: the pattern keeps moving.\n`).join('\n');
    writeFileSync(video.replace(/\.mp4$/, '.srt'), srt);
  }
}

function runQuiet(bin: string, args: string[]): number {
  return spawnSync(bin, args, { stdio: ['ignore', 'ignore', 'inherit'] }).status ?? 1;
}

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

function mmalign(args: string[], quiet = true): Run {
  const child = spawn(process.execPath, [...(DIST ? [] : ['--import', 'tsx']), CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
  let o = '';
  let e = '';
  child.stdout!.on('data', (c: Buffer) => (o += c.toString()));
  child.stderr!.on('data', (c: Buffer) => {
    e += c.toString();
    if (!quiet) process.stderr.write(c);
  });
  return { child, stdout: () => o, stderr: () => e, exit: new Promise((r) => child.on('exit', (code) => r(code))) };
}

async function ok(run: Run, what: string): Promise<void> {
  const code = await run.exit;
  if (code !== 0) throw new Error(`${what} exited ${code}:\n${run.stderr().slice(-3000)}`);
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

const videos = () => Array.from({ length: VIDEOS }, (_, i) => path.join(INPUT, `talk${String(i).padStart(2, '0')}.mp4`));
const fresh = (dir: string): string => {
  rmSync(dir, { recursive: true, force: true });
  return dir;
};

/** The start-up of one mmalign process (best of three `--version`), which the sequential way pays per video. */
async function startup(): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < 3; i++) best = Math.min(best, await timed(() => ok(mmalign(['--version']), 'mmalign --version')));
  return best;
}

async function sequential(): Promise<number> {
  const out = fresh(path.join(DATA, 'out-sequential'));
  return timed(async () => {
    for (const [i, v] of videos().entries()) {
      await ok(mmalign(['align', v, v.replace(/\.mp4$/, '.srt'), '--out', path.join(out, String(i)), '--device', 'cpu', '--json']), `align ${v}`);
    }
  });
}

async function pool(): Promise<{ seconds: number; finalize: number }> {
  const out = fresh(path.join(DATA, 'out-pool'));
  const run = mmalign(['corpus', 'align', INPUT, '--out', out, '--workers', String(WORKERS), '--device', 'cpu', '--json']);
  const seconds = await timed(() => ok(run, 'corpus align (pool)'));
  return { seconds, finalize: JSON.parse(run.stdout()).seconds as number };
}

async function startRedis(): Promise<{ url: string; stop: () => void } | null> {
  if (process.env.MMALIGN_BENCH_REDIS_URL) return { url: process.env.MMALIGN_BENCH_REDIS_URL, stop: () => {} };
  const which = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const bin = which.stdout.trim();
  if (!bin) return null;
  const port = 20000 + Math.floor(Math.random() * 40000);
  const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));
  return { url: `redis://127.0.0.1:${port}/0`, stop: () => void child.kill('SIGTERM') };
}

async function bullmq(url: string): Promise<number> {
  const out = fresh(path.join(DATA, 'out-bullmq'));
  const queue = `bench-${process.pid}`;
  // Two workers sharing the machine as the pool's processes do: together WORKERS jobs, one core's threads each.
  const per = Math.max(1, Math.floor(WORKERS / 2));
  const threads = String(Math.max(1, Math.floor(availableParallelism() / WORKERS)));
  const workers = [0, 1].map(() => mmalign(['corpus', 'worker', '--queue', url, '--queue-name', queue, '--concurrency', String(per), '--threads', threads]));
  try {
    // Workers are long-running services: their own start-up is not part of the corpus run.
    const deadline = Date.now() + 120_000;
    while (!workers.every((w) => /waiting for jobs/.test(w.stderr()))) {
      if (Date.now() > deadline) throw new Error(`workers did not start:\n${workers.map((w) => w.stderr()).join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return await timed(() => ok(mmalign(['corpus', 'align', INPUT, '--out', out, '--queue', url, '--queue-name', queue, '--device', 'cpu', '--json']), 'corpus align (queue)'));
  } finally {
    for (const w of workers) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exit));
  }
}

/** The single writer: the finalize step's knowledge-base ingestion, over the pool run's aligned corpus. */
async function singleWriter(): Promise<{ items: number; msPerItem: number | null; seconds: number }> {
  const out = path.join(DATA, 'out-pool');
  const kb = fresh(path.join(DATA, 'kb'));
  const run = mmalign(['corpus', 'align', INPUT, '--out', out, '--workers', String(WORKERS), '--device', 'cpu', '--kb', kb, '--json']);
  await ok(run, 'corpus align --kb');
  const stats = JSON.parse(readFileSync(path.join(out, 'stats.json'), 'utf8')) as { kb: { items: number; msPerItem: number | null; seconds: number } };
  return stats.kb;
}

const rate = (seconds: number): number => MEDIA_HOURS / (seconds / 3600);

async function main(): Promise<void> {
  generate();
  process.stdout.write(`\n${VIDEOS} videos x ${SECONDS} s = ${MEDIA_HOURS.toFixed(3)} media hours; ${availableParallelism()} cores, ${WORKERS} workers; load ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
  if (DIST && !existsSync(CLI)) throw new Error(`BENCH_CLI=dist needs ${CLI}: run npm run build first`);
  const start = await startup();
  process.stdout.write(`one mmalign process starts in ${start.toFixed(2)} s (${DIST ? 'dist/' : 'sources through tsx'})\n`);
  const seq = await sequential();
  process.stdout.write(`sequential: ${seq.toFixed(1)} s (of which ~${(VIDEOS * start).toFixed(1)} s process start-up)\n`);
  const p = await pool();
  process.stdout.write(`pool:       ${p.seconds.toFixed(1)} s (finalize ${p.finalize.toFixed(1)} s)\n`);
  const redis = await startRedis();
  let bull: number | null = null;
  if (redis) {
    try {
      bull = await bullmq(redis.url);
      process.stdout.write(`bullmq:     ${bull.toFixed(1)} s\n`);
    } finally {
      redis.stop();
    }
  } else {
    process.stdout.write('bullmq:     skipped: no redis-server on the PATH and no MMALIGN_BENCH_REDIS_URL\n');
  }
  const writer = await singleWriter();

  const rows: [string, number | null][] = [['sequential `mmalign align`', seq], [`local pool (--workers ${WORKERS})`, p.seconds], ['BullMQ, 2 workers on loopback Redis', bull]];
  process.stdout.write('\n| mode | wall s | media h / h | vs sequential |\n|---|---|---|---|\n');
  for (const [name, s] of rows) process.stdout.write(s === null ? `| ${name} | - | - | - |\n` : `| ${name} | ${s.toFixed(1)} | ${rate(s).toFixed(1)} | ${(seq / s).toFixed(2)}x |\n`);
  const poolRatio = seq / p.seconds;
  process.stdout.write(`\npool vs sequential: ${poolRatio.toFixed(2)}x (target >= 1.3x: ${poolRatio >= 1.3 ? 'met' : 'NOT met'})\n`);
  if (bull !== null) {
    const r = p.seconds / bull;
    process.stdout.write(`BullMQ vs pool: ${r.toFixed(2)}x (target within 10 %: ${r >= 0.9 ? 'met' : 'NOT met'})\n`);
  }
  process.stdout.write(`single writer (finalize KB ingestion): ${writer.items} items in ${writer.seconds.toFixed(2)} s, ${writer.msPerItem ?? '-'} ms per item of writer time\n`);
  process.stdout.write('\nNote: the machine may be shared; figures taken under load are indicative. Tiny generated models are not semantic.\n');
}

await main();
