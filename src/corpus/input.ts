/**
 * What a corpus is made of: a folder walked for videos and their sidecar subtitles, or a manifest
 * (CSV/TSV or JSONL) with `video`, optional `subtitles`, `prompt`, `key`, and any other columns,
 * which are kept as metadata for every sample of that video.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { InputFileError } from '../core/errors/index.js';
import type { Warning } from '../core/types.js';
import { VIDEO_KEY_PATTERN, videoKey } from './keys.js';
import type { CorpusEntry, JsonValue } from './types.js';

/** Video file extensions a folder walk picks up. */
export const VIDEO_EXTENSIONS: readonly string[] = Object.freeze([
  '.mp4', '.m4v', '.mkv', '.webm', '.mov', '.avi', '.mpg', '.mpeg', '.ts', '.m2ts', '.mts', '.flv', '.wmv', '.ogv', '.3gp',
]);

/** Sidecar subtitle extensions, in the order a tie is broken. */
export const SUBTITLE_EXTENSIONS: readonly string[] = Object.freeze(['.srt', '.vtt', '.ass', '.ssa', '.sbv', '.ttml', '.dfxp', '.sub']);

/** Manifest columns with a meaning; every other column is metadata. */
const RESERVED = Object.freeze(['video', 'subtitles', 'prompt', 'key']);

export interface DiscoverOptions {
  /** Absolute folders never walked into (the corpus output folder when it sits inside the input). */
  exclude?: readonly string[];
  /** Preferred subtitle language: `talk.<lang>.srt` wins over other sidecars. */
  subLang?: string | null;
}

export interface Discovery {
  kind: 'folder' | 'manifest';
  /** Absolute path of the folder or manifest. */
  location: string;
  entries: CorpusEntry[];
  warnings: Warning[];
}

/**
 * Reads a corpus input: a folder (walked recursively, hidden entries skipped) or a manifest
 * (`.csv`, `.tsv`, `.jsonl`, `.ndjson`). Paths in a manifest are relative to the manifest's folder.
 * A video without subtitles is kept: its job uses the subtitle stream embedded in it.
 *
 * @example
 * const { entries, warnings } = await discoverInputs('/data/lectures.csv');
 * entries[0]; // { key: 'week1_intro-3f2a9c1d', video: '/data/week1/intro.mp4', subtitles: '/data/week1/intro.srt', metadata: { lang: 'en' }, ... }
 */
export async function discoverInputs(input: string, options: DiscoverOptions = {}): Promise<Discovery> {
  const location = path.resolve(input);
  const st = await stat(location).catch((err: unknown) => {
    throw new InputFileError(input, 'no such file or folder; give a folder of videos or a manifest (.csv, .tsv, .jsonl)', err);
  });
  const found = st.isDirectory()
    ? await discoverFolder(location, options)
    : /\.(csv|tsv|jsonl|ndjson)$/i.test(location)
      ? await discoverManifest(location, options)
      : (() => {
          throw new InputFileError(input, 'is neither a folder nor a manifest; manifests end in .csv, .tsv, .jsonl or .ndjson');
        })();
  if (found.entries.length === 0) {
    throw new InputFileError(location, st.isDirectory() ? `holds no video files (${VIDEO_EXTENSIONS.join(' ')})` : 'lists no videos');
  }
  return found;
}

async function walk(dir: string, exclude: readonly string[], out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (exclude.some((x) => p === x || p.startsWith(x + path.sep))) continue;
    if (e.isDirectory()) await walk(p, exclude, out);
    else if (e.isFile()) out.push(p);
  }
}

const extOf = (f: string): string => path.extname(f).toLowerCase();

/**
 * The sidecar subtitles of `video` among `candidates` (files of its folder): `stem.srt`, or
 * `stem.<lang>.srt` with `subLang` preferred, then the plain name, then the shortest name.
 */
export function pickSidecar(video: string, candidates: readonly string[], subLang: string | null = null): { file: string | null; others: string[] } {
  const stem = path.basename(video, path.extname(video));
  const matches = candidates.filter((s) => {
    if (path.dirname(s) !== path.dirname(video) || !SUBTITLE_EXTENSIONS.includes(extOf(s))) return false;
    const b = path.basename(s, path.extname(s));
    return b === stem || (b.startsWith(stem + '.') && !b.slice(stem.length + 1).includes('.'));
  });
  const langOf = (s: string): string | null => {
    const b = path.basename(s, path.extname(s));
    return b === stem ? null : b.slice(stem.length + 1).toLowerCase();
  };
  const rank = (s: string): number[] => [
    subLang !== null && langOf(s) === subLang.toLowerCase() ? 0 : 1,
    langOf(s) === null ? 0 : 1,
    path.basename(s).length,
    SUBTITLE_EXTENSIONS.indexOf(extOf(s)),
  ];
  matches.sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i] - rb[i];
    return a < b ? -1 : 1;
  });
  return { file: matches[0] ?? null, others: matches.slice(1) };
}

