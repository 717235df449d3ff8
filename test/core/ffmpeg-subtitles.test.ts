/** The ffmpeg driver's subtitle streams (src/core/ffmpeg/subtitles.ts): listing, choosing, extracting. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSubtitleFile } from '../../alignment/subtitles/index.js';
import { BitmapSubtitlesError, NoSubtitleStreamError, SubtitleStreamNotFoundError } from '../../src/core/errors/index.js';
import {
  extractSubtitleStream,
  listSubtitleStreams,
  selectSubtitleStream,
  subtitleStreamExtension,
  parseInputDump,
  subtitleStreamsFromDump,
} from '../../src/core/ffmpeg/index.js';
import { SAMPLE_MP4 } from '../helpers/media.js';
import { makeSubtitledVideo, srtLines } from '../helpers/subtitle-media.js';
import { sharedTempDir, tempDir } from '../helpers/tmp.js';

const root = sharedTempDir('ffmpeg-subs');
const MKV = path.join(root, 'movie.mkv');
const MP4 = path.join(root, 'movie.mp4');
let made = false;
function media(): void {
  if (made) return;
  makeSubtitledVideo(MKV, [
    { srt: srtLines(5, 'Hello'), language: 'eng', title: 'English', default: true },
    { srt: srtLines(5, 'Bonjour'), language: 'fre', title: 'Français', codec: 'ass' },
    { srt: srtLines(2, 'Signs'), language: 'eng', title: 'Signs', forced: true },
  ]);
  makeSubtitledVideo(MP4, [{ srt: srtLines(4, 'Tx3g line'), language: 'eng', codec: 'mov_text' }]);
  made = true;
}

/** The subtitle streams of a dump as ffmpeg prints it for a video with the given `Stream #0:N` lines. */
const fromDump = (...streams: string[]) =>
  subtitleStreamsFromDump(parseInputDump([`[info] Input #0, matroska,webm, from 'disc.mkv':`, '[info]   Duration: 00:00:06.00, start: 0.000000, bitrate: 91 kb/s', ...streams.map((l) => `[info]   ${l}`)].join('\n'))!.streams);
const PGS = fromDump(
  'Stream #0:0: Video: h264 (High), yuv420p(progressive), 1920x1080, 23.98 fps, 23.98 tbr, 1k tbn (default)',
  'Stream #0:1(eng): Audio: ac3, 48000 Hz, 5.1(side), fltp, 448 kb/s (default)',
  'Stream #0:2(eng): Subtitle: hdmv_pgs_subtitle (default)',
  'Stream #0:3(fre): Subtitle: dvd_subtitle',
);

describe('listing subtitle streams', () => {
  it('lists every subtitle stream with its number, container index, codec, language, title and flags', async () => {
    media();
    const streams = await listSubtitleStreams(MKV);
    expect(streams.map((s) => [s.number, s.index, s.codec, s.kind, s.language, s.title, s.default, s.forced])).toEqual([
      [0, 2, 'subrip', 'text', 'eng', 'English', true, false],
      [1, 3, 'ass', 'text', 'fre', 'Français', false, false],
      [2, 4, 'subrip', 'text', 'eng', 'Signs', false, true],
    ]);
  });

  it('finds an MP4 mov_text stream as text, and none in a video without subtitles', async () => {
    media();
    expect((await listSubtitleStreams(MP4)).map((s) => [s.codec, s.kind])).toEqual([['mov_text', 'text']]);
    expect(await listSubtitleStreams(SAMPLE_MP4)).toEqual([]);
  });
});

