/**
 * Probing through ffmpeg alone (no ffprobe): the input-dump parser on the dumps of the ffmpeg
 * builds mmalign meets, and probeMedia on every container shape the pipeline is given.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { channelCount, parseInputDump, probeMedia, requireVideo } from '../../src/core/ffmpeg/index.js';
import { sharedTempDir } from '../helpers/tmp.js';
import { SAMPLE_MP4, ffmpegMake } from '../helpers/media.js';

// Verbatim from `ffmpeg -hide_banner -loglevel level+info -i sample.ts`: Debian's 5.1, then the npm 2018 build.
const TS_DUMP_51 = `[info] Input #0, mpegts, from 'ts.ts':
[info]   Duration: 00:00:18.05, start: 1.433556, bitrate: 148 kb/s
[info]   Program 1 
[info]     Metadata:
[info]       service_name    : Service01
[info]       service_provider: FFmpeg
[info]   Stream #0:0[0x100]: Video: h264 (High) ([27][0][0][0] / 0x001B), yuv420p(progressive), 320x240 [SAR 1:1 DAR 4:3], 25 fps, 25 tbr, 90k tbn
[info]   Stream #0:1[0x101](und): Audio: aac (LC) ([15][0][0][0] / 0x000F), 22050 Hz, mono, fltp, 37 kb/s
[fatal] At least one output file must be specified
`;
const TS_DUMP_41 = `[info] Input #0, mpegts, from 'ts.ts':
[info]   Duration: 00:00:18.05, start: 1.433556, bitrate: 148 kb/s
[info]   Program 1 
[info]     Metadata:
[info]       service_name    : Service01
[info]       service_provider: FFmpeg
[info]     Stream #0:0[0x100]: Video: h264 (High) ([27][0][0][0] / 0x001B), yuv420p(progressive), 320x240 [SAR 1:1 DAR 4:3], 25 fps, 25 tbr, 90k tbn, 50 tbc
[info]     Stream #0:1[0x101](und): Audio: aac (LC) ([15][0][0][0] / 0x000F), 22050 Hz, mono, fltp, 30 kb/s
[fatal] At least one output file must be specified
`;

describe('the ffmpeg input dump', () => {
  it('reads format, duration, start and both streams of an MPEG-TS dump, from ffmpeg 5.1 and 4.1 alike', () => {
    for (const text of [TS_DUMP_51, TS_DUMP_41]) {
      expect(parseInputDump(text)).toEqual({
        format: 'mpegts',
        duration: 18.05,
        startTime: 1.433556,
        streams: [
          { index: 0, type: 'video', codec: 'h264', width: 320, height: 240, fps: 25, attachedPic: false, isDefault: false, forced: false },
          { index: 1, type: 'audio', codec: 'aac', sampleRate: 22050, channels: 1, attachedPic: false, isDefault: false, forced: false },
        ],
      });
    }
  });

  it('reads each subtitle stream\'s language, title and default/forced dispositions, from ffmpeg 5.1 and 4.1 alike', () => {
    // Both binaries' dumps of one MKV with an English SDH (default) and a French (forced) SRT track.
    for (const indent of ['  ', '    ']) {
      const text = [
        "[info] Input #0, matroska,webm, from 't.mkv':",
        '[info]   Metadata:',
        '[info]     title           : The film',
        '[info]   Duration: 00:00:02.00, start: 0.000000, bitrate: 10 kb/s',
        `[info] ${indent}Stream #0:0: Video: h264 (High), yuv420p(progressive), 32x32 [SAR 1:1 DAR 1:1], 25 fps, 25 tbr, 1k tbn`,
        `[info] ${indent}Stream #0:1(eng): Subtitle: subrip (default)`,
        '[info]     Metadata:',
        '[info]       title           : English SDH',
        '[info]       DURATION        : 00:00:01.500000000',
        `[info] ${indent}Stream #0:2(fre): Subtitle: subrip (forced)`,
        '[info]     Metadata:',
        '[info]       ENCODER         : Lavc59.37.100 srt',
        '[fatal] At least one output file must be specified',
      ].join('\n');
      const streams = parseInputDump(text)?.streams ?? [];
      expect(streams.map((s) => [s.type, s.codec, s.language, s.title, s.isDefault, s.forced])).toEqual([
        ['video', 'h264', undefined, undefined, false, false],
        ['subtitle', 'subrip', 'eng', 'English SDH', true, false],
        ['subtitle', 'subrip', 'fre', undefined, false, true],
      ]);
    }
  });

  it('gives no dump when ffmpeg could not open the input', () => {
    const text = '[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55cf3116e8c0] [error] moov atom not found\n[error] junk.mp4: Invalid data found when processing input\n';
    expect(parseInputDump(text)).toBeNull();
  });

  it('reads a missing duration and start as null (a still image, a streamed MKV)', () => {
    const dump = parseInputDump("[info] Input #0, png_pipe, from 'still.png':\n[info]   Duration: N/A, bitrate: N/A\n[info]   Stream #0:0: Video: png, rgb24(pc), 32x32 [SAR 1:1 DAR 1:1], 25 tbr, 25 tbn\n");
    expect(dump).toMatchObject({ format: 'png_pipe', duration: null, startTime: null });
    expect(dump?.streams[0]).toMatchObject({ width: 32, height: 32, fps: 25 });
  });

  it('restores an NTSC rate the dump rounds to two decimals to its exact n*1000/1001', () => {
    const line = (fps: string) => `[info] Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'a.mp4':\n[info]   Stream #0:0(und): Video: h264 (Main) (avc1 / 0x31637661), yuv420p(tv, bt709, progressive), 1920x1080 [SAR 1:1 DAR 16:9], 4000 kb/s, ${fps} fps, ${fps} tbr, 24k tbn (default)\n`;
    expect(parseInputDump(line('23.98'))?.streams[0].fps).toBeCloseTo(24000 / 1001, 9);
    expect(parseInputDump(line('29.97'))?.streams[0].fps).toBeCloseTo(30000 / 1001, 9);
    expect(parseInputDump(line('59.94'))?.streams[0].fps).toBeCloseTo(60000 / 1001, 9);
    expect(parseInputDump(line('12.5'))?.streams[0].fps).toBe(12.5);
    expect(parseInputDump(line('25'))?.streams[0]).toMatchObject({ fps: 25, width: 1920, height: 1080 });
  });

  it('does not take a fourcc like 0x0001 for a picture size', () => {
    const dump = parseInputDump("[info] Input #0, avi, from 'a.avi':\n[info]   Stream #0:0: Video: rawvideo (I420 / 0x30323449), yuv420p, 640x360, 27648 kb/s, 10 fps, 10 tbr, 10 tbn\n");
    expect(dump?.streams[0]).toMatchObject({ codec: 'rawvideo', width: 640, height: 360, fps: 10 });
  });

  it('marks a cover image as an attached picture, not a video track', () => {
    const dump = parseInputDump("[info] Input #0, mp3, from 'song.mp3':\n[info]   Stream #0:0: Audio: mp3, 44100 Hz, stereo, fltp, 128 kb/s\n[info]   Stream #0:1: Video: mjpeg (Baseline), yuvj420p(pc, bt470bg/unknown/unknown), 500x500 [SAR 1:1 DAR 1:1], 90k tbr, 90k tbn (attached pic)\n");
    expect(dump?.streams.map((s) => [s.type, s.attachedPic])).toEqual([['audio', false], ['video', true]]);
    expect(dump?.streams[0].channels).toBe(2);
  });

  it('ignores stream-like text inside a metadata value, which ffmpeg prints without a level tag', () => {
    const text = "[info] Input #0, matroska,webm, from 'a.mkv':\n[info]   Metadata:\n[info]     title           : x\n    Stream #0:7: Video: h264, 4000x3000, 60 fps\n[info]   Duration: 00:00:18.05, start: 0.000000, bitrate: 91 kb/s\n[info]   Stream #0:0: Video: h264 (High), yuv420p(progressive), 320x240 [SAR 1:1 DAR 4:3], 25 fps, 25 tbr, 1k tbn (default)\n";
    expect(parseInputDump(text)?.streams).toHaveLength(1);
  });

  it('counts the channels of every layout name ffmpeg prints', () => {
    const counts = ['mono', 'stereo', '2.1', '5.1(side)', '7.1', '7.1.4', '22.2', 'quad(side)', 'hexagonal', '6 channels', '2 channels (FL+LFE)', 'downmix'].map(channelCount);
    expect(counts).toEqual([1, 2, 3, 6, 8, 12, 24, 4, 6, 6, 2, 2]);
    expect(channelCount('fltp')).toBeUndefined();
  });
});

describe('probeMedia on each container the pipeline meets', () => {
  const dir = sharedTempDir('probe');
  const file = (name: string) => path.join(dir, name);
  beforeAll(async () => {
    ffmpegMake(['-i', SAMPLE_MP4, '-c', 'copy', file('copy.mkv')]);
    ffmpegMake(['-i', SAMPLE_MP4, '-c', 'copy', '-f', 'mpegts', file('copy.ts')]);
    ffmpegMake(['-i', SAMPLE_MP4, '-t', '4', '-c:v', 'libvpx', '-b:v', '200k', '-c:a', 'libopus', file('short.webm')]);
    ffmpegMake(['-i', SAMPLE_MP4, '-an', '-c', 'copy', file('mute.mp4')]);
    ffmpegMake(['-i', SAMPLE_MP4, '-vn', '-c:a', 'copy', file('speech.m4a')]);
    // A title with a line break that reads like a stream line: the parser must not believe it.
    ffmpegMake(['-i', SAMPLE_MP4, '-c', 'copy', '-metadata', 'title=x\n  Stream #0:7: Video: h264, 4000x3000, 60 fps', file('titled.mkv')]);
  });

  it('reads an MKV as matroska with the fixture streams', async () => {
    const info = await probeMedia(file('copy.mkv'));
    expect(info).toMatchObject({ format: 'matroska,webm', startTime: 0, streams: ['video', 'audio'] });
    expect(info.duration).toBeCloseTo(18.05, 2);
    expect(info.video).toEqual({ codec: 'h264', width: 320, height: 240, fps: 25 });
    expect(info.audio).toEqual({ codec: 'aac', sampleRate: 22050, channels: 1 });
  });

  it('reads an MPEG-TS with its muxer start offset', async () => {
    const info = requireVideo(await probeMedia(file('copy.ts')));
    expect(info.format).toBe('mpegts');
    expect(info.startTime).toBeCloseTo(1.433556, 6);
    expect(info.duration).toBeCloseTo(18.05, 2);
    expect(info.video).toMatchObject({ codec: 'h264', width: 320, height: 240, fps: 25 });
  });

  it('reads a WebM with VP8 video and Opus audio at 48 kHz', async () => {
    const info = await probeMedia(file('short.webm'));
    expect(info.video?.codec).toBe('vp8');
    expect(info.audio).toEqual({ codec: 'opus', sampleRate: 48000, channels: 1 });
    expect(info.duration).toBeGreaterThan(3.9);
    expect(info.duration).toBeLessThan(4.1);
  });

  it('reads a video without audio and an audio file without video', async () => {
    const mute = await probeMedia(file('mute.mp4'));
    expect([mute.streams, mute.audio]).toEqual([['video'], null]);
    const speech = await probeMedia(file('speech.m4a'));
    expect([speech.streams, speech.video]).toEqual([['audio'], null]);
    // 18 s of AAC; the 2018 npm build's muxer counts ~50 ms more of encoder priming.
    expect(Math.abs(speech.duration - 18)).toBeLessThanOrEqual(0.06);
  });

  it('times a streamed MKV by where its last video packet ends', async () => {
    const streamed = file('streamed.mkv');
    await writeFile(streamed, ffmpegMake(['-i', SAMPLE_MP4, '-c', 'copy', '-f', 'matroska', '-']));
    const info = await probeMedia(streamed);
    // 450 frames of 40 ms after the video's 46 ms start: exactly where Debian's ffprobe puts the end.
    expect(info.duration).toBeCloseTo(18.046, 3);
  });

  it('keeps a title that looks like a stream line out of the stream list', async () => {
    const info = await probeMedia(file('titled.mkv'));
    expect(info.streams).toEqual(['video', 'audio']);
    expect(info.video).toMatchObject({ width: 320, height: 240 });
  });
});
