/**
 * The one file of alignment/subtitles that reaches into the shared core (errors and shared types), so
 * that moving those modules changes one import here and nothing else.
 */
export { InputFileError, InvalidOptionError, OutputError, SubtitleParseError } from '../../src/core/errors/index.js';
export type { Cue, Warning } from '../../src/core/types.js';
export { writeFileAtomic, describeFsError } from '../../src/core/fs.js';
export { SUBTITLE_DEFAULTS } from '../../src/core/defaults.js';
