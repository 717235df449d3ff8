import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { UnrecoverableError, type FlowJob } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { WorkerCrashedError } from '../../src/core/errors/index.js';
import type { CorpusTask } from '../../src/corpus/child.js';
import { specOf } from '../../src/corpus/local.js';
import { planCorpus } from '../../src/corpus/plan.js';
import { buildFlow, submitFlow, type CorpusJobData, type FlowQueue } from '../../src/corpus/queue.js';
import { checkQueueUrl } from '../../src/corpus/queue-url.js';
import { readRecord, writeStop } from '../../src/corpus/state.js';
import type { CorpusPlan, CorpusSettings } from '../../src/corpus/types.js';
import { corpusProcessor, type JobLike } from '../../src/corpus/worker.js';
import { tempDir } from '../helpers/tmp.js';
import { fakeAligner } from './fake-align.js';

const SETTINGS: CorpusSettings = {
  align: { mode: 'fps', fps: 1, perCue: 1, sceneThreshold: 0.3, threshold: 0.5, offset: 0, embed: false, device: 'cpu', modelsDir: null, heads: null, format: 'glm4v', prompt: 'P', split: 0.9, seed: 0, jpegQuality: 90 },
  splitBy: 'video',
  shardSize: 10,
  withAudio: false,
  kb: null,
  subLang: null,
};
const FLOW = { queueName: 'q', retries: 2, backoffMs: 1000, keepSeconds: 60 };

async function plannedCorpus(names: string[]): Promise<{ plan: CorpusPlan; root: string }> {
  const root = tempDir('corpus-flow');
  for (const n of names) {
    writeFileSync(path.join(root, `${n}.mp4`), n.startsWith('bad') ? 'bad' : `pairs=2 ${n}`);
    writeFileSync(path.join(root, `${n}.srt`), `1\n00:00:00,000 --> 00:00:01,000\n${n}\n`);
  }
  const { plan } = await planCorpus(root, { out: path.join(root, 'out'), settings: SETTINGS });
  return { plan, root };
}

/** BullMQ's id rules in memory: adding an id that exists is a no-op; states are set by the test. */
function memoryQueue(): FlowQueue & { jobs: Map<string, string>; adds: number } {
  const jobs = new Map<string, string>();
  const q = {
    jobs,
    adds: 0,
    state: async (id: string) => jobs.get(id) ?? 'unknown',
    remove: async (id: string) => void jobs.delete(id),
    add: async (flow: FlowJob) => {
      for (const id of [flow.opts!.jobId!, ...(flow.children ?? []).map((c) => c.opts!.jobId!)]) {
        if (!jobs.has(id)) {
          jobs.set(id, 'waiting');
          q.adds++;
        }
      }
    },
  };
  return q;
}

