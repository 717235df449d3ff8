import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { DEVICE_PROVIDERS } from '../../encoders/device.js';
import { buildProgram } from '../../src/cli.js';
import { ALIGN_DEFAULTS, DEFAULT_DEVICE } from '../../src/core/defaults.js';
import { captureIo } from '../helpers/cli.js';

function commands(cmd: Command): Command[] {
  return [cmd, ...cmd.commands.flatMap(commands)];
}

function path(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

describe('defaults', () => {
  it('cannot be changed at run time', () => {
    expect(Object.isFrozen(ALIGN_DEFAULTS)).toBe(true);
    expect(() => Object.assign(ALIGN_DEFAULTS, { fps: 5 })).toThrow(TypeError);
  });

  it('are what `mmalign align` defaults to, option by option', () => {
    const align = buildProgram(captureIo()).commands.find((c) => c.name() === 'align')!;
    // Before parsing, an option's value is its default (for --no-embed: true).
    for (const [name, value] of Object.entries(ALIGN_DEFAULTS)) expect([name, align.getOptionValue(name)]).toEqual([name, value]);
  });

  it('give every command with --device the device names of DEVICE_PROVIDERS, defaulting to the same one', () => {
    const withDevice = commands(buildProgram(captureIo())).flatMap((c) => c.options.filter((o) => o.long === '--device').map((o) => ({ cmd: path(c), o })));
    expect(withDevice.length).toBeGreaterThanOrEqual(5);
    for (const { cmd, o } of withDevice) {
      expect([cmd, o.argChoices]).toEqual([cmd, Object.keys(DEVICE_PROVIDERS)]);
      expect([cmd, o.defaultValue]).toEqual([cmd, DEFAULT_DEVICE]);
    }
  });
});
