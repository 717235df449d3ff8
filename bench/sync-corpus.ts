/**
 * The generated corpus of `npm run bench:sync`: five-minute cases of espeak-ng speech with exactly
 * known onsets, under noise or music, whose subtitles are shifted, stretched and cut the ways real
 * files are. Cached under bench/.data/sync/ (regenerated when a case's spec changes). Needs
 * espeak-ng to generate, not to rerun from the cache.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32 } from '../src/core/random.js';
import { NTSC_FILM_FPS } from '../alignment/sync/defaults.js';
import { encodeOpus, music, noise, requireEspeak, rms, scratch, speak, SYNTH_RATE, toSrt, type Voice } from '../scripts/sync-synth.js';

export const CORPUS_DIR = 'bench/.data/sync';

export interface CaseSpec {
  name: string;
  seed: number;
  voices: readonly Voice[];
  /** Pause between utterances, seconds. */
  gaps: readonly [number, number];
  bed: 'none' | 'noise' | 'music';
  /** Speech over bed, dB. */
  snr: number;
  /** Subtitle time = source time × ratio + offset. */
  offset: number;
  ratio: number;
  /** Stretches in the video that the subtitles do not have: at source time, length, what is heard. */
  inserts: readonly { at: number; length: number; fill: 'music' | 'speech' }[];
  /** Starts 0.05-0.35 s early, ends 0.1-0.6 s late, as people time cues; else exact. */
  human: boolean;
  /** Music-only stretches with a [MUSIC] or ♪ cue. */
  musicCues: number;
}

const S = 160;
const US: Voice = { voice: 'en-us', speed: S };
const GB: Voice = { voice: 'en-gb', speed: 150, pitch: 40 };
const F3: Voice = { voice: 'en-us+f3', speed: 170 };
const SC: Voice = { voice: 'en-gb-scotland', speed: 155, pitch: 60 };
const RP: Voice = { voice: 'en-gb-x-rp+m3', speed: 185 };
const FAST: Voice = { voice: 'en-us+m2', speed: 210 };
const SLOW: Voice = { voice: 'en-us+f2', speed: 125, pitch: 70 };
const PAL = NTSC_FILM_FPS / 25;

/** The cases: correct input, offsets, framerate stretches, inserted stretches, and mixes of them. */
export const CASES: readonly CaseSpec[] = [
  { name: 'correct-exact', seed: 1, voices: [US], gaps: [0.4, 2.5], bed: 'none', snr: 99, offset: 0, ratio: 1, inserts: [], human: false, musicCues: 1 },
  { name: 'correct-human', seed: 2, voices: [GB, F3], gaps: [0.3, 2.5], bed: 'noise', snr: 20, offset: 0, ratio: 1, inserts: [], human: true, musicCues: 1 },
  { name: 'offset+2.5-noise10', seed: 3, voices: [US, SC], gaps: [0.3, 2.5], bed: 'noise', snr: 10, offset: 2.5, ratio: 1, inserts: [], human: true, musicCues: 1 },
  { name: 'offset-12.8-music', seed: 4, voices: [F3, RP], gaps: [0.3, 2.5], bed: 'music', snr: 10, offset: -12.8, ratio: 1, inserts: [], human: true, musicCues: 2 },
  { name: 'offset+25-fast', seed: 5, voices: [FAST], gaps: [0.2, 1.5], bed: 'noise', snr: 15, offset: 25, ratio: 1, inserts: [], human: true, musicCues: 1 },
  { name: 'offset-25-slow-noise5', seed: 6, voices: [SLOW, GB], gaps: [0.3, 2.5], bed: 'noise', snr: 5, offset: -25, ratio: 1, inserts: [], human: true, musicCues: 1 },
  { name: 'ratio-25/23.976', seed: 7, voices: [US, F3], gaps: [0.3, 2.5], bed: 'noise', snr: 15, offset: 0, ratio: 1 / PAL, inserts: [], human: true, musicCues: 1 },
  { name: 'ratio-23.976/25+4.2-music', seed: 8, voices: [SC, RP], gaps: [0.3, 2.5], bed: 'music', snr: 12, offset: 4.2, ratio: PAL, inserts: [], human: true, musicCues: 1 },
  { name: 'insert-20s-music', seed: 9, voices: [US, GB], gaps: [0.3, 2.5], bed: 'none', snr: 99, offset: 0, ratio: 1, inserts: [{ at: 150, length: 20, fill: 'music' }], human: true, musicCues: 1 },
  { name: 'insert-35s-ad+3', seed: 10, voices: [F3, SC], gaps: [0.3, 2.5], bed: 'noise', snr: 15, offset: 3, ratio: 1, inserts: [{ at: 100, length: 35, fill: 'speech' }], human: true, musicCues: 1 },
  { name: 'two-inserts-12s+28s-6', seed: 11, voices: [RP, US], gaps: [0.3, 2.5], bed: 'noise', snr: 12, offset: -6, ratio: 1, inserts: [{ at: 80, length: 12, fill: 'music' }, { at: 190, length: 28, fill: 'speech' }], human: true, musicCues: 1 },
  { name: 'insert-40s+ratio+8.4', seed: 12, voices: [GB, F3], gaps: [0.3, 2.5], bed: 'music', snr: 12, offset: 8.4, ratio: 1 / PAL, inserts: [{ at: 120, length: 40, fill: 'music' }], human: true, musicCues: 1 },
  { name: 'music-cues+1.7', seed: 13, voices: [US, SC], gaps: [0.3, 2.5], bed: 'music', snr: 10, offset: 1.7, ratio: 1, inserts: [], human: true, musicCues: 6 },
  { name: 'dialogue-tight-3.3', seed: 14, voices: [US, F3, GB, SLOW], gaps: [0.15, 0.8], bed: 'noise', snr: 15, offset: -3.3, ratio: 1, inserts: [], human: true, musicCues: 1 },
];

