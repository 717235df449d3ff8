/** Generated videos with subtitle streams inside (MKV with SRT/ASS tracks, MP4 with mov_text), made with ffmpegMake. */
import { writeFileSync } from 'node:fs';
import { ffmpegMake } from './media.js';

function stamp(t: number): string {
  const ms = Math.round(t * 1000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(Math.floor(ms / 3_600_000))}:${p(Math.floor(ms / 60_000) % 60)}:${p(Math.floor(ms / 1000) % 60)},${p(ms % 1000, 3)}`;
}

/** SRT text: one cue per `every` seconds from 0.2 s, lasting 0.6 s, texts `${label} N`. */
export function srtLines(count: number, label: string, every = 1): string {
  return Array.from({ length: count }, (_, k) => `${k + 1}\n${stamp(k * every + 0.2)} --> ${stamp(k * every + 0.8)}\n${label} ${k + 1}\n`).join('\n');
}

export interface SubtitleTrack {
  /** SRT text of the track (ffmpeg converts it to `codec`). */
  srt: string;
  language?: string;
  title?: string;
  /** ffmpeg encoder: `srt` (default), `ass`, `webvtt`, `mov_text`; `pgs`: a Blu-ray bitmap track (blank pictures, `srt` ignored). */
  codec?: 'srt' | 'ass' | 'webvtt' | 'mov_text' | 'pgs';
  forced?: boolean;
  default?: boolean;
}

/** One PGS segment: `PG`, PTS and DTS at 90 kHz, the segment type and its size, then its bytes. */
function pgsSegment(seconds: number, type: number, data: Buffer): Buffer {
  const head = Buffer.alloc(13);
  head.write('PG', 0, 'latin1');
  head.writeUInt32BE(Math.round(seconds * 90_000), 2);
  head[10] = type;
  head.writeUInt16BE(data.length, 11);
  return Buffer.concat([head, data]);
}

/**
 * A Blu-ray PGS (.sup) track ffmpeg cannot make from text: display sets of a presentation
 * composition with no object (a blank picture) and an end segment, one per second from 1 s.
 */
export function blankPgs(count = 3): Buffer {
  const sets = Array.from({ length: count }, (_, k) => {
    const pcs = Buffer.alloc(11);
    pcs.writeUInt16BE(160, 0);
    pcs.writeUInt16BE(120, 2);
    pcs[4] = 0x10; // frame rate code
    pcs.writeUInt16BE(k, 5); // composition number
    pcs[7] = 0x80; // epoch start
    return Buffer.concat([pgsSegment(k + 1, 0x16, pcs), pgsSegment(k + 1, 0x80, Buffer.alloc(0))]);
  });
  return Buffer.concat(sets);
}

/**
 * A small video (160x120, 10 fps, a tone) with the given subtitle tracks inside; MKV or MP4 by the
 * name of `file` (MP4 takes only mov_text).
 *
 * @example
 * makeSubtitledVideo('/tmp/m.mkv', [{ srt: srtLines(5, 'Hello'), language: 'eng' }, { srt: srtLines(5, 'Bonjour'), language: 'fre' }]);
 */
export function makeSubtitledVideo(file: string, tracks: readonly SubtitleTrack[], { seconds = 6, audio = true }: { seconds?: number; audio?: boolean } = {}): void {
  const args = ['-f', 'lavfi', '-i', `testsrc2=size=160x120:rate=10:duration=${seconds}`];
  if (audio) args.push('-f', 'lavfi', '-i', `sine=frequency=500:sample_rate=16000:duration=${seconds}`);
  tracks.forEach((t, i) => {
    const track = `${file}.track${i}.${t.codec === 'pgs' ? 'sup' : 'srt'}`;
    writeFileSync(track, t.codec === 'pgs' ? blankPgs() : t.srt);
    args.push('-i', track);
  });
  args.push('-map', '0:v');
  if (audio) args.push('-map', '1:a');
  const first = audio ? 2 : 1;
  tracks.forEach((t, i) => {
    args.push('-map', `${first + i}:s`, `-c:s:${i}`, t.codec === 'pgs' ? 'copy' : (t.codec ?? 'srt'));
    if (t.language) args.push(`-metadata:s:s:${i}`, `language=${t.language}`);
    if (t.title) args.push(`-metadata:s:s:${i}`, `title=${t.title}`);
    const disposition = [t.default ? 'default' : '', t.forced ? 'forced' : ''].filter(Boolean).join('+');
    args.push(`-disposition:s:${i}`, disposition || '0');
  });
  args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '10');
  if (audio) args.push('-c:a', 'aac', '-b:a', '32k');
  args.push(file);
  ffmpegMake(args);
}
