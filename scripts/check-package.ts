/**
 * `npm run test:package`: mmalign installed as a dependency, the way a user gets it. Packs the
 * project (`npm pack`, which builds dist/), checks what the tarball holds, installs it into a fresh
 * temporary consumer project whose package.json carries the one setting the README asks of library
 * users (`"allowScripts": { "onnxruntime-node": false }`), then in that project: runs the installed
 * `mmalign --version` and `mmalign align` on the fixture video, imports the package from an ESM
 * script, and type-checks a strict TypeScript consumer with `skipLibCheck: false`. Prints each check
 * and the time of each step, closes with `package check: N passed, M failed`, exits 1 on a failure.
 *
 * Installs from the npm cache where it can (`--prefer-offline`), else from the registry; the
 * native dependencies (better-sqlite3, hnswlib-node) build with node-gyp, so it takes minutes.
 *
 * Usage: tsx scripts/check-package.ts [--keep] [--results FILE.json]
 */
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { keep: { type: 'boolean', default: false }, results: { type: 'string' } } });
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const VIDEO = path.join(ROOT, 'fixtures/video/sample.mp4');
const SUBS = path.join(ROOT, 'fixtures/video/sample.srt');
const own = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; devDependencies: Record<string, string> };

/** The one setting a consumer needs (README, "Using mmalign as a library"): onnxruntime-node's postinstall would download CUDA providers. */
export const CONSUMER_ALLOW_SCRIPTS = Object.freeze({ 'onnxruntime-node': false });

const checks: { name: string; ok: boolean; detail: string }[] = [];
function check(name: string, ok: boolean, detail = ''): boolean {
  checks.push({ name, ok, detail });
  console.log(`${ok ? 'ok    ' : 'FAILED'} ${name}${detail ? ` (${detail})` : ''}`);
  return ok;
}

const times: Record<string, number> = {};
function timed<T>(step: string, fn: () => T): T {
  const t0 = performance.now();
  try {
    return fn();
  } finally {
    times[step] = (performance.now() - t0) / 1000;
  }
}

// The consumer is someone else's project: none of this run's npm_* variables (npm run sets many,
// e.g. npm_config_local_prefix = this repo) may leak into its install.
const cleanEnv: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));

function run(cmd: string, argv: readonly string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(cmd, argv, { cwd, env: cleanEnv, encoding: 'utf8', maxBuffer: 1 << 28 });
}

function tail(r: SpawnSyncReturns<string>, n = 6): string {
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-n).join(' | ') || String(r.error ?? '');
}