const WORDS = (
  'the a we you they it that this what where when why how time people year way day man woman child world life hand part place case week ' +
  'company system program question work government number night point home water room mother area money story fact month lot right study ' +
  'book eye job word business issue side kind head house service friend father power hour game line end member law car city community name ' +
  'president team minute idea body information back parent face others level office door health person art war history party result change ' +
  'morning reason research girl guy moment air teacher force education is was are have do say get make go know take see come think look want ' +
  'give use find tell ask seem feel try leave call good new first last long great little own other old big high different small large next ' +
  'early young important few public bad same able never always really maybe tonight tomorrow yesterday again please sorry thanks okay listen'
).split(/\s+/);

export interface CaseTruth {
  spec: CaseSpec;
  duration: number;
  /** Per cue of subs.srt, in order: its true speech onset in the video, or null for [MUSIC] cues. */
  onsets: (number | null)[];
  /** ...and where that speech ends. */
  ends: (number | null)[];
}

function sentence(rand: () => number): string {
  const n = 4 + Math.floor(rand() * 11);
  const words = Array.from({ length: n }, () => WORDS[Math.floor(rand() * WORDS.length)]);
  words[0] = words[0][0].toUpperCase() + words[0].slice(1);
  return words.join(' ') + (rand() < 0.2 ? '?' : '.');
}

function mix(into: Float32Array, x: Float32Array, at: number, gain = 1): void {
  const from = Math.round(at * SYNTH_RATE);
  for (let i = 0; i < x.length && from + i < into.length; i++) if (from + i >= 0) into[from + i] += gain * x[i];
}

