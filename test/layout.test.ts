/**
 * The layout rules of issue 10, checked on the real source tree (first block) and shown able to fail
 * on planted files (second block), so a rule that quietly stops matching is noticed.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  checkLayout,
  formatViolations,
  LONG_FILE_ALLOWANCES,
  MAX_LINES,
  readSourceTree,
  staleAllowances,
  type LayoutRule,
  type SourceFile,
} from './helpers/layout-rules.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('the source tree', () => {
  const files = readSourceTree(ROOT);
  const violations = checkLayout(files);
  const of = (rule: LayoutRule) => formatViolations(violations.filter((v) => v.rule === rule));

  it('is read from every source folder', () => {
    for (const dir of ['src/core/', 'src/pipeline/', 'encoders/', 'index/', 'alignment/', 'scripts/', 'bench/']) {
      expect(files.some((f) => f.path.startsWith(dir)), dir).toBe(true);
    }
  });

  it('has encoders/, index/ and alignment/ import from src/ only src/core/', () => {
    expect(of('lower-folder-imports-app')).toBe('');
  });

  it('has encoders/ never import index/', () => {
    expect(of('encoders-import-index')).toBe('');
  });

  it('has src/core/ import nothing of the project outside itself', () => {
    expect(of('core-imports-project')).toBe('');
  });

  it(`has no source file over ${MAX_LINES} lines outside encoders/onnx/ and the listed allowances`, () => {
    expect(of('file-too-long')).toBe('');
  });

  it('lists only allowances that still excuse a long file', () => {
    expect(staleAllowances(files), `remove these from LONG_FILE_ALLOWANCES in test/helpers/layout-rules.ts`).toEqual([]);
  });

  it('renames files only in src/core/fs.ts', () => {
    expect(of('rename-outside-core-fs')).toBe('');
  });

  it('reads environment variables only in src/core/env.ts', () => {
    expect(of('env-outside-core-env')).toBe('');
  });

  it('spreads no array into push, Math.max or other one-argument-per-element calls', () => {
    expect(of('spread-into-call')).toBe('');
  });
});

describe('the layout checker', () => {
  const check = (...files: SourceFile[]) => checkLayout(files).map((v) => `${v.rule} ${v.file}:${v.line}`);

  it('flags a lower folder importing the app layer, by file and line', () => {
    expect(check({ path: 'index/kb/x.ts', text: "import { a } from '../../src/core/types.js';\nimport { alignVideo } from '../../src/pipeline/index.js';\n" }))
      .toEqual(['lower-folder-imports-app index/kb/x.ts:2']);
    expect(check({ path: 'alignment/x.ts', text: "const m = await import('../src/cli.js');\n" })).toEqual(['lower-folder-imports-app alignment/x.ts:1']);
    expect(check({ path: 'encoders/x.ts', text: "export type { T } from '../src/index.js';\n" })).toEqual(['lower-folder-imports-app encoders/x.ts:1']);
  });

  it("counts the package's own name as the app layer", () => {
    expect(check({ path: 'alignment/x.ts', text: "import { alignVideo } from 'mmalign';\n" })).toEqual(['lower-folder-imports-app alignment/x.ts:1']);
  });

  it('ignores imports written in comments and strings', () => {
    const text = "/**\n * @example\n * import { alignVideo } from 'mmalign';\n */\n// import '../src/cli.js';\nconst s = \"import x from '../src/cli.js'\";\n";
    expect(check({ path: 'alignment/x.ts', text })).toEqual([]);
  });

  it('flags encoders/ importing index/', () => {
    expect(check({ path: 'encoders/pairs.ts', text: "import type { KnowledgeBase } from '../index/index.js';\n" })).toEqual(['encoders-import-index encoders/pairs.ts:1']);
    expect(check({ path: 'index/x.ts', text: "import { createEncoder } from '../encoders/encoder.js';\n" })).toEqual([]);
  });

  it('flags src/core/ importing any other project folder, and lets it import packages', () => {
    const text = "import { readFile } from 'node:fs/promises';\nimport { x } from './types.js';\nimport { y } from '../../alignment/index.js';\nimport { z } from '../pipeline/index.js';\n";
    expect(check({ path: 'src/core/x.ts', text })).toEqual(['core-imports-project src/core/x.ts:3', 'core-imports-project src/core/x.ts:4']);
  });

  const long = 'export const a = 1;\n'.repeat(MAX_LINES + 1);

  it(`flags a file over ${MAX_LINES} lines, except under encoders/onnx/ and the allowances`, () => {
    const atLimit = 'export const a = 1;\n'.repeat(MAX_LINES);
    expect(check({ path: 'src/pipeline/big.ts', text: long })).toEqual([`file-too-long src/pipeline/big.ts:${MAX_LINES + 1}`]);
    expect(check({ path: 'scripts/big.ts', text: long.slice(0, -1) })).toEqual([`file-too-long scripts/big.ts:${MAX_LINES + 1}`]);
    expect(check({ path: 'src/pipeline/ok.ts', text: atLimit })).toEqual([]);
    expect(check({ path: 'encoders/onnx/graph-builder.ts', text: long })).toEqual([]);
    expect(checkLayout([{ path: 'index/big.ts', text: long }], { 'index/big.ts': 'being split' })).toEqual([]);
    for (const allowed of Object.keys(LONG_FILE_ALLOWANCES)) expect(check({ path: allowed, text: long })).toEqual([]);
  });

  it('reports an allowance whose file is gone or short again', () => {
    const allowances = { 'index/big.ts': 'being split', 'index/gone.ts': 'being split' };
    expect(staleAllowances([{ path: 'index/big.ts', text: 'export {};\n' }], allowances)).toEqual(['index/big.ts', 'index/gone.ts']);
    expect(staleAllowances([{ path: 'index/big.ts', text: long }], allowances)).toEqual(['index/gone.ts']);
  });

  it('flags rename and renameSync outside src/core/fs.ts, however they are called', () => {
    const text = "import { rename } from 'node:fs/promises';\nimport fs from 'node:fs';\nawait rename(a, b);\nfs.renameSync(a, b);\nawait fs.promises.rename(a, b);\n// rename(a, b) in a comment\n";
    expect(check({ path: 'index/kb/x.ts', text })).toEqual([
      'rename-outside-core-fs index/kb/x.ts:3',
      'rename-outside-core-fs index/kb/x.ts:4',
      'rename-outside-core-fs index/kb/x.ts:5',
    ]);
    expect(check({ path: 'src/core/fs.ts', text })).toEqual([]);
  });

  it('flags a spread into push, unshift and Math.max/min, and lets other spreads be', () => {
    const text = [
      'out.push(...cues);',
      'const m = Math.max(...xs.map((x) => x.length));',
      'list.unshift(...more);',
      'f(...args);',
      'const copy = [...cues];',
      'out.push(one, two);',
    ].join('\n');
    expect(check({ path: 'alignment/x.ts', text })).toEqual(['spread-into-call alignment/x.ts:1', 'spread-into-call alignment/x.ts:2', 'spread-into-call alignment/x.ts:3']);
  });

  it('flags process.env read outside src/core/env.ts, and lets a child process inherit the environment', () => {
    const text = [
      'const a = process.env.MMALIGN_MODELS;',
      "const b = process.env['FFMPEG_PATH'];",
      'const { HOME } = process.env;',
      "import { env } from 'node:process';",
      'spawn(cmd, args, { env: { ...process.env, LANG: "C" } });',
      'const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("npm_")));',
      '// process.env.X in a comment',
      '',
    ].join('\n');
    expect(check({ path: 'src/commands/x.ts', text })).toEqual([
      'env-outside-core-env src/commands/x.ts:1',
      'env-outside-core-env src/commands/x.ts:2',
      'env-outside-core-env src/commands/x.ts:3',
      'env-outside-core-env src/commands/x.ts:4',
    ]);
    expect(check({ path: 'src/core/env.ts', text: 'export const env = readEnv(process.env);\n' })).toEqual([]);
  });

  it('leaves benchmarks free to rename their inputs and read the environment', () => {
    expect(check({ path: 'bench/corpus.ts', text: 'renameSync(tmp, video);\nconst n = process.env.N;\n' })).toEqual([]);
  });

  it('names the file and line in its message', () => {
    const text = formatViolations(checkLayout([{ path: 'encoders/x.ts', text: "\n\nimport { y } from '../index/index.js';\n" }]));
    expect(text).toBe("encoders/x.ts:3: encoders/ never imports index/, but this imports '../index/index.js' (index/index.js) (encoders-import-index)");
  });
});