describe('choosing a subtitle stream', () => {
  it('takes the first text stream that is not forced when nothing is asked for', async () => {
    media();
    const streams = await listSubtitleStreams(MKV);
    expect(selectSubtitleStream(MKV, streams).number).toBe(0);
    expect(selectSubtitleStream(MKV, [streams[2], streams[1]]).number).toBe(1);
  });

  it('takes a language in any ISO 639 form, or a stream number', async () => {
    media();
    const streams = await listSubtitleStreams(MKV);
    for (const lang of ['fre', 'fra', 'fr', 'FR', 'fr-CA']) expect([lang, selectSubtitleStream(MKV, streams, lang).number]).toEqual([lang, 1]);
    expect(selectSubtitleStream(MKV, streams, 'en').number).toBe(0);
    expect(selectSubtitleStream(MKV, streams, 2).number).toBe(2);
    expect(selectSubtitleStream(MKV, streams, '1').codec).toBe('ass');
    expect(selectSubtitleStream(MKV, streams, 'signs').number).toBe(2);
  });

  it('names the streams the file has when the one asked for is not there', async () => {
    media();
    const streams = await listSubtitleStreams(MKV);
    const err = (() => {
      try {
        return selectSubtitleStream(MKV, streams, 'de');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(SubtitleStreamNotFoundError);
    expect((err as Error).message).toMatch(/no subtitle stream in language or titled "de".*#0 subrip \(eng\), #1 ass \(fre\)/);
    expect(() => selectSubtitleStream(MKV, streams, 7)).toThrow(/no subtitle stream #7/);
  });

  it('refuses a video without subtitle streams, saying to pass a subtitle file', () => {
    expect(() => selectSubtitleStream(SAMPLE_MP4, [])).toThrow(NoSubtitleStreamError);
    expect(() => selectSubtitleStream(SAMPLE_MP4, [])).toThrow(/no subtitle stream inside it; pass a subtitle file/);
  });

  it('refuses bitmap streams by codec name, saying OCR is needed', () => {
    const only = (() => {
      try {
        return selectSubtitleStream('disc.mkv', PGS);
      } catch (e) {
        return e;
      }
    })();
    expect(only).toBeInstanceOf(BitmapSubtitlesError);
    expect((only as Error).message).toMatch(/only bitmap subtitle streams #0 hdmv_pgs_subtitle \(eng\), #1 dvd_subtitle \(fre\).*needs OCR/);
    expect(() => selectSubtitleStream('disc.mkv', PGS, 'fre')).toThrow(/subtitle stream #1 dvd_subtitle \(fre\): it is a picture of the text, and reading it needs OCR/);
    for (const codec of ['dvb_subtitle', 'xsub']) {
      expect(() => selectSubtitleStream('x.ts', fromDump(`Stream #0:1: Subtitle: ${codec}`), 0)).toThrow(new RegExp(`${codec}.*OCR`));
    }
  });

  it('prefers a text stream over a bitmap one of the same language', () => {
    const mixed = fromDump('Stream #0:2(eng): Subtitle: hdmv_pgs_subtitle', 'Stream #0:3(eng): Subtitle: subrip');
    expect(selectSubtitleStream('m.mkv', mixed).number).toBe(1);
    expect(selectSubtitleStream('m.mkv', mixed, 'eng').number).toBe(1);
  });
});

describe('extracting a subtitle stream', () => {
  it('copies an SRT stream with its texts and an ASS stream as ASS', async () => {
    media();
    const dir = tempDir('extract');
    const streams = await listSubtitleStreams(MKV);
    const srt = await extractSubtitleStream(MKV, streams[0], path.join(dir, `a.${subtitleStreamExtension(streams[0])}`));
    expect(path.extname(srt)).toBe('.srt');
    const cues = (await readSubtitleFile(srt)).cues;
    expect(cues.map((c) => c.text)).toEqual([1, 2, 3, 4, 5].map((k) => `Hello ${k}`));
    // On the file's timeline: the muxer delays every stream by the AAC priming (1024 samples = 64 ms) of the generated file.
    for (const [k, c] of cues.entries()) expect(c.start - (k + 0.2)).toSatisfy((d: number) => d >= 0 && d < 0.07);
    const ass = await extractSubtitleStream(MKV, streams[1], path.join(dir, `b.${subtitleStreamExtension(streams[1])}`));
    expect(path.extname(ass)).toBe('.ass');
    expect(readFileSync(ass, 'utf8')).toMatch(/\[Events\]/);
    expect((await readSubtitleFile(ass)).cues.map((c) => c.text)).toEqual([1, 2, 3, 4, 5].map((k) => `Bonjour ${k}`));
  });

  it('converts an MP4 mov_text stream to SRT', async () => {
    media();
    const dir = tempDir('extract');
    const [s] = await listSubtitleStreams(MP4);
    expect(subtitleStreamExtension(s)).toBe('srt');
    const file = await extractSubtitleStream(MP4, s, path.join(dir, 'm.srt'));
    const doc = await readSubtitleFile(file);
    expect(doc.format).toBe('srt');
    expect(doc.cues.map((c) => c.text)).toEqual([1, 2, 3, 4].map((k) => `Tx3g line ${k}`));
    doc.cues.forEach((c, k) => expect(Math.abs(c.start - (k + 0.2)) + Math.abs(c.end - c.start - 0.6)).toBeLessThan(0.07));
  });

  it('refuses to extract a bitmap stream and writes nothing', async () => {
    const dir = tempDir('extract');
    await expect(extractSubtitleStream(MKV, PGS[0], path.join(dir, 'x.srt'))).rejects.toThrow(BitmapSubtitlesError);
    expect(await import('node:fs').then((fs) => fs.readdirSync(dir))).toEqual([]);
  });
});
