/** Wrong command-line or API usage (CLI exit status 2). */
import { MmalignError } from './base.js';

/** Wrong command-line or API usage: a missing flag, two flags that exclude each other. */
export class UsageError extends MmalignError {
  constructor(message: string) {
    super(message, { code: 'USAGE', exitCode: 2 });
  }
}

/** An option value that is out of range or of the wrong kind, caught when the config is built. */
export class InvalidOptionError extends MmalignError {
  readonly option: string;
  readonly value: unknown;
  constructor(option: string, value: unknown, expected: string) {
    super(`Invalid value for ${option}: ${JSON.stringify(value)}. Expected ${expected}.`, {
      code: 'INVALID_OPTION',
      exitCode: 2,
    });
    this.option = option;
    this.value = value;
  }
}
