/**
 * The one file of alignment/subtitles that reaches into the shared core (errors and shared types), so
 * that moving those modules changes one import here and nothing else.
 */
export { InputFileError, InvalidOptionError, OutputError, SubtitleParseError } from '../../src/errors.js';
export type { Cue, Warning } from '../../src/types.js';
