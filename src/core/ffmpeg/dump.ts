/**
 * Reading what `ffmpeg -i FILE` prints about its input (libavformat's `av_dump_format`), so probing
 * needs only the ffmpeg binary: the npm static ffprobe crashes on MPEG-TS, and a working bundled one
 * costs every installer ~340 MB. The dump's layout has been stable since ffmpeg 1.x; ffmpeg 4.1 (the
 * npm build), 5.1 (Debian 12) and later print it the same way.
 */

/** One stream as the dump describes it. */
export interface DumpStream {
  /** Stream index in the file (`Stream #0:N`). */
  index: number;
  /** Lower-case type, as ffprobe's `codec_type`: video, audio, subtitle, data, attachment, unknown. */
  type: string;
  /** Codec name (ffprobe's `codec_name`), e.g. `h264`, `aac`. */
  codec: string;
  width?: number;
  height?: number;
  /** Average frame rate (`fps`), else the base rate (`tbr`); the dump rounds it to 2 decimals, snapped back to n·1000/1001 for NTSC rates. */
  fps?: number;
  sampleRate?: number;
  channels?: number;
  /** A cover image inside an audio or video file, not a video track. */
  attachedPic: boolean;
  /** The stream's language tag as the container has it (`eng`, `fre`, `pt-BR`), `Stream #0:N(eng)`. */
  language?: string;
  /** The stream's `title` metadata. */
  title?: string;
  /** Its `(default)` and `(forced)` dispositions. */
  isDefault: boolean;
  forced: boolean;
}

export interface InputDump {
  /** Demuxer names, as ffprobe's `format_name`, e.g. `mov,mp4,m4a,3gp,3g2,mj2`. */
  format: string;
  /** Container duration in seconds (printed to 10 ms), or null for `N/A`. */
  duration: number | null;
  /** Container start time in seconds (printed to 1 µs), or null when not printed. */
  startTime: number | null;
  streams: DumpStream[];
}

// Only lines that begin a log message carry the level tag; continuation lines of a message (a
// metadata value or a file name with a newline in it) do not, so they can never pose as a stream.
const INFO_LINE = /^\[info\] (.*)$/;
const INPUT = /^Input #0, (.+?), from '/;
const DURATION = /^\s+Duration: (?:N\/A|(\d+):(\d\d):(\d\d(?:\.\d+)?))(?:, start: (-?\d+(?:\.\d+)?))?/;
const STREAM = /^\s+Stream #\d+:(\d+)(?:\[0x[0-9a-f]+\])?(?:\(([^)]*)\))?[^:\s]*: (\w+): (.*)$/;
// A stream's metadata lines sit deeper than its `Stream #` line: `      title           : English`.
const STREAM_META = /^ {6,}(\w+)\s*: (.*)$/;

/**
 * Parses the stderr of `ffmpeg -hide_banner -loglevel level+info -i FILE`; null when it holds no
 * input dump (ffmpeg could not open the file).
 *
 * @example
 * const dump = parseInputDump("[info] Input #0, matroska,webm, from 'a.mkv':\n[info]   Duration: 00:00:18.05, start: 0.000000, bitrate: 91 kb/s\n");
 * dump?.duration; // 18.05
 */
