/** Subtitle synchronisation: find how cues map onto a video's speech, and move them. */
export { synchroniseCues, referenceSpeech, type SynchroniseOptions, type SubtitleSyncResult, type SyncDiagnostics, type SyncStatus } from './synchronise.js';
export { synchroniseAudio, streamedSpeech, type AudioSamples, type AudioWindowReader, type StreamedSpeechOptions, type SynchroniseAudioOptions } from './audio.js';
export { applyMapping, mapTime, offsetAt, identityMapping, type TimeMapping } from './mapping.js';
export { isSpokenText, spokenCues } from './cues.js';
export { pairCuesWithShots, shotsFromFrames, type ShotPair } from './intervals.js';
export { toSyncJson, type SyncJson } from './report.js';
export { SYNC_DEFAULTS, VAD_DEFAULTS, type SyncTuning } from './defaults.js';
export { NoAudioTrackError, NoSpokenCuesError, SyncNotConfidentError, VadModelError } from '../../src/core/errors/index.js';
export { createVad, resolveVadName, VAD_NAMES, SileroVad, WebRtcVad, type VadName, type VoiceActivityDetector } from './vad/index.js';
export type { SpeechCurve, SyncMapping, SyncMethod, SyncSplit, SyncedCue, Span } from './types.js';
