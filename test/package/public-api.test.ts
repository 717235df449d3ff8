import { describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';
import * as errors from '../../src/core/errors/index.js';

describe('the public API (src/index.ts)', () => {
  it('exports every error class, so callers can catch each failure by its class', () => {
    const classes = Object.entries(errors).filter(([, v]) => typeof v === 'function' && (v === errors.MmalignError || v.prototype instanceof errors.MmalignError));
    expect(classes.length).toBeGreaterThan(30);
    const missing = classes.map(([name]) => name).filter((name) => !(name in api));
    expect(missing).toEqual([]);
  });

  it('exports none of the internals issue 10 found in it', () => {
    const internals = ['checkOnnxFile', 'generatedModelId', 'incomingWins', 'sliceAudio', 'environmentError', 'systemErrorCode', 'mapTime', 'toSyncJson', 'runFfmpeg'];
    expect(internals.filter((name) => name in api)).toEqual([]);
  });

  it('exports only error classes that derive from MmalignError', () => {
    const stray = Object.entries(api)
      .filter(([name, v]) => name.endsWith('Error') && typeof v === 'function')
      .filter(([, v]) => v !== api.MmalignError && !((v as { prototype: unknown }).prototype instanceof api.MmalignError))
      .map(([name]) => name);
    expect(stray).toEqual([]);
  });
});
