import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { InputFileError } from '../../src/core/errors/index.js';
import { MODALITIES, type Modality, type Warning } from '../../src/core/types.js';
import { decodeSubtitleBytes, readSubtitleFile } from '../../alignment/subtitles/index.js';
import { appendAll } from '../../src/core/arrays.js';

/** File extensions a folder sync picks up, by what they become. */
export const SOURCE_EXTENSIONS = Object.freeze({
  image: Object.freeze(['.jpg', '.jpeg', '.png', '.webp']),
  audio: Object.freeze(['.wav', '.mp3', '.flac', '.ogg', '.m4a', '.opus']),
  text: Object.freeze(['.txt', '.md', '.markdown']),
  video: Object.freeze(['.mp4', '.mkv', '.webm', '.mov', '.avi', '.m4v']),
  subtitles: Object.freeze(['.srt', '.vtt']),
});

/** Longest text item; longer sections/paragraphs are split at paragraph, then word boundaries. */
export const MAX_TEXT_CHARS = 2000;

/** One thing to embed, as a source describes it. */
export interface SourceItem {
  /** Stable id: the path relative to the source (`/`-separated), plus `#partN` / `#cueN` for sub-parts; or the manifest's id. */
  id: string;
  modality: Modality;
  /** Absolute path of the file the item came from. */
  path: string | null;
  /** The text (text items), also kept as metadata. */
  text: string | null;
  start: number | null;
  end: number | null;
  tags: string[];
  /** When the content last changed (ms since epoch): the manifest's `timestamp`, else the file's mtime. */
  timestamp: number;
  /** Per-item priority from a manifest; the source's priority otherwise. */
  priority: number | null;
  /** sha256 of what gets embedded (the text, or the file's bytes). */
  contentHash: string;
}

/** A video with its chosen sidecar subtitles (its cues are also in `items` as text items). */
export interface ScannedVideo {
  /** Id prefix of the video's items: its path relative to the folder. */
  id: string;
  video: string;
  subtitles: string;
}

export interface ScanResult {
  kind: 'folder' | 'manifest';
  videos: ScannedVideo[];
  /** Absolute path of the folder or manifest. */
  location: string;
  items: SourceItem[];
  warnings: Warning[];
}

export interface ScanOptions {
  /** Paths (absolute) never to descend into, e.g. the knowledge base's own folder inside the source. */
  exclude?: readonly string[];
}

const hashText = (text: string): string => createHash('sha256').update('text\0').update(text).digest('hex');

async function hashFile(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * Reads a sync source: a folder (walked recursively, hidden entries skipped) or a JSONL manifest
 * (`.jsonl` / `.ndjson`). Nothing is embedded here; the result says what there is and its hashes.
 *
 * Folder rules: images and audio are one item per file; `.txt` is one item per paragraph (blank-line
 * separated); Markdown is one item per heading section; both split further past {@link MAX_TEXT_CHARS}.
 * A video with sidecar subtitles (`clip.srt`, `clip.en.vtt` next to `clip.mp4`) gives one text item per
 * cue with its start/end; a subtitle file without a video is indexed the same way.
 *
 * @example
 * const { items, warnings } = await scanSource('/data/lectures');
 */
export async function scanSource(source: string, { exclude = [] }: ScanOptions = {}): Promise<ScanResult> {
  const location = resolve(source);
  let st;
  try {
    st = await stat(location);
  } catch (err) {
    throw new InputFileError(source, 'no such file or folder; give a folder or a .jsonl manifest', err);
  }
  if (st.isDirectory()) return scanFolder(location, exclude.map((e) => resolve(e)));
  if (/\.(jsonl|ndjson)$/i.test(location)) return scanManifest(location);
  throw new InputFileError(source, 'not a folder or a JSONL manifest (.jsonl/.ndjson)');
}

async function walk(root: string, dir: string, exclude: readonly string[], out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (exclude.some((x) => p === x || p.startsWith(x + sep))) continue;
    if (e.isDirectory()) await walk(root, p, exclude, out);
    else if (e.isFile()) out.push(p);
  }
}

const relId = (root: string, file: string): string => relative(root, file).split(sep).join('/');

