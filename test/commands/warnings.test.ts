import { describe, expect, it } from 'vitest';
import { cliLogger, printWarnings } from '../../src/commands/shared.js';
import { captureIo } from '../helpers/cli.js';

describe('CLI warnings', () => {
  it('prints a notice reached through the logger and the warning list only once per run', () => {
    const io = captureIo();
    const stderr = io.err;
    cliLogger(io).warn('execution provider cuda (no NVIDIA device) is unavailable; running on cpu instead.');
    cliLogger(io).warn('execution provider cuda (no NVIDIA device) is unavailable; running on cpu instead.');
    printWarnings(io, [{ message: 'execution provider cuda (no NVIDIA device) is unavailable; running on cpu instead.' }]);
    expect(stderr().match(/^warning: /gm)).toHaveLength(1);
  });

  it('keeps distinct warnings, each naming its file and line', () => {
    const io = captureIo();
    const stderr = io.err;
    printWarnings(io, [
      { file: 'a.srt', line: 4, message: 'malformed timestamp; cue skipped' },
      { file: 'a.srt', line: 9, message: 'malformed timestamp; cue skipped' },
    ]);
    expect(stderr()).toBe('warning: a.srt:4: malformed timestamp; cue skipped\nwarning: a.srt:9: malformed timestamp; cue skipped\n');
  });

  it('prints the same notice again for another run', () => {
    const first = captureIo();
    const second = captureIo();
    cliLogger(first).warn('notice');
    cliLogger(second).warn('notice');
    expect(first.err()).toBe('warning: notice\n');
    expect(second.err()).toBe('warning: notice\n');
  });
});