/** Builds one case: video.ogg, subs.srt and truth.json in `dir`. */
function generate(spec: CaseSpec, dir: string): void {
  const rand = mulberry32(spec.seed * 7919);
  const work = scratch();
  try {
    const DURATION = 300;
    // 1. The source programme: utterances and [MUSIC] stretches, in source time.
    type Item = { at: number; pcm: Float32Array; text: string } | { at: number; length: number; music: true; text: string };
    const items: Item[] = [];
    const extra = spec.inserts.reduce((s, x) => s + x.length, 0);
    const sourceEnd = DURATION - extra - 3;
    const musicAt = new Set(Array.from({ length: spec.musicCues }, (_, i) => Math.floor(((i + 0.5) / spec.musicCues) * 60)));
    let t = 1 + rand() * 2;
    for (let k = 0; t < sourceEnd - 6; k++) {
      if (musicAt.has(k)) {
        const length = 6 + rand() * 4;
        items.push({ at: t, length, music: true, text: rand() < 0.5 ? '[MUSIC]' : '\u266a instrumental \u266a' });
        t += length + 0.5;
        continue;
      }
      const pcm = speak(sentence(rand), spec.voices[k % spec.voices.length], work.dir);
      if (t + pcm.length / SYNTH_RATE > sourceEnd) break;
      items.push({ at: t, pcm, text: '' });
      t += pcm.length / SYNTH_RATE + spec.gaps[0] + rand() * (spec.gaps[1] - spec.gaps[0]);
    }
    // Inserts go into the gap before the first item at or after their source time.
    const inserts = spec.inserts.map((x) => {
      const next = items.find((it) => it.at >= x.at);
      return { ...x, at: next ? next.at - 0.2 : x.at };
    });
    const videoOf = (s: number): number => s + inserts.filter((x) => x.at <= s).reduce((a, x) => a + x.length, 0);

    // 2. The video's audio: speech at video times, the bed under it, the inserts' own sound.
    const track = new Float32Array(DURATION * SYNTH_RATE);
    let speechRms = 0;
    for (const it of items) {
      if ('pcm' in it) {
        mix(track, it.pcm, videoOf(it.at));
        speechRms = Math.max(speechRms, rms(it.pcm));
      } else {
        mix(track, music(it.length, spec.seed + Math.round(it.at)), videoOf(it.at), 1.5);
      }
    }
    for (const x of inserts) {
      if (x.fill === 'music') mix(track, music(x.length, spec.seed + 99), videoOf(x.at - 0.001), 1.5);
      else {
        // An advert: speech nobody subtitled.
        let u = 0.5;
        while (u < x.length - 3) {
          const pcm = speak(sentence(rand), FAST_AD, work.dir);
          if (u + pcm.length / SYNTH_RATE > x.length - 0.3) break;
          mix(track, pcm, videoOf(x.at - 0.001) + u);
          u += pcm.length / SYNTH_RATE + 0.4;
        }
      }
    }
    const bedGain = speechRms * 10 ** (-spec.snr / 20);
    if (spec.bed === 'noise') mix(track, noise(DURATION, spec.seed, bedGain), 0);
    if (spec.bed === 'music') {
      const m = music(DURATION, spec.seed + 5);
      mix(track, m, 0, bedGain / Math.max(1e-6, rms(m)));
    }
    let peak = 0;
    for (const v of track) peak = Math.max(peak, Math.abs(v));
    if (peak > 0.99) for (let i = 0; i < track.length; i++) track[i] *= 0.99 / peak;

    // 3. The subtitles: human or exact timing in source time, then shifted and stretched.
    const timed = items.map((it, i) => {
      const speech = 'pcm' in it;
      const length = 'pcm' in it ? it.pcm.length / SYNTH_RATE : it.length;
      let start = it.at;
      let end = it.at + length;
      if (spec.human && speech) {
        start -= 0.05 + 0.3 * rand();
        end += 0.1 + 0.5 * rand();
        const next = items[i + 1];
        if (next) end = Math.min(end, next.at - 0.4); // the next cue's early start must still fit
      }
      const onset = speech ? videoOf(it.at) : null;
      return { start, end, speech, text: speech ? '' : it.text, onset, speechEnd: onset === null ? null : onset + length };
    });
    for (let i = 1; i < timed.length; i++) timed[i].start = Math.max(timed[i].start, timed[i - 1].end + 0.04);
    const cues: { start: number; end: number; text: string }[] = [];
    const onsets: (number | null)[] = [];
    const ends: (number | null)[] = [];
    for (const c of timed) {
      const start = c.start * spec.ratio + spec.offset;
      if (start < 0) continue; // before the file's start: such a cue is not in a real file either
      cues.push({ start, end: c.end * spec.ratio + spec.offset, text: c.speech ? `Line ${cues.length + 1} of the dialogue.` : c.text });
      onsets.push(c.onset);
      ends.push(c.speechEnd);
    }
    encodeOpus(track, join(dir, 'video.ogg'), { bitrate: '24k' });
    writeFileSync(join(dir, 'subs.srt'), toSrt(cues));
    const truth: CaseTruth = { spec, duration: DURATION, onsets, ends };
    writeFileSync(join(dir, 'truth.json'), JSON.stringify(truth));
  } finally {
    work.dispose();
  }
}

const FAST_AD: Voice = { voice: 'en-us+m7', speed: 200, pitch: 80 };

/** The case's folder, generated first if missing or made from another spec. */
export function ensureCase(spec: CaseSpec, log: (s: string) => void): { dir: string; truth: CaseTruth } {
  const dir = join(CORPUS_DIR, spec.name.replace(/[^\w.+-]/g, '_'));
  const truthFile = join(dir, 'truth.json');
  if (existsSync(truthFile)) {
    const truth = JSON.parse(readFileSync(truthFile, 'utf8')) as CaseTruth;
    if (JSON.stringify(truth.spec) === JSON.stringify(spec) && existsSync(join(dir, 'video.ogg'))) return { dir, truth };
  }
  requireEspeak();
  log(`generating ${spec.name} (espeak-ng)...\n`);
  mkdirSync(dir, { recursive: true });
  generate(spec, dir);
  return { dir, truth: JSON.parse(readFileSync(truthFile, 'utf8')) as CaseTruth };
}