async function scanFolder(root: string, exclude: readonly string[]): Promise<ScanResult> {
  const files: string[] = [];
  await walk(root, root, exclude, files);
  const items: SourceItem[] = [];
  const warnings: Warning[] = [];
  const ext = (f: string): string => extname(f).toLowerCase();
  const videoFiles = files.filter((f) => SOURCE_EXTENSIONS.video.includes(ext(f)));
  const subtitleFiles = files.filter((f) => SOURCE_EXTENSIONS.subtitles.includes(ext(f)));
  const usedSubtitles = new Set<string>();
  const videos: ScannedVideo[] = [];

  for (const video of videoFiles) {
    const stem = basename(video, extname(video));
    const sidecars = subtitleFiles.filter((s) => {
      if (dirname(s) !== dirname(video)) return false;
      const b = basename(s, extname(s));
      return b === stem || (b.startsWith(stem + '.') && !b.slice(stem.length + 1).includes('.'));
    });
    if (sidecars.length === 0) {
      warnings.push({ file: video, message: 'video without sidecar subtitles (.srt/.vtt with the same name); skipped' });
      continue;
    }
    // Prefer the plain `clip.srt` over language variants; one subtitle track per video.
    sidecars.sort((a, b) => basename(a).length - basename(b).length || (a < b ? -1 : 1));
    const chosen = sidecars[0];
    for (const s of sidecars) usedSubtitles.add(s);
    if (sidecars.length > 1) warnings.push({ file: video, message: `several subtitle files; using ${basename(chosen)}` });
    videos.push({ id: relId(root, video), video, subtitles: chosen });
    appendAll(items, await cueItems(relId(root, video), video, chosen, warnings));
  }
  for (const s of subtitleFiles) {
    if (!usedSubtitles.has(s)) appendAll(items, await cueItems(relId(root, s), s, s, warnings));
  }
  for (const f of files) {
    const e = ext(f);
    const id = relId(root, f);
    if (SOURCE_EXTENSIONS.image.includes(e) || SOURCE_EXTENSIONS.audio.includes(e)) {
      const modality: Modality = SOURCE_EXTENSIONS.image.includes(e) ? 'image' : 'audio';
      const [hash, s] = await Promise.all([hashFile(f), stat(f)]);
      items.push({ id, modality, path: f, text: null, start: null, end: null, tags: [], timestamp: Math.round(s.mtimeMs), priority: null, contentHash: hash });
    } else if (SOURCE_EXTENSIONS.text.includes(e)) {
      const [bytes, s] = await Promise.all([readFile(f), stat(f)]);
      const { text } = decodeSubtitleBytes(bytes);
      const parts = e === '.txt' ? splitParagraphs(text) : splitMarkdown(text);
      parts.forEach((part, i) => {
        items.push({
          id: `${id}#part${i + 1}`,
          modality: 'text',
          path: f,
          text: part,
          start: null,
          end: null,
          tags: [],
          timestamp: Math.round(s.mtimeMs),
          priority: null,
          contentHash: hashText(part),
        });
      });
    }
  }
  return { kind: 'folder', location: root, items, warnings, videos };
}

/** Cues of a subtitle file as text items `<id>#cueN` (N = position in the file, 1-based) with their times. */
async function cueItems(baseId: string, mediaPath: string, subtitles: string, warnings: Warning[]): Promise<SourceItem[]> {
  const doc = await readSubtitleFile(subtitles);
  appendAll(warnings, doc.warnings);
  const s = await stat(subtitles);
  return doc.cues
    .filter((c) => c.text.trim() !== '')
    .map((c, i) => ({
      id: `${baseId}#cue${i + 1}`,
      modality: 'text' as const,
      path: mediaPath,
      text: c.text,
      start: c.start,
      end: c.end,
      tags: [],
      timestamp: Math.round(s.mtimeMs),
      priority: null,
      contentHash: hashText(c.text),
    }));
}

/** Splits text longer than `max` at paragraph, then word boundaries. */
function capLength(text: string, max = MAX_TEXT_CHARS): string[] {
  if (text.length <= max) return [text];
  const out: string[] = [];
  let current = '';
  const flush = (): void => {
    if (current.trim()) out.push(current.trim());
    current = '';
  };
  for (const para of text.split(/\n\s*\n/)) {
    if (current.length + para.length + 2 <= max) {
      current += (current ? '\n\n' : '') + para;
      continue;
    }
    flush();
    if (para.length <= max) {
      current = para;
      continue;
    }
    for (const word of para.split(/(\s+)/)) {
      if (current.length + word.length > max) flush();
      current += word;
    }
  }
  flush();
  return out;
}

/**
 * Plain text: one item per paragraph (separated by blank lines), long ones split.
 *
 * @example
 * splitParagraphs('one\n\ntwo'); // ['one', 'two']
 */
export function splitParagraphs(text: string): string[] {
  return text
    .replace(/\r\n?/g, '\n')
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .flatMap((p) => capLength(p));
}

/**
 * Markdown: one item per ATX-heading section (`#` … `######`, the heading line included; text before
 * the first heading is a section too). Headings inside fenced code blocks do not split. Long sections
 * are split at paragraphs.
 *
 * @example
 * splitMarkdown('# A\nx\n\n# B\ny'); // ['# A\nx', '# B\ny']
 */
