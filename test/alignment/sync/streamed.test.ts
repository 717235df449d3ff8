import { describe, expect, it } from 'vitest';
import { streamedSpeech, synchroniseCues } from '../../../alignment/sync/index.js';
import { SileroVad } from '../../../alignment/sync/vad/silero.js';
import { decodeAudio } from '../../../src/core/ffmpeg/index.js';
import { mistime, samplesOf, speechCues, SYNC_FIXTURES } from '../../helpers/sync.js';

const read = (start: number, duration: number) => decodeAudio(SYNC_FIXTURES.speech, { start, duration });

describe('streamedSpeech', () => {
  it('gives, window by window, the curve one read of the whole track gives', async () => {
    const vad = await SileroVad.create();
    try {
      const whole = await vad.detect(await samplesOf(SYNC_FIXTURES.speech), 16_000);
      const windows: [number, number][] = [];
      const { speech, method } = await streamedSpeech(async (s, d) => (windows.push([s, d]), read(s, d)), 92.527, { vad, window: 20 });
      expect(method).toBe('vad-silero');
      // Five windows, each read from 2 s before its start, rounded down to a multiple of 160 ms.
      expect(windows.map(([s]) => Math.round(s * 1000))).toEqual([0, 17_920, 37_920, 57_920, 77_920]);
      expect(speech.step).toBe(whole.step);
      expect(speech.probabilities.length).toBe(Math.ceil(92.527 / 0.01));
      let worst = 0;
      let sum = 0;
      const n = Math.min(speech.probabilities.length, whole.probabilities.length);
      for (let i = 0; i < n; i++) {
        const d = Math.abs(speech.probabilities[i] - whole.probabilities[i]);
        worst = Math.max(worst, d);
        sum += d;
      }
      // Silero's parallel streams differ this much between batch sizes of the same read (about 0.004).
      expect(sum / n).toBeLessThan(0.006);
      expect(worst).toBeLessThan(0.5);
    } finally {
      await vad.close();
    }
  });

  it('finds the offset of late subtitles as the whole-track curve does', async () => {
    const late = mistime(await speechCues(), 3);
    const { speech } = await streamedSpeech(read, 92.527, { window: 30 });
    const r = synchroniseCues(late, speech, { method: 'vad-silero' });
    expect(r.status).toBe('synchronised');
    expect(Math.abs(r.mapping.offset + 3)).toBeLessThan(0.05);
  });

  it('refuses a window that is not a positive length', async () => {
    await expect(streamedSpeech(read, 10, { window: 0 })).rejects.toThrow(/window/);
  });
});
