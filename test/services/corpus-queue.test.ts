/**
 * BullMQ corpus mode against a real Redis: a coordinator and two worker processes on loopback align
 * a corpus of small generated videos; one worker is SIGKILLed while it aligns a video. Its job must
 * come back through BullMQ's stalled-job check and complete exactly once elsewhere, the shards and
 * the knowledge base must hold everything once, a second coordinator submitting the same corpus
 * meanwhile must add nothing, and a rerun afterwards must do nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KnowledgeBase } from '../../index/index.js';
import { CORPUS_DEFAULTS } from '../../src/core/defaults.js';
import { sampleKey } from '../../src/corpus/keys.js';
import { readShard } from '../../src/corpus/shards.js';
import { makeCorpusFolder } from '../helpers/corpus-media.js';
import { sharedTempDir } from '../helpers/tmp.js';
import { startTestRedis, type TestRedis } from './redis.js';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const VIDEOS = 5;
const root = sharedTempDir('corpus-queue');
const input = path.join(root, 'in');
const out = path.join(root, 'out');
const kbDir = path.join(root, 'kb');
// A queue of its own, so a shared MMALIGN_TEST_REDIS_URL server is never confused by other runs.
const queueName = `mmalign-test-${process.pid}-${Date.now()}`;

interface Proc {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

function mmalign(args: string[]): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let o = '';
  let e = '';
  child.stdout!.on('data', (c: Buffer) => (o += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (e += c.toString()));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, stdout: () => o, stderr: () => e, exit };
}

async function until(what: string, test: () => boolean, ms = 180_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let redis: TestRedis;
let events: QueueEvents;
let eventsConnection: Redis;
const added = new Map<string, number>();
const completed = new Map<string, number>();
const workers: Proc[] = [];
let killed: { worker: Proc; key: string };
let coordinators: Proc[];
let coordinatorArgs: string[];

beforeAll(async () => {
  redis = await startTestRedis();
  makeCorpusFolder(input, VIDEOS, { seconds: 5 });
  eventsConnection = new Redis(redis.url, { maxRetriesPerRequest: null });
  events = new QueueEvents(queueName, { connection: eventsConnection, prefix: CORPUS_DEFAULTS.queuePrefix });
  await events.waitUntilReady();
  events.on('added', ({ jobId }) => added.set(jobId, (added.get(jobId) ?? 0) + 1));
  events.on('completed', ({ jobId }) => completed.set(jobId, (completed.get(jobId) ?? 0) + 1));

  // Short lock and stalled-check intervals: a dead worker's job is back in seconds, not a minute.
  const workerArgs = ['corpus', 'worker', '--queue', redis.url, '--queue-name', queueName, '--concurrency', '1', '--lock-duration', '4000', '--stalled-interval', '2000'];
  workers.push(mmalign(workerArgs), mmalign(workerArgs));
  await until('both workers to be ready', () => workers.every((w) => /waiting for jobs/.test(w.stderr())), 120_000);

  coordinatorArgs = ['corpus', 'align', input, '--out', out, '--queue', redis.url, '--queue-name', queueName, '--kb', kbDir, '--device', 'cpu', '--shard-size', '4', '--json'];
  coordinators = [mmalign(coordinatorArgs)];
  await until('the corpus to be submitted', () => /to align on queue/.test(coordinators[0].stderr()));
  // The same corpus submitted again while it runs.
  coordinators.push(mmalign(coordinatorArgs));

  // Kill the first worker to start a video, once it is well into it.
  await until('a worker to start a video', () => workers.some((w) => /start (\S+)/.test(w.stderr())));
  const victim = workers.find((w) => /start (\S+)/.test(w.stderr()))!;
  const key = /start (\S+)/.exec(victim.stderr())![1];
  await new Promise((r) => setTimeout(r, 1500));
  victim.child.kill('SIGKILL');
  killed = { worker: victim, key };
  await Promise.all(coordinators.map((c) => c.exit));
}, 400_000);

afterAll(async () => {
  for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.exit));
  await events?.close();
  eventsConnection?.disconnect();
  await redis?.stop();
});

const entries = () => JSON.parse(readFileSync(path.join(out, 'corpus.json'), 'utf8')).entries as { key: string; status: string }[];

describe('corpus align on BullMQ workers', () => {
  it('completes the corpus for both coordinators', () => {
    for (const c of coordinators) {
      expect(c.child.exitCode, c.stderr()).toBe(0);
      expect(JSON.parse(c.stdout())).toMatchObject({ videos: VIDEOS, complete: VIDEOS, failures: 0 });
    }
  });

  it('retries the killed worker\'s video on the other worker, which completes it', () => {
    expect(killed.worker.child.signalCode).toBe('SIGKILL');
    expect(killed.worker.stderr()).not.toMatch(new RegExp(`done ${killed.key}`));
    const survivor = workers.find((w) => w !== killed.worker)!;
    expect(survivor.stderr()).toMatch(new RegExp(`(done|reused) ${killed.key}`));
  });

  it('adds each job once although the corpus was submitted twice, and completes each video job exactly once', () => {
    const videoJobs = [...added.keys()].filter((id) => id.includes('-v-'));
    expect(videoJobs).toHaveLength(VIDEOS);
    for (const id of videoJobs) {
      expect(added.get(id)).toBe(1);
      expect(completed.get(id)).toBe(1);
    }
    const finalize = [...added.keys()].filter((id) => id.includes('-f-'));
    expect(finalize).toHaveLength(1);
    expect(completed.get(finalize[0])).toBe(1);
    expect(entries().every((e) => e.status === 'ok')).toBe(true);
  });

  it('writes shards that hold each sample once', async () => {
    const expected: string[] = [];
    for (const e of entries()) {
      for (const line of readFileSync(path.join(out, 'videos', e.key, 'pairs.jsonl'), 'utf8').trim().split('\n')) {
        const p = JSON.parse(line);
        expected.push(sampleKey(e.key, p.cue_index, p.frame_time));
      }
    }
    const seen: string[] = [];
    for (const f of readdirSync(path.join(out, 'shards')).sort()) seen.push(...(await readShard(createReadStream(path.join(out, 'shards', f)))).keys());
    expect(seen.sort()).toEqual(expected.sort());
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('puts each item into the knowledge base once', async () => {
    let vectors = 0;
    for (const e of entries()) vectors += JSON.parse(readFileSync(path.join(out, 'videos', e.key, 'embeddings.json'), 'utf8')).count;
    const kb = await KnowledgeBase.open(kbDir, { readonly: true });
    try {
      const ids = [...kb.items()].map((i) => i.id);
      expect(ids).toHaveLength(vectors);
      expect(new Set(ids).size).toBe(vectors);
      expect(kb.versions()).toHaveLength(VIDEOS);
    } finally {
      await kb.close();
    }
  });

  it('does nothing on a rerun: no job added, no file rewritten', async () => {
    const before = added.size;
    const corpusJson = statSync(path.join(out, 'corpus.json')).mtimeMs;
    const rerun = mmalign(coordinatorArgs);
    expect(await rerun.exit, rerun.stderr()).toBe(0);
    expect(JSON.parse(rerun.stdout())).toMatchObject({ upToDate: true, aligned: 0, complete: VIDEOS });
    await new Promise((r) => setTimeout(r, 500));
    expect(added.size).toBe(before);
    expect(statSync(path.join(out, 'corpus.json')).mtimeMs).toBe(corpusJson);
  });
});
