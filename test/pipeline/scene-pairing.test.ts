/** Scene mode pairs by interval: a scene frame stands for its whole shot, so every cue pairs with the shot it overlaps most. */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { alignVideo } from '../../src/pipeline/index.js';
import { ffmpegMake } from '../helpers/media.js';
import { tempDir } from '../helpers/tmp.js';

const stamp = (t: number) => {
  const ms = Math.round(t * 1000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `00:${p(Math.floor(ms / 60_000))}:${p(Math.floor(ms / 1000) % 60)},${p(ms % 1000, 3)}`;
};

describe('scene mode', () => {
  it('pairs every cue with the frame of the shot it overlaps most, however far that frame lies from the cue', async () => {
    const dir = tempDir('scene-pairing');
    // Four 5 s shots of plain colours: hard cuts at 5, 10 and 15 s.
    const video = path.join(dir, 'cuts.mp4');
    const colours = ['red', 'blue', 'green', 'white'];
    ffmpegMake([
      ...colours.flatMap((c) => ['-f', 'lavfi', '-i', `color=c=${c}:s=160x120:r=10:d=5`]),
      '-filter_complex', `${colours.map((_, i) => `[${i}:v]`).join('')}concat=n=${colours.length}:v=1:a=0,format=yuv420p[v]`,
      '-map', '[v]', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '10', video,
    ]);
    // Three cues per shot, the last of shot 2 running 0.4 s into shot 3 (it belongs to shot 2).
    const cues = Array.from({ length: 12 }, (_, k) => {
      const start = Math.floor(k / 3) * 5 + (k % 3) * 1.6 + 0.3;
      return { start, end: k === 5 ? 10.4 : start + 1.2, text: `line ${k + 1}` };
    });
    const srt = path.join(dir, 'cuts.srt');
    await writeFile(srt, cues.map((c, k) => `${k + 1}\n${stamp(c.start)} --> ${stamp(c.end)}\n${c.text}\n`).join('\n'));

    const r = await alignVideo(video, srt, { out: path.join(dir, 'out'), embed: false, mode: 'scene', sync: 'off' });
    expect(r.frames).toBe(4);
    expect(r.pairs).toBe(12);
    expect(r.unpairedCues).toBe(0);
    expect(r.unpairedFrames).toBe(0);
    const pairs = (await readFile(path.join(dir, 'out', 'pairs.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { cue_index: number; frame_time: number; distance: number });
    for (const p of pairs) {
      const shot = Math.floor((p.cue_index - 1) / 3);
      expect(p.frame_time).toBeCloseTo(shot * 5, 1);
      const c = cues[p.cue_index - 1];
      // pairs.jsonl's distance stays the frame's own distance to the cue (0 inside it).
      expect(p.distance).toBeCloseTo(Math.max(0, c.start - p.frame_time), 3);
    }
  });
});
