/**
 * Kept so `../alignment/subtitles.js` imports elsewhere keep working while they move to
 * `alignment/subtitles/index.js` (or `alignment/index.js`); the code lives in alignment/subtitles/.
 */
export * from './subtitles/index.js';
