/**
 * The defaults of subtitle synchronisation. They are written once, in src/core/defaults.ts, with
 * every other default of mmalign; this module re-exports them for the sync code next to it.
 */
export { GATE_DEFAULTS, NTSC_FILM_FPS, SYNC_DEFAULTS, VAD_DEFAULTS, type GateTuning, type SyncTuning } from '../../src/core/defaults.js';