describe('corpus flow', () => {
  it('has the finalize job as parent and one child per pending video, with ids from corpus and content', async () => {
    const { plan } = await plannedCorpus(['a', 'b']);
    const flow = buildFlow(plan, '/p.json', plan.entries, FLOW);
    expect(flow.name).toBe('finalize');
    expect(flow.opts!.jobId).toBe(`${plan.corpusId}-f-${plan.planHash.slice(0, 32)}`);
    expect(flow.children!.map((c) => c.opts!.jobId)).toEqual(plan.entries.map((e) => `${plan.corpusId}-v-${e.jobHash.slice(0, 32)}`));
    for (const c of flow.children!) {
      expect(c.opts).toMatchObject({ attempts: 3, ignoreDependencyOnFailure: true, backoff: { type: 'exponential', delay: 1000 } });
      expect(c.opts!.jobId).not.toContain(':');
    }
    const again = await planCorpus(plan.input, { out: plan.out, settings: SETTINGS });
    expect(buildFlow(again.plan, '/p.json', again.plan.entries, FLOW)).toEqual(flow);
  });

  it('adds nothing twice when the same corpus is submitted again while it runs', async () => {
    const { plan } = await plannedCorpus(['a', 'b', 'c']);
    const q = memoryQueue();
    const flow = buildFlow(plan, '/p.json', plan.entries, FLOW);
    await submitFlow(q, flow);
    expect(q.adds).toBe(4);
    q.jobs.set(flow.children![0].opts!.jobId!, 'active');
    const second = await submitFlow(q, flow);
    expect(q.adds).toBe(4);
    expect(second.removed).toEqual([]);
    expect(second.attached).toHaveLength(4);
  });

  it('replaces finished jobs whose videos are pending again, and only those', async () => {
    const { plan } = await plannedCorpus(['a', 'b']);
    const q = memoryQueue();
    const flow = buildFlow(plan, '/p.json', plan.entries, FLOW);
    const [a, b] = flow.children!.map((c) => c.opts!.jobId!);
    q.jobs.set(a, 'failed');
    q.jobs.set(b, 'active');
    q.jobs.set(flow.opts!.jobId!, 'completed');
    const r = await submitFlow(q, flow);
    expect(r.removed.sort()).toEqual([a, flow.opts!.jobId!].sort());
    expect(q.jobs.get(a)).toBe('waiting');
    expect(q.jobs.get(b)).toBe('active');
  });

  it('accepts redis URLs only', () => {
    expect(() => checkQueueUrl('redis://127.0.0.1:6379/0')).not.toThrow();
    expect(() => checkQueueUrl('rediss://user:pw@cache.example:6380')).not.toThrow();
    expect(() => checkQueueUrl('http://127.0.0.1:6379')).toThrow(/redis:\/\//);
    expect(() => checkQueueUrl('redis://127.0.0.1:6379/zero')).toThrow(/database number/);
  });
});

describe('corpus worker jobs', () => {
  const job = (data: CorpusJobData, attemptsMade = 0, failures: Record<string, string> = {}): JobLike => ({
    id: 'j',
    name: data.kind,
    data,
    attemptsMade,
    opts: { attempts: 3 },
    getIgnoredChildrenFailures: async () => failures,
  });

  it('aligns a video job and returns its counts', async () => {
    const { plan } = await plannedCorpus(['a']);
    const process = corpusProcessor({ runTask: fakeAligner().runTask, threads: 1 });
    const r = await process(job({ kind: 'video', spec: specOf(plan, plan.entries[0]) }));
    expect(r).toMatchObject({ key: plan.entries[0].key, pairs: 2, duration: 60, reused: false });
    expect((await process(job({ kind: 'video', spec: specOf(plan, plan.entries[0]) }))) as { reused: boolean }).toMatchObject({ reused: true });
  });

  it('fails a bad video as unrecoverable on its first attempt and records it', async () => {
    const { plan } = await plannedCorpus(['bad']);
    const process = corpusProcessor({ runTask: fakeAligner().runTask, threads: 1 });
    await expect(process(job({ kind: 'video', spec: specOf(plan, plan.entries[0]) }))).rejects.toBeInstanceOf(UnrecoverableError);
    expect(await readRecord(plan.out, plan.entries[0].key)).toMatchObject({ status: 'failed', attempts: 1, code: 'INPUT_FILE', retryable: false });
  });

  it('leaves a transient failure to BullMQ to retry, and records it only on the last attempt', async () => {
    const { plan } = await plannedCorpus(['a']);
    const crash = async () => {
      throw new WorkerCrashedError('video a', null, 'SIGKILL');
    };
    const process = corpusProcessor({ runTask: crash, threads: 1 });
    const spec = specOf(plan, plan.entries[0]);
    const first = await process(job({ kind: 'video', spec }, 0)).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(Error);
    expect(first).not.toBeInstanceOf(UnrecoverableError);
    expect(await readRecord(plan.out, spec.entry.key)).toBeNull();
    await expect(process(job({ kind: 'video', spec }, 2))).rejects.toThrow(/died/);
    expect(await readRecord(plan.out, spec.entry.key)).toMatchObject({ status: 'failed', attempts: 3, code: 'WORKER_CRASHED', retryable: true });
  });

  it('hands the finalize step the failures of children that left no record, by job id', async () => {
    const { plan } = await plannedCorpus(['a']);
    const seen: CorpusTask[] = [];
    const process = corpusProcessor({
      runTask: async (task) => {
        seen.push(task);
        return { kind: 'finalize', summary: { entries: [], complete: 0, videos: 1, pairs: 0, shards: 0, failures: 1 } as never };
      },
      threads: 1,
    });
    await process(job({ kind: 'finalize', planFile: '/p.json', corpusId: plan.corpusId, planHash: plan.planHash, out: plan.out }, 0, { [`mmalign:q:${plan.entries[0].jobId}`]: 'job stalled more than allowable limit' }));
    expect(seen[0]).toMatchObject({ kind: 'finalize', planFile: '/p.json', aborted: false, queueFailures: { [plan.entries[0].jobId]: 'job stalled more than allowable limit' } });
  });

  it('begins no video of a stopped run and finalizes it as stopped', async () => {
    const { plan } = await plannedCorpus(['a']);
    await writeStop(plan.out, plan.planHash);
    const seen: CorpusTask[] = [];
    const process = corpusProcessor({
      runTask: async (task) => {
        seen.push(task);
        return { kind: 'finalize', summary: { entries: [] } as never };
      },
      threads: 1,
    });
    await expect(process(job({ kind: 'video', spec: specOf(plan, plan.entries[0]) }))).rejects.toBeInstanceOf(UnrecoverableError);
    expect(await readRecord(plan.out, plan.entries[0].key)).toBeNull();
    await process(job({ kind: 'finalize', planFile: '/p.json', corpusId: plan.corpusId, planHash: plan.planHash, out: plan.out }));
    expect(seen).toEqual([expect.objectContaining({ kind: 'finalize', aborted: true })]);
  });

  it('maps job paths to where this machine mounts the shared folders', async () => {
    const { plan, root } = await plannedCorpus(['a']);
    const seen: CorpusTask[] = [];
    const process = corpusProcessor({
      runTask: async (task) => {
        seen.push(task);
        // Retryable, and not the last attempt: nothing is written under the mapped path.
        throw new WorkerCrashedError('video a', 1, null);
      },
      threads: 1,
      pathMap: [[root, '/elsewhere']],
    });
    await process(job({ kind: 'video', spec: specOf(plan, plan.entries[0]) })).catch(() => undefined);
    expect(seen[0]).toMatchObject({ kind: 'video', spec: { out: '/elsewhere/out', entry: { video: '/elsewhere/a.mp4' } } });
  });
});
