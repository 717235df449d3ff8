import { homedir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_VARS, readEnv } from '../../src/core/env.js';

describe('env', () => {
  it("reads each of mmalign's variables into its setting", () => {
    const e = readEnv({ MMALIGN_MODELS: '/m', HF_ENDPOINT: 'https://mirror', XDG_CACHE_HOME: '/c', FFMPEG_PATH: '/f', PATH: `/a${path.delimiter}/b` });
    expect([e.modelsDir, e.remoteHost, e.cacheHome, e.ffmpegPath, e.searchPath]).toEqual(['/m', 'https://mirror', '/c', '/f', ['/a', '/b']]);
  });

  it('treats an empty variable as unset and falls back to the documented default', () => {
    const e = readEnv({ MMALIGN_MODELS: '', XDG_CACHE_HOME: '', PATH: '' });
    expect(e.modelsDir).toBeUndefined();
    expect(e.cacheHome).toBe(path.join(homedir(), '.cache'));
    expect(e.searchPath).toEqual([]);
  });

  it('sees a variable set after it was created', () => {
    const vars: Record<string, string | undefined> = {};
    const e = readEnv(vars);
    vars.MMALIGN_MODELS = '/later';
    expect(e.modelsDir).toBe('/later');
  });

  it('documents every variable it reads', () => {
    expect(Object.keys(ENV_VARS).sort()).toEqual(['FFMPEG_PATH', 'HF_ENDPOINT', 'MMALIGN_MODELS', 'PATH', 'XDG_CACHE_HOME']);
    for (const doc of Object.values(ENV_VARS)) expect(doc.length).toBeGreaterThan(10);
  });
});
