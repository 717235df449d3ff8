/**
 * The layout rules of issue 10 as a checker over a list of files, so the rules test can run it on the
 * real tree and on planted violations alike. Imports are read with TypeScript's own pre-processor and
 * calls with its parser, so comments, strings and JSDoc examples never count.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** A source file by its path relative to the repository root (forward slashes) and its text. */
export interface SourceFile {
  path: string;
  text: string;
}

export type LayoutRule =
  | 'lower-folder-imports-app'
  | 'encoders-import-index'
  | 'core-imports-project'
  | 'file-too-long'
  | 'rename-outside-core-fs'
  | 'env-outside-core-env'
  | 'spread-into-call';

export interface Violation {
  rule: LayoutRule;
  file: string;
  line: number;
  message: string;
}

/** The folders the rules read; tests are exempt from all of them. */
export const SOURCE_ROOTS = ['src', 'encoders', 'index', 'alignment', 'scripts', 'bench'] as const;

export const MAX_LINES = 500;

/**
 * Files allowed past {@link MAX_LINES}, each with why. The generated-graph builders under encoders/onnx/
 * are exempt by the issue itself.
 */
export const LONG_FILE_ALLOWANCES: Readonly<Record<string, string>> = {};

/** Calls whose spread arguments land one per stack slot (push, Math.max...), checked by 'spread-into-call'. */
export const SPREAD_SENSITIVE_CALLS: readonly string[] = ['push', 'unshift', 'max', 'min', 'fromCharCode', 'fromCodePoint', 'splice'];

/** Where a `rename(` of a temp file may appear: the one atomic-write helper. */
export const RENAME_HOME = 'src/core/fs.ts';
/** Where environment variables may be read: the one documented env module. */
export const ENV_HOME = 'src/core/env.ts';

/** Folders the rename and env rules skip: benchmarks prepare their own inputs and read no settings of the project. */
const RUNTIME_RULES_EXEMPT = ['bench/'];

const LOWER_FOLDERS = ['encoders/', 'index/', 'alignment/'];

/** The project file an import names, or null for a package outside the project. */
function resolveImport(from: string, spec: string): string | null {
  if (spec === 'mmalign' || spec.startsWith('mmalign/')) return 'src/index.ts'; // the package's own name is the app's public index
  if (!spec.startsWith('.')) return null;
  return path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
}

