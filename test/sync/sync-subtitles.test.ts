import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NoSpokenCuesError } from '../../src/core/errors/index.js';
import { defaultSyncedPath, syncSubtitles } from '../../src/sync/index.js';
import type { FfmpegBinaries } from '../../src/core/ffmpeg/index.js';
import { SYNC_FIXTURES, tempDirs } from '../helpers/sync.js';

const tmp = tempDirs();
/** ffmpeg that does not exist: any attempt to probe or decode fails loudly. */
const NO_FFMPEG: FfmpegBinaries = {
  ffmpeg: { path: '/nonexistent/ffmpeg', source: 'env' },
};

describe('syncSubtitles', () => {
  it('refuses subtitles with no spoken cue before touching the video', async () => {
    const subs = join(tmp(), 'music.srt');
    writeFileSync(subs, '1\n00:00:01,000 --> 00:00:05,000\n[MUSIC]\n');
    await expect(syncSubtitles(SYNC_FIXTURES.speech, subs, { binaries: NO_FFMPEG })).rejects.toThrow(NoSpokenCuesError);
  });

  it('synchronises against reference subtitles without decoding any audio', async () => {
    const dir = tmp();
    const subs = join(dir, 'late.srt');
    writeFileSync(subs, '1\n00:00:03,500 --> 00:00:06,364\nGood evening.\n\n2\n00:00:07,713 --> 00:00:10,312\nThe weather.\n\n3\n00:00:11,352 --> 00:00:13,898\nThe station.\n');
    const r = await syncSubtitles(SYNC_FIXTURES.speech, subs, { reference: SYNC_FIXTURES.cues, binaries: NO_FFMPEG, out: join(dir, 'fixed.srt') });
    expect(r.mapping.method).toBe('reference-subtitles');
    expect(r.mapping.offset).toBeCloseTo(-2, 2);
    expect(r.out).toBe(join(dir, 'fixed.srt'));
    expect(r.seconds.decode).toBe(0);
  });
});

describe('defaultSyncedPath', () => {
  it('puts NAME.synced.EXT next to the input', () => {
    expect(defaultSyncedPath('/films/a.srt')).toBe('/films/a.synced.srt');
    expect(defaultSyncedPath('b.vtt')).toBe('b.synced.vtt');
  });
});
