import { describe, expect, it } from 'vitest';
import path from 'node:path';
import {
  DiskFullError,
  InputFileError,
  NotWritableError,
  OutputLockedError,
  environmentError,
} from '../../src/core/errors/index.js';
import { acquireLock } from '../../src/core/lock.js';
import { tempDir } from '../helpers/tmp.js';

const errno = (code: string) => Object.assign(new Error(`${code}: boom`), { code });

describe('environmentError', () => {
  it('turns ENOSPC and SQLITE_FULL into a DiskFullError naming the path and the action', () => {
    for (const code of ['ENOSPC', 'SQLITE_FULL']) {
      const e = environmentError(errno(code), '/data/out', 'writing frames');
      expect(e).toBeInstanceOf(DiskFullError);
      expect(e?.message).toContain('/data/out');
      expect(e?.message).toContain('writing frames');
      expect(e?.code).toBe('DISK_FULL');
    }
  });

  it('tells a read-only filesystem from a missing permission', () => {
    const ro = environmentError(errno('EROFS'), '/mnt/kb', 'syncing');
    const denied = environmentError(errno('EACCES'), '/mnt/kb', 'syncing');
    expect(ro).toBeInstanceOf(NotWritableError);
    expect((ro as NotWritableError).readOnly).toBe(true);
    expect((denied as NotWritableError).readOnly).toBe(false);
  });

  it('finds the code in the cause chain of a wrapped error', () => {
    const wrapped = new Error('write failed', { cause: errno('ENOSPC') });
    expect(environmentError(wrapped, '/x', 'writing')).toBeInstanceOf(DiskFullError);
  });

  it('leaves other errors alone, mmalign ones included', () => {
    expect(environmentError(errno('ENOENT'), '/x', 'reading')).toBeNull();
    expect(environmentError(new Error('plain'), '/x', 'reading')).toBeNull();
    expect(environmentError(new InputFileError('/x', 'bad'), '/x', 'reading')).toBeNull();
  });
});

describe('acquireLock with a caller-named error', () => {
  it('throws the error the caller builds, with the holder, when the wait runs out', async () => {
    const dir = tempDir('lock');
    const file = path.join(dir, '.mmalign.lock');
    const held = await acquireLock(file, { purpose: 'align a.mp4' });
    const attempt = acquireLock(file, {
      timeoutMs: 0,
      lockedError: (f, holder, waited) => new OutputLockedError(dir, f, holder, waited),
    });
    await expect(attempt).rejects.toBeInstanceOf(OutputLockedError);
    await expect(attempt).rejects.toThrow(/align a\.mp4/);
    held.release();
  });
});
