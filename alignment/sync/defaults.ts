/**
 * Every default of subtitle synchronisation, written once. The lead moves these into
 * src/core/defaults.ts; until then this module is the one place they live.
 */

/** NTSC film rate, exactly 24000/1001, which release notes round to 23.976. */
export const NTSC_FILM_FPS = 24000 / 1001;

/** Every tunable of the synchronisation search and gate. */
export interface SyncTuning {
  step: number;
  searchStep: number;
  maxOffset: number;
  onsetWeight: number;
  onsetWindow: number;
  gapWeight: number;
  maxGap: number;
  ratios: readonly number[];
  ratioMargin: number;
  fineRatioSpan: number;
  fineRatioMargin: number;
  splitPenalty: number;
  splitGridSize: number;
  splitChanceFactor: number;
  deadZone: number;
  minConfidence: number;
  minGain: number;
  reportStep: number;
  reportDecimateAfter: number;
}

export const SYNC_DEFAULTS: Readonly<SyncTuning> = Object.freeze({
  /** Grid of the speech and cue signals, seconds (the VAD curve is soft, one value per step). */
  step: 0.01,
  /** Grid of the FFT offset search, seconds; the offset is refined on `step` afterwards. */
  searchStep: 0.04,
  /** Largest offset searched either way, seconds (`--max-offset`). */
  maxOffset: 60,
  /**
   * Weight, in seconds of agreement, of "speech begins where the cue begins". The overlap term alone
   * is flat while a cue is wider than its speech (cues lead by 0.05-0.35 s and linger); this term
   * puts cue starts on speech onsets.
   */
  onsetWeight: 0.6,
  /** Half-width of the onset detector (mean speech after minus before the cue start), seconds. */
  onsetWindow: 0.2,
  /**
   * Weight of "nobody speaks in the gap before a cue". Without it a run of cues fits continuous
   * uncued speech (an advert in an inserted stretch) as well as its own dialogue.
   */
  gapWeight: 0.5,
  /** Longest gap before a cue that is scored as silence, seconds (longer pauses may hold uncued sound). */
  maxGap: 2,
  /**
   * Framerate ratios tried besides 1 (subtitle time × ratio = video time): 25 fps vs 24 and
   * 23.976, 24 vs 23.976, each way.
   */
  ratios: Object.freeze([
    25 / 24, 24 / 25, 25 / NTSC_FILM_FPS, NTSC_FILM_FPS / 25, 24 / NTSC_FILM_FPS, NTSC_FILM_FPS / 24,
  ]),
  /**
   * A ratio other than 1 must beat ratio 1 by this share of the spoken cue time (normalised score),
   * so a correctly timed file is never stretched.
   */
  ratioMargin: 0.05,
  /** The fine ratio search spans ±this relative change around the best candidate. */
  fineRatioSpan: 0.003,
  /** ...and must beat that candidate by this normalised score to be taken. */
  fineRatioMargin: 0.02,
  /** Cost of one split in the dynamic programme, in seconds of agreement. */
  splitPenalty: 6,
  /** Each split must gain this many times what one split gains on the speech played backwards (chance). */
  splitChanceFactor: 1.5,
  /** Most offsets the split search keeps per cue; wider --max-offset coarsens its grid. */
  splitGridSize: 12_001,
  /** Mappings that move no cue by more than this are "already in sync", seconds. */
  deadZone: 0.1,
  /** Below this confidence the mapping is not applied. */
  minConfidence: 0.5,
  /** The mapping must beat the original timing by this normalised score to be applied. */
  minGain: 0.02,
  /** Long videos get their speech curve decimated to this step in sync.json, seconds. */
  reportStep: 0.05,
  /** ...when longer than this, seconds. */
  reportDecimateAfter: 1800,
});

export const VAD_DEFAULTS = Object.freeze({
  sampleRate: 16_000,
  /** Silero v5 window at 16 kHz and the context the model expects before it (samples). */
  sileroWindow: 512,
  sileroContext: 64,
  /** Parallel streams run as one batch; each needs its own LSTM state. */
  sileroMaxBatch: 256,
  /** Windows each stream runs before its own segment so its state has settled (32 ms each). */
  sileroWarmup: 32,
  /** Streams are made no shorter than this many times the warm-up, so warm-up costs ≤ 1/8. */
  sileroMinStreamFactor: 8,
  /**
   * The Silero curve is read this many seconds early: a window's probability rises a little after the
   * speech onset. Measured on fixtures/sync: with 15 ms the exactly timed cues fit at +4 ms (0 ms: +19).
   */
  sileroLatency: 0.015,
  webrtcLatency: 0.0,
  /** libfvad aggressiveness modes averaged into a soft probability (0 = least, 3 = most). */
  webrtcModes: Object.freeze([0, 1, 2, 3]),
  /** Window (seconds) and quantile of the running "no speech" level removed from the WebRTC curve. */
  webrtcBaselineWindow: 20,
  webrtcBaselineQuantile: 0.05,
});

/** How confidence is read off the fit (see alignment/sync/gate.ts). */
export interface GateTuning {
  contrastFloor: number;
  contrastSpan: number;
  supportFloor: number;
  supportSpan: number;
}

export const GATE_DEFAULTS: Readonly<GateTuning> = Object.freeze({
  /** Speech-in-cues minus speech-elsewhere that counts as no evidence, and the span to full evidence. */
  contrastFloor: 0.1,
  contrastSpan: 0.3,
  /** Share of cues agreeing with the mapping on their own that counts as chance, and the span to full. */
  supportFloor: 0.3,
  supportSpan: 0.3,
});