export function parseInputDump(stderr: string): InputDump | null {
  let dump: InputDump | null = null;
  for (const raw of stderr.split('\n')) {
    const tagged = INFO_LINE.exec(raw.replace(/\r$/, ''));
    if (!tagged) continue;
    const line = tagged[1];
    if (!dump) {
      const input = INPUT.exec(line);
      if (input) dump = { format: input[1], duration: null, startTime: null, streams: [] };
      continue;
    }
    if (/^(Input|Output) #/.test(line)) break; // a second input or the output section: not ours
    const d = DURATION.exec(line);
    if (d) {
      if (d[1] !== undefined) dump.duration = Number(d[1]) * 3600 + Number(d[2]) * 60 + Number(d[3]);
      if (d[4] !== undefined) dump.startTime = Number(d[4]);
      continue;
    }
    const s = STREAM.exec(line);
    if (s) {
      const stream = parseStream(Number(s[1]), s[3].toLowerCase(), s[4]);
      if (s[2] && s[2] !== 'und') stream.language = s[2];
      dump.streams.push(stream);
      continue;
    }
    const meta = STREAM_META.exec(line);
    const last = dump.streams.at(-1);
    if (meta && last && meta[1].toLowerCase() === 'title' && last.title === undefined) last.title = meta[2].trim();
  }
  return dump;
}

function parseStream(index: number, type: string, details: string): DumpStream {
  const fields = splitTopLevel(details);
  const stream: DumpStream = {
    index,
    type,
    codec: /^\S*/.exec(fields[0] ?? '')![0],
    attachedPic: /\(attached pic\)/.test(details),
    isDefault: /\(default\)/.test(details),
    forced: /\(forced\)/.test(details),
  };
  if (type === 'video') {
    for (const f of fields.slice(1)) {
      const size = /^([1-9]\d{0,5})x([1-9]\d{0,5})\b/.exec(f);
      if (size && stream.width === undefined) {
        stream.width = Number(size[1]);
        stream.height = Number(size[2]);
      }
    }
    stream.fps = rate(fields, 'fps') ?? rate(fields, 'tbr');
  } else if (type === 'audio') {
    const hz = fields.findIndex((f) => /^\d+ Hz$/.test(f));
    if (hz > 0) {
      stream.sampleRate = Number.parseInt(fields[hz], 10);
      const channels = channelCount(fields[hz + 1] ?? '');
      if (channels !== undefined) stream.channels = channels;
    }
  }
  return stream;
}

/** Splits `a (b, c), d [e, f], g` at the commas outside brackets. */
function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '[') depth++;
    else if ((c === ')' || c === ']') && depth > 0) depth--;
    else if (c === ',' && depth === 0) {
      out.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(text.slice(start).trim());
  return out;
}

/** `25 fps`, `29.97 fps`, `1k tbr`: the number before `unit`, with NTSC rates restored to n·1000/1001. */
function rate(fields: readonly string[], unit: 'fps' | 'tbr'): number | undefined {
  for (const f of fields) {
    const m = new RegExp(`^(\\d+(?:\\.\\d+)?)(k?) ${unit}\\b`).exec(f);
    if (!m) continue;
    const v = Number(m[1]) * (m[2] ? 1000 : 1);
    if (!(v > 0)) return undefined;
    // The dump prints 24000/1001 as 23.98: a rate 0.1 % under an integer is that integer's NTSC rate.
    const ntsc = Math.round(v * 1.001);
    return Math.abs(v - Math.round(v)) > 0.005 && Math.abs(v * 1.001 - ntsc) < 0.006 ? (ntsc * 1000) / 1001 : v;
  }
  return undefined;
}

// Named layouts from libavutil's channel_layout_map whose names are not `N.M` counts.
const NAMED_LAYOUTS: Readonly<Record<string, number>> = Object.freeze({
  mono: 1,
  stereo: 2,
  downmix: 2,
  binaural: 2,
  quad: 4,
  hexagonal: 6,
  octagonal: 8,
  cube: 8,
  hexadecagonal: 16,
});

/** The channel count of a layout as the dump names it: `mono`, `5.1(side)`, `7.1.4`, `6 channels`. */
export function channelCount(layout: string): number | undefined {
  const plain = layout.trim().replace(/\(.*$/, '').trim();
  const n = /^(\d+) channels?\b/.exec(layout.trim());
  if (n) return Number(n[1]);
  if (/^\d+(\.\d+)+$/.test(plain)) return plain.split('.').reduce((a, p) => a + Number(p), 0);
  return NAMED_LAYOUTS[plain];
}
