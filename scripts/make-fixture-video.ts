/**
 * Regenerates fixtures/video/: an 18 s, 320×240 test video whose every frame carries its own
 * frame number as a row of black/white blocks, spoken sentences from espeak-ng placed at known
 * times, and the matching .srt and .vtt. Deterministic: same ffmpeg + espeak-ng → same bytes.
 *
 * Run with `npm run fixtures:video`. The outputs are committed so tests need neither espeak-ng
 * nor this script; rerun it only when the fixture itself must change.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const OUT_DIR = resolve(process.argv[2] ?? 'fixtures/video');
const NAME = 'sample';
const WIDTH = 320;
const HEIGHT = 240;
const FPS = 25;
/** Segment lengths of the three test sources; their joins are the two hard scene cuts (6 s, 12 s). */
const SEGMENTS = [6, 6, 6] as const;
const DURATION = SEGMENTS.reduce((a, b) => a + b, 0);
const SAMPLE_RATE = 22050;
/** Height of the bottom strip that encodes the frame number in binary (LSB first, 32 px per bit). */
const CODE_STRIP = { height: 16, bitWidth: 32, bits: 10 } as const;

/** Planned start of each spoken sentence; about 9.4–12.5 s is left silent on purpose. */
const SPOKEN: readonly { at: number; text: string }[] = [
  { at: 0.5, text: 'Hello, and welcome to the test video.' },
  { at: 3.5, text: 'The pattern moves across the screen.' },
  { at: 6.5, text: 'Now the colour bars appear.' },
  { at: 12.5, text: 'After a short silence, we continue.' },
  { at: 15.2, text: 'This is the end.' },
];
/** A cue that lies entirely after the end of the video: aligners must leave it unpaired. */
const OUTSIDE = { start: 20, end: 22.5, text: 'This cue lies outside the video.' };

function run(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** Reads 16-bit mono PCM from a WAV file by walking its chunks (espeak-ng writes a plain RIFF). */
function readWavMono16(file: string): Int16Array {
  const buf = readFileSync(file);
  let off = 12;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    if (id === 'data') {
      const end = Math.min(buf.length, off + 8 + size);
      const bytes = buf.subarray(off + 8, end - ((end - off - 8) % 2));
      return new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    }
    off += 8 + size + (size % 2);
  }
  throw new Error(`${file}: no data chunk`);
}

function wav16(samples: Int16Array, rate: number): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + samples.length * 2, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(samples.length * 2, 40);
  return Buffer.concat([header, Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength)]);
}

function stamp(t: number, sep: ',' | '.'): string {
  const ms = Math.round(t * 1000);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor(ms / 60_000) % 60;
  const s = Math.floor(ms / 1000) % 60;
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}${sep}${pad(ms % 1000, 3)}`;
}

function main(): void {
  for (const [bin, flag] of [['ffmpeg', '-version'], ['espeak-ng', '--version']] as const) {
    try {
      execFileSync(bin, [flag], { stdio: 'ignore' });
    } catch {
      throw new Error(`${bin} is required to regenerate the fixture video (apt-get install ffmpeg espeak-ng).`);
    }
  }
  const work = mkdtempSync(join(tmpdir(), 'mmalign-fixture-'));
  try {
    // 1. Speech: one WAV per sentence, laid into a silent track at its planned start.
    const track = new Int16Array(DURATION * SAMPLE_RATE);
    const cues: { start: number; end: number; text: string }[] = [];
    let cursor = 0;
    SPOKEN.forEach(({ at, text }, i) => {
      const wav = join(work, `s${i}.wav`);
      run('espeak-ng', ['-v', 'en-us', '-s', '165', '-w', wav, text]);
      const pcm = readWavMono16(wav);
      const start = Math.max(at, cursor + 0.25);
      const from = Math.round(start * SAMPLE_RATE);
      if (from + pcm.length > track.length) throw new Error(`sentence ${i} runs past the end of the video`);
      track.set(pcm, from);
      const end = Math.round((start + pcm.length / SAMPLE_RATE) * 1000) / 1000;
      cues.push({ start, end, text });
      cursor = end;
    });
    cues.push(OUTSIDE);
    const audio = join(work, 'speech.wav');
    writeFileSync(audio, wav16(track, SAMPLE_RATE));

    // 2. Video: three test sources joined (scene cuts at 6 s and 12 s), the frame number as a bit strip, the clock as text.
    const [a, b, c] = SEGMENTS;
    const size = `${WIDTH}x${HEIGHT}`;
    const s = CODE_STRIP;
    const bitExpr = `255*mod(floor(N/pow(2,floor(X/${s.bitWidth}))),2)`;
    const font = '/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf';
    const clock = existsSync(font)
      ? `,drawtext=fontfile=${font}:text='%{pts\\:hms}':x=8:y=8:fontsize=20:fontcolor=white:box=1:boxcolor=black`
      : '';
    const filter =
      `[0:v][1:v][2:v]concat=n=3:v=1:a=0,format=yuv420p,` +
      `drawbox=x=0:y=ih-${s.height}:w=iw:h=${s.height}:color=black:t=fill,` +
      `geq=lum='if(gte(Y,H-${s.height}),${bitExpr},lum(X,Y))':cb='cb(X,Y)':cr='cr(X,Y)'${clock}[v]`;
    const out = join(OUT_DIR, `${NAME}.mp4`);
    run('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-y',
      '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${FPS}:duration=${a}`,
      '-f', 'lavfi', '-i', `smptebars=size=${size}:rate=${FPS}:duration=${b}`,
      '-f', 'lavfi', '-i', `testsrc=size=${size}:rate=${FPS}:duration=${c}`,
      '-i', audio,
      '-filter_complex', filter,
      '-map', '[v]', '-map', '3:a',
      '-c:v', 'libx264', '-preset', 'veryslow', '-crf', '30', '-g', String(FPS * 2), '-pix_fmt', 'yuv420p', '-threads', '1',
      '-c:a', 'aac', '-b:a', '32k', '-ac', '1', '-ar', String(SAMPLE_RATE),
      '-map_metadata', '-1', '-fflags', '+bitexact', '-flags:v', '+bitexact', '-flags:a', '+bitexact',
      '-movflags', '+faststart', '-t', String(DURATION),
      out,
    ]);

    // 3. Subtitles: the same cues as SRT and WebVTT.
    const srt = cues.map((q, i) => `${i + 1}\n${stamp(q.start, ',')} --> ${stamp(q.end, ',')}\n${q.text}\n`).join('\n');
    writeFileSync(join(OUT_DIR, `${NAME}.srt`), srt);
    const vtt = 'WEBVTT\n\n' + cues.map((q, i) => `${i + 1}\n${stamp(q.start, '.')} --> ${stamp(q.end, '.')}\n${q.text}\n`).join('\n');
    writeFileSync(join(OUT_DIR, `${NAME}.vtt`), vtt);
    process.stdout.write(`wrote ${out} (${DURATION} s, ${cues.length} cues, ${cues.length - 1} spoken)\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main();
