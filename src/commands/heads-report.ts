import type { HeadsEvaluation, HeadsEvaluationReport } from '../../encoders/eval-heads.js';
import type { ProjectionHeads } from '../../encoders/heads.js';
import type { RetrainDecision } from '../../encoders/retrain.js';
import type { TrainHeadsResult } from '../../encoders/train-heads.js';
import { printJson, type CliIo } from './shared.js';

/** One line per retrieval direction: recall, mean rank, and how many distinct candidates and queries. */
export function summary(e: HeadsEvaluation, indent = '  '): string {
  const rows = e.kinds.flatMap((k) => {
    const [a, b] = k.kind.split('-');
    return [
      [`${a}→${b}`, k.aToB],
      [`${b}→${a}`, k.bToA],
    ] as const;
  });
  return rows
    .map(([dir, s]) => `${indent}${dir.padEnd(13)} R@1 ${s.r1.toFixed(3)}  R@5 ${s.r5.toFixed(3)}  R@10 ${s.r10.toFixed(3)}  mean rank ${s.meanRank.toFixed(1)} of ${s.gallery} (${s.queries} queries)`)
    .join('\n');
}

/** `heads eval` output: the heads, the seeded baseline and, with --by, one block per label value. */
export function printEvaluation(io: CliIo, json: boolean | undefined, head: { file: string; kind: string; version: string; pairs: number }, e: HeadsEvaluationReport): void {
  if (json) {
    printJson(io, { ...head, heads: e.heads, baseline: e.baseline, breakdown: e.breakdown });
    return;
  }
  io.stdout.write(`${head.file} (${head.kind}, ${head.version}) on ${head.pairs} pairs:\n${summary(e.heads)}\n`);
  if (e.baseline) io.stdout.write(`seeded random heads, same pairs:\n${summary(e.baseline)}\n`);
  for (const v of e.breakdown?.values ?? []) {
    io.stdout.write(`${e.breakdown?.by} = ${v.value} (${v.pairs} pairs):\n${summary(v.heads)}\n`);
  }
}

export function printTraining(io: CliIo, json: boolean | undefined, file: string, heads: ProjectionHeads, r: TrainHeadsResult): void {
  if (json) {
    printJson(io, {
      heads: file,
      version: heads.metadata.version,
      pairs: r.split,
      refit: r.refit,
      epochs: r.history.length,
      bestEpoch: r.bestEpoch,
      temperature: r.temperature,
      backend: r.backend,
      modelIds: (heads.metadata.training as { modelIds?: unknown }).modelIds,
      validation: r.validation,
      history: r.history,
    });
    return;
  }
  io.stdout.write(
    `wrote ${file} (${heads.metadata.version}): ${r.split.train} training pairs, ${r.split.val} held out, ` +
      `best epoch ${r.bestEpoch}${r.refit ? `, then retrained on all ${r.split.train + r.split.val} pairs for ${r.bestEpoch} epochs` : ` of ${r.history.length}`}, ` +
      `temperature ${r.temperature.toFixed(4)}\n`,
  );
  if (r.validation) io.stdout.write(`held-out retrieval${r.refit ? ' (before the refit)' : ''}:\n${summary(r.validation)}\n`);
}

export function printDecision(
  io: CliIo,
  json: boolean | undefined,
  d: RetrainDecision,
  evaluations: number,
  trained: { file: string; version: string; recall1: number | null } | null,
  dryRun: boolean,
): void {
  if (json) {
    printJson(io, { ...d, evaluations, dryRun, trained });
    return;
  }
  io.stdout.write(`${d.retrain ? 'retrain' : 'keep'}: ${d.reason}\n`);
  if (trained) io.stdout.write(`retrained ${trained.file} (${trained.version}), held-out recall@1 ${trained.recall1?.toFixed(3) ?? 'n/a'}\n`);
  else if (d.retrain && dryRun) io.stdout.write('dry run: nothing retrained\n');
}