export function splitMarkdown(text: string): string[] {
  const sections: string[] = [];
  let current: string[] = [];
  let fence: string | null = null;
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    const f = /^\s*(```|~~~)/.exec(line);
    if (f) fence = fence === null ? f[1] : fence === f[1] ? null : fence;
    if (fence === null && /^#{1,6}\s/.test(line) && current.some((l) => l.trim() !== '')) {
      sections.push(current.join('\n'));
      current = [];
    }
    current.push(line);
  }
  sections.push(current.join('\n'));
  return sections
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .flatMap((s) => capLength(s));
}

function parseTimestamp(v: unknown): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number' && Number.isFinite(v)) return Math.round(v);
  if (typeof v === 'string') {
    const t = Date.parse(v);
    if (Number.isFinite(t)) return t;
  }
  return NaN;
}

/**
 * Manifest lines: `{"id", "modality", "path" | "text", "timestamp"?, "tags"?, "priority"?, "start"?, "end"?}`.
 * `path` is relative to the manifest's folder; `timestamp` is ISO 8601 or ms since epoch (default: the
 * file's mtime, or the manifest's for inline text). Blank lines and `//` comment lines are skipped.
 */
async function scanManifest(file: string): Promise<ScanResult> {
  const { text } = decodeSubtitleBytes(await readFile(file));
  const manifestTime = Math.round((await stat(file)).mtimeMs);
  const base = dirname(file);
  const items: SourceItem[] = [];
  const seen = new Map<string, number>();
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    const lineNo = i + 1;
    if (raw === '' || raw.startsWith('//')) continue;
    const bad = (reason: string): InputFileError => new InputFileError(`${file}:${lineNo}`, reason);
    let obj: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      obj = parsed as Record<string, unknown>;
    } catch (err) {
      throw bad(`not a JSON object (${(err as Error).message})`);
    }
    const { id, modality, path, text: itemText, timestamp, tags, priority, start, end } = obj;
    if (typeof id !== 'string' || id === '') throw bad('"id" must be a non-empty string');
    if (seen.has(id)) throw bad(`duplicate id ${JSON.stringify(id)} (first on line ${seen.get(id)})`);
    seen.set(id, lineNo);
    if (typeof modality !== 'string' || !MODALITIES.includes(modality as Modality)) throw bad(`"modality" must be one of ${MODALITIES.join(', ')}`);
    const m = modality as Modality;
    if ((path === undefined) === (itemText === undefined)) throw bad('give exactly one of "path" and "text"');
    if (itemText !== undefined && (typeof itemText !== 'string' || itemText.trim() === '')) throw bad('"text" must be a non-empty string');
    if (itemText !== undefined && m !== 'text') throw bad(`inline "text" is only for modality text, not ${m}`);
    if (path !== undefined && (typeof path !== 'string' || path === '')) throw bad('"path" must be a non-empty string');
    if (tags !== undefined && (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string'))) throw bad('"tags" must be an array of strings');
    if (priority !== undefined && (typeof priority !== 'number' || !Number.isInteger(priority))) throw bad('"priority" must be an integer');
    for (const [name, v] of [['start', start], ['end', end]] as const) {
      if (v !== undefined && v !== null && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) throw bad(`"${name}" must be seconds >= 0`);
    }
    let ts = parseTimestamp(timestamp);
    if (ts !== null && !Number.isFinite(ts)) throw bad('"timestamp" must be an ISO 8601 date or ms since epoch');
    let filePath: string | null = null;
    let content: string | null = typeof itemText === 'string' ? itemText : null;
    let contentHash: string;
    if (typeof path === 'string') {
      filePath = isAbsolute(path) ? path : resolve(base, path);
      let st;
      try {
        st = await stat(filePath);
      } catch (err) {
        throw bad(`file ${filePath} does not exist`);
      }
      if (!st.isFile()) throw bad(`${filePath} is not a file`);
      ts ??= Math.round(st.mtimeMs);
      if (m === 'text') {
        content = decodeSubtitleBytes(await readFile(filePath)).text.trim();
        if (content === '') throw bad(`${filePath} is empty`);
        contentHash = hashText(content);
      } else {
        contentHash = await hashFile(filePath);
      }
    } else {
      contentHash = hashText(content as string);
    }
    items.push({
      id,
      modality: m,
      path: filePath,
      text: content,
      start: typeof start === 'number' ? start : null,
      end: typeof end === 'number' ? end : null,
      tags: (tags as string[] | undefined) ?? [],
      timestamp: ts ?? manifestTime,
      priority: typeof priority === 'number' ? priority : null,
      contentHash,
    });
  }
  return { kind: 'manifest', location: file, items, warnings: [], videos: [] };
}

/**
 * Hash of a file's content as a sync computes it (used by `verify` to spot files changed since).
 *
 * @example
 * await contentHashOfFile('image', '/photos/cat.jpg'); // sha256 hex of the bytes
 */
export async function contentHashOfFile(modality: Modality, file: string): Promise<string> {
  return modality === 'text' ? hashText(decodeSubtitleBytes(await readFile(file)).text.trim()) : hashFile(file);
}
