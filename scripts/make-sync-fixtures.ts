/**
 * Regenerates fixtures/sync/: about 90 s of espeak-ng speech in four voices with its exactly timed
 * SRT (cue start = speech onset, cue end = speech end), 40 s of synthetic music without a voice, and
 * a 2 s video with no audio track. Opus at 12 kbit/s keeps them small enough to commit; tests need
 * neither espeak-ng nor this script. Run with `npm run fixtures:sync`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defaultBinaries } from '../src/core/ffmpeg/index.js';
import { mulberry32 } from '../src/core/random.js';
import { encodeOpus, music, requireEspeak, scratch, speak, SYNTH_RATE, toSrt, type Voice } from './sync-synth.js';

const OUT = resolve(process.argv[2] ?? 'fixtures/sync');

const SENTENCES = [
  'Good evening, and thank you all for coming tonight.',
  'The weather has been strange for the whole week.',
  'I told him to wait by the station until noon.',
  'Nobody knows where the old map was hidden.',
  'We should leave before the roads get too busy.',
  'That is the third time this month the lights went out.',
  'Could you pass me the blue folder on the desk?',
  'She learned to play the violin when she was seven.',
  'The train to the coast leaves every forty minutes.',
  'Honestly, I never expected the plan to work.',
  'Keep the door closed, the cat keeps escaping.',
  'They built the bridge in less than two years.',
  'Remember to call your brother on Sunday.',
  'After the storm, the whole village helped to rebuild.',
  'I think we took a wrong turn somewhere.',
  'The museum opens at nine on weekdays.',
  'Her letter arrived three days after she left.',
  'Please write your name at the top of the page.',
  'We ran out of coffee early this morning.',
  'The children were laughing in the garden.',
  'He fixed the engine with a piece of wire.',
  'Let us meet again when the summer is over.',
  'Every answer leads to another question.',
  'The lake freezes over in the middle of winter.',
  'Thank you, that will be all for today.',
];
const VOICES: readonly Voice[] = [
  { voice: 'en-us', speed: 165 },
  { voice: 'en-gb', speed: 150, pitch: 40 },
  { voice: 'en-us+f3', speed: 175 },
  { voice: 'en-gb-scotland', speed: 155, pitch: 60 },
];
/** After this sentence comes a 4 s pause: where tests insert a stretch. */
export const LONG_PAUSE_AFTER = 12;

function main(): void {
  requireEspeak();
  mkdirSync(OUT, { recursive: true });
  const rand = mulberry32(13);
  const work = scratch();
  try {
    const parts: { at: number; pcm: Float32Array; text: string }[] = [];
    let t = 1.5;
    SENTENCES.forEach((text, i) => {
      const pcm = speak(text, VOICES[i % VOICES.length], work.dir);
      parts.push({ at: t, pcm, text });
      t += pcm.length / SYNTH_RATE + (i === LONG_PAUSE_AFTER ? 4 : 0.5 + 1.5 * rand());
    });
    const track = new Float32Array(Math.ceil((t + 1) * SYNTH_RATE));
    const cues = parts.map(({ at, pcm, text }) => {
      const from = Math.round(at * SYNTH_RATE);
      track.set(pcm, from);
      return { start: from / SYNTH_RATE, end: (from + pcm.length) / SYNTH_RATE, text };
    });
    encodeOpus(track, join(OUT, 'speech.ogg'));
    writeFileSync(join(OUT, 'speech.srt'), toSrt(cues));
    encodeOpus(music(40, 7), join(OUT, 'music.ogg'));
    execFileSync(defaultBinaries().ffmpeg.path, [
      '-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=gray:s=64x64:r=5:d=2',
      '-c:v', 'mpeg4', '-q:v', '10', '-an', '-map_metadata', '-1', '-fflags', '+bitexact', join(OUT, 'video-only.mp4'),
    ]);
    process.stdout.write(`wrote ${OUT}: speech.ogg (${t.toFixed(1)} s, ${cues.length} cues), music.ogg, video-only.mp4\n`);
  } finally {
    work.dispose();
  }
}

main();
