import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { VadModelError } from '../../../src/core/errors/index.js';
import { SpeechScorer } from '../../../alignment/sync/signal.js';
import { SYNC_DEFAULTS } from '../../../alignment/sync/defaults.js';
import { createVad, resolveVadName } from '../../../alignment/sync/vad/index.js';
import { SileroVad } from '../../../alignment/sync/vad/silero.js';
import { removeBaseline, WebRtcVad } from '../../../alignment/sync/vad/webrtc.js';
import type { SpeechCurve } from '../../../alignment/sync/types.js';
import type { Cue } from '../../../src/core/types.js';
import { samplesOf, speechCues, SYNC_FIXTURES } from '../../helpers/sync.js';
import { tempDir } from '../../helpers/tmp.js';

let samples: Float32Array;
let cues: Cue[];
const tmp = (): string => tempDir('sync');

beforeAll(async () => {
  samples = await samplesOf(SYNC_FIXTURES.speech);
  cues = await speechCues();
});

/** Mean P(speech) inside the cues and outside them. */
function contrast(curve: SpeechCurve): { inside: number; outside: number } {
  const s = new SpeechScorer(curve, SYNC_DEFAULTS);
  let speech = 0;
  let length = 0;
  for (const c of cues) {
    speech += s.speech(c.start, c.end);
    length += c.end - c.start;
  }
  return { inside: speech / length, outside: (s.speech(0, s.end) - speech) / (s.end - length) };
}

describe('SileroVad', () => {
  it('hears the fixture speech inside its cues and silence between them, on a 10 ms grid', async () => {
    const vad = await SileroVad.create();
    const curve = await vad.detect(samples, 16_000);
    await vad.close();
    expect(curve.step).toBe(0.01);
    expect(curve.probabilities.length).toBe(Math.ceil(samples.length / 160));
    const { inside, outside } = contrast(curve);
    expect(inside).toBeGreaterThan(0.9);
    expect(outside).toBeLessThan(0.1);
  });

  it('gives nearly the same probabilities as one sequential pass when run as parallel streams', async () => {
    const vad = await SileroVad.create();
    const sequential = await vad.windowProbabilities(samples, { batch: 1 });
    const batched = await vad.windowProbabilities(samples, { batch: 16 });
    await vad.close();
    let sum = 0;
    let close = 0;
    for (let i = 0; i < sequential.length; i++) {
      const d = Math.abs(sequential[i] - batched[i]);
      sum += d;
      if (d < 0.1) close++;
    }
    // The LSTM state remembers more than the 1 s warm-up, so a few windows differ; the curve does not.
    expect(sum / sequential.length).toBeLessThan(0.02);
    expect(close / sequential.length).toBeGreaterThan(0.97);
  });

  it('wants 16 kHz audio', async () => {
    const vad = await SileroVad.create();
    await expect(vad.detect(samples, 8000)).rejects.toThrow(/16000/);
    await vad.close();
  });

  it('says what to do when the model file is not a model', async () => {
    const bad = join(tmp(), 'not-a-model.onnx');
    writeFileSync(bad, 'hello');
    await expect(SileroVad.create({ modelPath: bad })).rejects.toThrow(VadModelError);
    await expect(SileroVad.create({ modelPath: join(tmp(), 'missing.onnx') })).rejects.toThrow(/cannot be read.*--vad webrtc/);
  });
});

describe('WebRtcVad', () => {
  it('hears the fixture speech inside its cues', async () => {
    const vad = await WebRtcVad.create();
    const { inside, outside } = contrast(await vad.detect(samples, 16_000));
    expect(inside).toBeGreaterThan(0.9);
    expect(outside).toBeLessThan(0.2);
  });

  it('removes a steady "speech" level that never drops, keeping real pauses', () => {
    const votes = new Float32Array(6000).map((_, i) => (i % 300 < 150 ? 1 : 0.75));
    removeBaseline(votes, 4);
    expect(votes[10]).toBe(1);
    expect(votes[200]).toBe(0);
    const paused = new Float32Array(6000).map((_, i) => (i % 300 < 150 ? 1 : 0));
    const copy = Float32Array.from(paused);
    removeBaseline(paused, 4);
    expect(Array.from(paused)).toEqual(Array.from(copy));
  });
});

describe('the VAD registry', () => {
  it('creates each detector by name', async () => {
    for (const name of ['silero', 'webrtc']) {
      const vad = await createVad(name);
      expect(vad.name).toBe(name);
      await vad.close();
    }
  });

  it('lists the valid names for an unknown one', () => {
    expect(() => resolveVadName('pyannote')).toThrow(/one of silero, webrtc/);
  });
});