const work = mkdtempSync(path.join(tmpdir(), 'mmalign-package-'));
try {
  // 1. The tarball.
  const packed = timed('pack', () => run('npm', ['pack', '--json', '--pack-destination', work], ROOT));
  if (!check('npm pack builds and packs the project', packed.status === 0, packed.status === 0 ? '' : tail(packed))) throw new Error('stop');
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string; size: number; unpackedSize: number; files: { path: string; size: number }[] }[];
  const tarball = path.join(work, info.filename);
  const files = info.files.map((f) => f.path);
  const has = (p: string | RegExp) => files.some((f) => (typeof p === 'string' ? f === p : p.test(f)));
  check('the tarball holds LICENSE, README.md and package.json', has('LICENSE') && has('README.md') && has('package.json'));
  check('the tarball holds the built library, its types and the CLI', has('dist/src/index.js') && has('dist/src/index.d.ts') && has('dist/src/cli.js'));
  check('the tarball holds the embedded tiny models and the Silero VAD model', has(/^fixtures\/models\/mmalign\/tiny-bert\/onnx\/model\.onnx$/) && has(/^models\/silero-vad\/.+\.onnx$/));
  const stray = files.filter((f) => /^(test|bench|scripts|src|encoders|index|alignment|fixtures\/(video|sync))\//.test(f) || /\.ts$/.test(f) && !/\.d\.ts$/.test(f));
  check('the tarball holds no tests, benchmarks, TypeScript sources or fixture media', stray.length === 0, stray.slice(0, 3).join(', '));
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  check('the tarball stays small (under 10 MB packed, 40 MB unpacked)', info.size < 10e6 && info.unpackedSize < 40e6, `${mb(info.size)} packed, ${mb(info.unpackedSize)} unpacked, ${files.length} files`);

  // 2. A fresh consumer project, with the one setting the README gives library users.
  const consumer = path.join(work, 'consumer');
  execFileSync('mkdir', ['-p', consumer]);
  writeFileSync(
    path.join(consumer, 'package.json'),
    JSON.stringify(
      {
        name: 'mmalign-consumer',
        version: '1.0.0',
        private: true,
        type: 'module',
        allowScripts: CONSUMER_ALLOW_SCRIPTS,
        dependencies: { mmalign: `file:${tarball}` },
        devDependencies: { typescript: own.devDependencies.typescript, '@types/node': own.devDependencies['@types/node'] },
      },
      null,
      2,
    ) + '\n',
  );
  const installed = timed('install', () => run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], consumer));
  if (!check('npm install of the tarball succeeds in a fresh project', installed.status === 0, installed.status === 0 ? '' : tail(installed, 12))) throw new Error('stop');
  const cudaLibs = path.join(consumer, 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so');
  check("onnxruntime-node's postinstall did not run (no CUDA provider download)", !existsSync(cudaLibs));

  // 3. The installed CLI.
  const bin = path.join(consumer, 'node_modules/.bin/mmalign');
  const version = timed('version', () => run(bin, ['--version'], consumer));
  check('the installed `mmalign --version` prints the version in package.json', version.status === 0 && version.stdout.trim() === own.version, `${version.stdout.trim() || tail(version)} vs ${own.version}`);
  const out = path.join(consumer, 'out');
  const aligned = timed('align', () => run(bin, ['align', VIDEO, SUBS, '--out', out, '--json'], consumer));
  const summary = aligned.status === 0 ? (JSON.parse(aligned.stdout) as { frames?: number; pairs?: number }) : {};
  check('the installed `mmalign align` aligns the fixture video', aligned.status === 0 && summary.frames === 18 && (summary.pairs ?? 0) > 0, aligned.status === 0 ? `${summary.frames} frames, ${summary.pairs} pairs` : tail(aligned));
  check('align wrote run.json, the dataset and the embeddings', ['run.json', 'train.jsonl', 'embeddings.f32'].every((f) => existsSync(path.join(out, f))));

  // 4. The library from an ESM script.
  writeFileSync(
    path.join(consumer, 'use.mjs'),
    `import { parseSubtitles, createEncoder, probeMedia, MmalignError, EMBED_DIM } from 'mmalign';
const doc = parseSubtitles('1\\n00:00:01,000 --> 00:00:02,500\\nHello there.\\n', { format: 'srt' });
const info = await probeMedia(${JSON.stringify(VIDEO)});
const text = await createEncoder('text', { device: 'cpu' });
const [vector] = await text.embed(['Hello there.']);
await text.dispose();
let typed = false;
try { await probeMedia('/no/such/video.mp4'); } catch (err) { typed = err instanceof MmalignError; }
console.log(JSON.stringify({ cues: doc.cues.length, text: doc.cues[0].text, duration: info.duration, dims: vector.length, EMBED_DIM, typed }));
`,
  );
  const esm = timed('esm', () => run(process.execPath, ['use.mjs'], consumer));
  const used = esm.status === 0 ? (JSON.parse(esm.stdout.trim().split('\n').pop()!) as Record<string, unknown>) : {};
  check(
    'an ESM script imports the package, parses, probes, embeds and catches a typed error',
    esm.status === 0 && used.cues === 1 && used.text === 'Hello there.' && Math.abs(Number(used.duration) - 18) < 0.1 && used.dims === used.EMBED_DIM && used.typed === true,
    esm.status === 0 ? JSON.stringify(used) : tail(esm),
  );

  // 5. A strict TypeScript consumer that checks the published .d.ts files too.
  writeFileSync(
    path.join(consumer, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: false, noEmit: true, exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true }, include: ['consumer.ts'] }, null, 2) + '\n',
  );
  writeFileSync(
    path.join(consumer, 'consumer.ts'),
    `import { alignVideo, createEncoder, KnowledgeBase, MmalignError, parseSubtitles, type AlignVideoResult, type Cue, type Encoder, type MediaInfo, type SearchHit } from 'mmalign';

export async function run(video: string, subtitles: string, out: string): Promise<number> {
  const result: AlignVideoResult = await alignVideo(video, subtitles, { out, embed: false });
  const cues: readonly Cue[] = parseSubtitles('1\\n00:00:01,000 --> 00:00:02,000\\nHi\\n', { format: 'srt' }).cues;
  const text: Encoder<'text'> = await createEncoder('text');
  const kb = await KnowledgeBase.open(out + '/kb');
  const hits: SearchHit[] = [];
  void kb.close();
  void text.dispose();
  const info: MediaInfo | null = null;
  try {
    return result.pairs + cues.length + hits.length + (info === null ? 0 : 1);
  } catch (err) {
    if (err instanceof MmalignError) return err.exitCode;
    throw err;
  }
}
`,
  );
  const tsc = timed('typecheck', () => run(path.join(consumer, 'node_modules/.bin/tsc'), ['-p', '.'], consumer));
  check('a strict TypeScript consumer type-checks against the published .d.ts (skipLibCheck: false)', tsc.status === 0, tsc.status === 0 ? '' : tail(tsc, 8));
} catch (err) {
  if (!(err instanceof Error && err.message === 'stop')) check('the package check ran to the end', false, err instanceof Error ? err.message : String(err));
} finally {
  if (args.keep) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

const passed = checks.filter((c) => c.ok).length;
const failed = checks.length - passed;
console.log(`times: ${Object.entries(times).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ')}`);
console.log(`package check: ${passed} passed, ${failed} failed`);
if (args.results) writeFileSync(args.results, JSON.stringify({ passed, failed, times, checks }, null, 2) + '\n');
process.exitCode = failed ? 1 : 0;