function lineAt(text: string, pos: number): number {
  let line = 1;
  for (let i = 0; i < pos && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function lineCount(text: string): number {
  // As `wc -l` counts: newline characters, plus a last line without one.
  const newlines = text.split('\n').length - 1;
  return text.length > 0 && !text.endsWith('\n') ? newlines + 1 : newlines;
}

function importViolations(file: SourceFile): Violation[] {
  const out: Violation[] = [];
  const { importedFiles } = ts.preProcessFile(file.text, true, true);
  for (const ref of importedFiles) {
    const target = resolveImport(file.path, ref.fileName);
    if (target === null || target.startsWith('..')) continue;
    const line = lineAt(file.text, ref.pos);
    const lower = LOWER_FOLDERS.find((f) => file.path.startsWith(f));
    if (lower && target.startsWith('src/') && !target.startsWith('src/core/')) {
      out.push({ rule: 'lower-folder-imports-app', file: file.path, line, message: `${lower} may import from src/ only src/core/, but this imports '${ref.fileName}' (${target})` });
    }
    if (file.path.startsWith('encoders/') && target.startsWith('index/')) {
      out.push({ rule: 'encoders-import-index', file: file.path, line, message: `encoders/ never imports index/, but this imports '${ref.fileName}' (${target})` });
    }
    if (file.path.startsWith('src/core/') && !target.startsWith('src/core/')) {
      out.push({ rule: 'core-imports-project', file: file.path, line, message: `src/core/ imports nothing of the project outside src/core/, but this imports '${ref.fileName}' (${target})` });
    }
  }
  return out;
}

function isObjectEntriesArgument(node: ts.Node): boolean {
  const call = node.parent;
  return ts.isCallExpression(call) && call.arguments.includes(node as ts.Expression) && call.expression.getText() === 'Object.entries';
}

function runtimeViolations(file: SourceFile): Violation[] {
  if (RUNTIME_RULES_EXEMPT.some((d) => file.path.startsWith(d))) return [];
  const out: Violation[] = [];
  const sf = ts.createSourceFile(file.path, file.text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const at = (node: ts.Node) => sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
  const visit = (node: ts.Node): void => {
    if (file.path !== RENAME_HOME && ts.isCallExpression(node)) {
      const callee = node.expression;
      const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : '';
      if (name === 'rename' || name === 'renameSync') {
        out.push({ rule: 'rename-outside-core-fs', file: file.path, line: at(node), message: `${name}() outside ${RENAME_HOME}: write the file through its atomic helpers (temp name, fsync, rename) instead` });
      }
    }
    // `xs.push(...ys)`, `Math.max(...ys)`: every element becomes an argument on the stack, which
    // overflows ("Maximum call stack size exceeded") near 120k elements (issue 11: a 206k-cue file).
    if (ts.isCallExpression(node) && node.arguments.some((a) => ts.isSpreadElement(a))) {
      const callee = node.expression;
      const name = ts.isPropertyAccessExpression(callee) ? callee.name.text : '';
      if (SPREAD_SENSITIVE_CALLS.includes(name)) {
        out.push({ rule: 'spread-into-call', file: file.path, line: at(node), message: `spread into ${name}(): an array of unbounded length overflows the call stack; use appendAll() from src/core/arrays.ts or a loop` });
      }
    }
    if (file.path !== ENV_HOME) {
      const readsProcessEnv =
        ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'process' && node.name.text === 'env';
      // Handing the whole environment to a child process (`{ ...process.env }`, Object.entries(process.env))
      // reads no setting; anything else does.
      if (readsProcessEnv && !ts.isSpreadAssignment(node.parent) && !ts.isSpreadElement(node.parent) && !isObjectEntriesArgument(node)) {
        out.push({ rule: 'env-outside-core-env', file: file.path, line: at(node), message: `process.env read outside ${ENV_HOME}: add the variable to that module (documented, read once) and use its env` });
      }
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier) && /^(node:)?process$/.test(node.moduleSpecifier.text)) {
        const named = node.importClause?.namedBindings;
        if (named && ts.isNamedImports(named) && named.elements.some((e) => (e.propertyName ?? e.name).text === 'env')) {
          out.push({ rule: 'env-outside-core-env', file: file.path, line: at(node), message: `env imported from '${node.moduleSpecifier.text}' outside ${ENV_HOME}: read the variable there instead` });
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/**
 * Every breach of the layout rules in `files`, in file order.
 *
 * @example
 * checkLayout([{ path: 'encoders/a.ts', text: "import { x } from '../index/index.js';" }]);
 * // → [{ rule: 'encoders-import-index', file: 'encoders/a.ts', line: 1, message: '...' }]
 */
export function checkLayout(files: readonly SourceFile[], allowances: Readonly<Record<string, string>> = LONG_FILE_ALLOWANCES): Violation[] {
  const out: Violation[] = [];
  for (const file of files) {
    out.push(...importViolations(file));
    const lines = lineCount(file.text);
    if (lines > MAX_LINES && !file.path.startsWith('encoders/onnx/') && !(file.path in allowances)) {
      out.push({ rule: 'file-too-long', file: file.path, line: MAX_LINES + 1, message: `${lines} lines, over ${MAX_LINES}: split it by job` });
    }
    out.push(...runtimeViolations(file));
  }
  return out;
}

/** Allowances that no longer excuse anything: a file gone or back under the limit. */
export function staleAllowances(files: readonly SourceFile[], allowances: Readonly<Record<string, string>> = LONG_FILE_ALLOWANCES): string[] {
  const long = new Set(files.filter((f) => lineCount(f.text) > MAX_LINES).map((f) => f.path));
  return Object.keys(allowances).filter((p) => !long.has(p));
}

/** The TypeScript sources under {@link SOURCE_ROOTS} of the repository at `root`. */
export function readSourceTree(root: string): SourceFile[] {
  const files: SourceFile[] = [];
  const walk = (rel: string): void => {
    for (const entry of readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const child = `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') walk(child);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        files.push({ path: child, text: readFileSync(path.join(root, child), 'utf8') });
      }
    }
  };
  for (const dir of SOURCE_ROOTS) walk(dir);
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

/** One line per violation, `file:line: message (rule)`, for an assertion message that names where to look. */
export function formatViolations(violations: readonly Violation[]): string {
  return violations.map((v) => `${v.file}:${v.line}: ${v.message} (${v.rule})`).join('\n');
}
