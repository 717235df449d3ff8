/**
 * Reading the JSON files of an output folder for the report: each failure names the file (and the
 * line of a JSONL file) and says what to do, and an optional file that is absent reads as null.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputFileError } from '../core/errors/index.js';

/** A file that may be absent: its text, or null when there is no such file. */
export async function readOptionalText(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new InputFileError(file, `cannot read it: ${(err as Error).message}`, err);
  }
}

/** Parses a JSON object, or throws an InputFileError naming the file. */
export function parseJsonObject(file: string, text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InputFileError(file, `is not valid JSON (${(err as Error).message}); rerun the command that wrote it`, err);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InputFileError(file, 'is not a JSON object; rerun the command that wrote it');
  }
  return value as Record<string, unknown>;
}

/** One object per non-empty line; a broken line fails with its line number. */
export function parseJsonLines(file: string, text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new InputFileError(`${file}:${i + 1}`, `is not valid JSON (${(err as Error).message}); the file is damaged, rerun the command that wrote it`, err);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new InputFileError(`${file}:${i + 1}`, 'is not a JSON object');
    }
    out.push(value as Record<string, unknown>);
  }
  return out;
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function obj(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/**
 * A relative URL from the page's folder to `target`, each path segment percent-encoded, so a file
 * named `a#1 ?.jpg` still loads from file://.
 *
 * @example
 * hrefFrom('/out', '/out/frames/t000001.000.jpg'); // 'frames/t000001.000.jpg'
 * hrefFrom('/out', '/videos/my talk.mp4'); // '../videos/my%20talk.mp4'
 */
export function hrefFrom(pageDir: string, target: string): string {
  const rel = path.relative(pageDir, path.resolve(pageDir, target));
  return rel.split(path.sep).map((seg) => (seg === '..' || seg === '.' ? seg : encodeURIComponent(seg))).join('/');
}