async function discoverFolder(root: string, { exclude = [], subLang = null }: DiscoverOptions): Promise<Discovery> {
  const files: string[] = [];
  await walk(root, exclude.map((e) => path.resolve(e)), files);
  const warnings: Warning[] = [];
  const subtitleFiles = files.filter((f) => SUBTITLE_EXTENSIONS.includes(extOf(f)));
  const entries: CorpusEntry[] = [];
  for (const video of files.filter((f) => VIDEO_EXTENSIONS.includes(extOf(f)))) {
    const rel = path.relative(root, video).split(path.sep).join('/');
    const { file, others } = pickSidecar(video, subtitleFiles, subLang);
    if (others.length > 0) warnings.push({ file: video, message: `several subtitle files; using ${path.basename(file!)} (pass --sub-lang to choose)` });
    entries.push({ key: videoKey(rel), video, subtitles: file, prompt: null, metadata: {}, origin: rel });
  }
  return { kind: 'folder', location: root, entries, warnings };
}

interface ManifestRow {
  line: number;
  fields: Record<string, JsonValue>;
}

async function readRows(file: string): Promise<ManifestRow[]> {
  const text = await readFile(file, 'utf8').catch((err: unknown) => {
    throw new InputFileError(file, 'cannot be read', err);
  });
  if (/\.(jsonl|ndjson)$/i.test(file)) {
    const rows: ManifestRow[] = [];
    text.split(/\r?\n/).forEach((raw, i) => {
      if (raw.trim() === '') return;
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch (err) {
        throw new InputFileError(`${file}:${i + 1}`, `is not valid JSON (${(err as Error).message}); each line must be one JSON object`, err);
      }
      if (!value || typeof value !== 'object' || Array.isArray(value)) {
        throw new InputFileError(`${file}:${i + 1}`, 'is not a JSON object; each line must be like {"video": "a.mp4", "subtitles": "a.srt"}');
      }
      rows.push({ line: i + 1, fields: value as Record<string, JsonValue> });
    });
    return rows;
  }
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parseCsv(text, { columns: true, bom: true, skip_empty_lines: true, trim: true, info: true, delimiter: /\.tsv$/i.test(file) ? '\t' : ',' });
  } catch (err) {
    const e = err as Error & { lines?: number };
    throw new InputFileError(e.lines ? `${file}:${e.lines}` : file, `is not valid CSV: ${e.message}`, err);
  }
  // An empty CSV cell means "not given", not the empty string.
  return records.map(({ record, info }) => ({
    line: info.lines,
    fields: Object.fromEntries(Object.entries(record).filter(([, v]) => v !== '')),
  }));
}

async function discoverManifest(file: string, { subLang = null }: DiscoverOptions): Promise<Discovery> {
  const rows = await readRows(file);
  const base = path.dirname(file);
  const warnings: Warning[] = [];
  const entries: CorpusEntry[] = [];
  const keys = new Map<string, number>();
  const siblings = new Map<string, string[]>();
  const listDir = async (dir: string): Promise<string[]> => {
    if (!siblings.has(dir)) siblings.set(dir, (await readdir(dir).catch(() => [] as string[])).map((n) => path.join(dir, n)));
    return siblings.get(dir)!;
  };
  for (const { line, fields } of rows) {
    const where = `${file}:${line}`;
    const str = (name: string): string | null => {
      const v = fields[name];
      if (v === undefined || v === null) return null;
      if (typeof v !== 'string') throw new InputFileError(where, `column "${name}" must be a string, got ${JSON.stringify(v)}`);
      return v.trim() === '' ? null : v;
    };
    const videoRaw = str('video');
    if (videoRaw === null) {
      throw new InputFileError(where, `has no "video" (columns: ${Object.keys(fields).join(', ') || 'none'}); every row needs the video's path`);
    }
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(videoRaw)) {
      throw new InputFileError(where, `video ${videoRaw} is a URL; mmalign reads local files only: download it first and list its path`);
    }
    const video = path.resolve(base, videoRaw);
    const subsRaw = str('subtitles');
    let subtitles = subsRaw === null ? null : path.resolve(base, subsRaw);
    // No subtitles column: a sidecar next to the video, else the stream embedded in it.
    if (subtitles === null) subtitles = pickSidecar(video, await listDir(path.dirname(video)), subLang).file;
    const given = str('key');
    if (given !== null && !VIDEO_KEY_PATTERN.test(given)) {
      throw new InputFileError(where, `key ${JSON.stringify(given)} may hold only letters, digits, "_" and "-", at most 80 (no dots: WebDataset splits names at the first dot)`);
    }
    const key = given ?? videoKey(path.relative(base, video).split(path.sep).join('/'));
    const first = keys.get(key);
    if (first !== undefined) {
      throw new InputFileError(where, `lists the same ${given !== null ? 'key' : 'video'} as line ${first} (${given ?? videoRaw}); each video once, or give each row its own "key"`);
    }
    keys.set(key, line);
    const metadata = Object.fromEntries(Object.entries(fields).filter(([k]) => !RESERVED.includes(k)));
    entries.push({ key, video, subtitles, prompt: str('prompt'), metadata, origin: where });
  }
  return { kind: 'manifest', location: file, entries, warnings };
}
