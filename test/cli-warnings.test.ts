import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { cliLogger, printWarnings, type CliIo } from '../src/commands/shared.js';

function capture(): { io: CliIo; stderr: () => string } {
  const err = new PassThrough();
  let text = '';
  err.on('data', (d: Buffer) => (text += d.toString()));
  return { io: { stdout: new PassThrough(), stderr: err }, stderr: () => text };
}

describe('CLI warnings', () => {
  it('prints a notice reached through the logger and the warning list only once per run', () => {
    const { io, stderr } = capture();
    cliLogger(io).warn('execution provider cuda (no NVIDIA device) is unavailable; running on cpu instead.');
    cliLogger(io).warn('execution provider cuda (no NVIDIA device) is unavailable; running on cpu instead.');
    printWarnings(io, [{ message: 'execution provider cuda (no NVIDIA device) is unavailable; running on cpu instead.' }]);
    expect(stderr().match(/^warning: /gm)).toHaveLength(1);
  });

  it('keeps distinct warnings, each naming its file and line', () => {
    const { io, stderr } = capture();
    printWarnings(io, [
      { file: 'a.srt', line: 4, message: 'malformed timestamp; cue skipped' },
      { file: 'a.srt', line: 9, message: 'malformed timestamp; cue skipped' },
    ]);
    expect(stderr()).toBe('warning: a.srt:4: malformed timestamp; cue skipped\nwarning: a.srt:9: malformed timestamp; cue skipped\n');
  });

  it('prints the same notice again for another run', () => {
    const first = capture();
    const second = capture();
    cliLogger(first.io).warn('notice');
    cliLogger(second.io).warn('notice');
    expect(first.stderr()).toBe('warning: notice\n');
    expect(second.stderr()).toBe('warning: notice\n');
  });
});
