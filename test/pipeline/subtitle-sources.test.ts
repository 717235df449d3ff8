/** Where align's cues come from besides an SRT/WebVTT file: MicroDVD timed by the video's frame rate, and subtitle streams inside the video. */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSubtitleFile } from '../../alignment/subtitles.js';
import { alignVideo } from '../../src/pipeline/index.js';
import { SAMPLE_FPS, SAMPLE_MP4, SAMPLE_SRT } from '../helpers/media.js';
import { tempDir } from '../helpers/tmp.js';

async function readJsonl(file: string): Promise<Record<string, unknown>[]> {
  return (await readFile(file, 'utf8')).trimEnd().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('MicroDVD subtitles in align', () => {
  it('are timed by the video\'s frame rate when the file gives none, and pair like the same cues in SRT', async () => {
    const dir = tempDir('microdvd');
    const cues = (await readSubtitleFile(SAMPLE_SRT)).cues;
    const sub = path.join(dir, 'sample.sub');
    // Frame numbers of the fixture's 25 fps, and no {1}{1}25 line: only the video can say what they mean.
    await writeFile(sub, cues.map((c) => `{${Math.round(c.start * SAMPLE_FPS)}}{${Math.round(c.end * SAMPLE_FPS)}}${c.text.replace(/\n/g, '|')}`).join('\n') + '\n');
    const fromSub = await alignVideo(SAMPLE_MP4, sub, { out: path.join(dir, 'sub'), embed: false, mode: 'cue', sync: 'off' });
    const fromSrt = await alignVideo(SAMPLE_MP4, SAMPLE_SRT, { out: path.join(dir, 'srt'), embed: false, mode: 'cue', sync: 'off' });
    expect(fromSub.pairs).toBe(fromSrt.pairs);
    const a = await readJsonl(path.join(dir, 'sub', 'pairs.jsonl'));
    const b = await readJsonl(path.join(dir, 'srt', 'pairs.jsonl'));
    const times = (rows: Record<string, unknown>[]) => rows.map((p) => [p.cue_index, p.text, p.frame_time, Math.round((p.start as number) * SAMPLE_FPS), Math.round((p.end as number) * SAMPLE_FPS)]);
    expect(times(a)).toEqual(times(b));
  });
});
