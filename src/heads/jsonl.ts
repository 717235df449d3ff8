import { InputFileError } from '../core/errors/index.js';

/** One parsed line of a JSONL file, with its 1-based line number for errors. */
export interface JsonLine {
  line: number;
  obj: Record<string, unknown>;
}

/** Parses JSONL, skipping blank lines; a line that is not a JSON object fails naming `file:line`. */
export function parseJsonLines(text: string, file: string): JsonLine[] {
  const out: JsonLine[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === '') continue;
    let obj: unknown;
    try {
      obj = JSON.parse(raw);
    } catch (err) {
      throw new InputFileError(`${file}:${i + 1}`, `not JSON (${(err as Error).message})`);
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new InputFileError(`${file}:${i + 1}`, 'not a JSON object');
    out.push({ line: i + 1, obj: obj as Record<string, unknown> });
  }
  return out;
}
