import { describe, expect, it } from 'vitest';
import { isSpokenText, spokenCues } from '../../../alignment/sync/cues.js';

describe('isSpokenText', () => {
  it.each([
    '[MUSIC]',
    '[music playing]',
    '(laughs)',
    '♪ Hey Jude, don\'t make it bad ♪',
    '♪♪',
    '# Dancing in the moonlight #',
    'JOHN: (sighs)',
    '- [door slams]\n- (thunder)',
    '*sighs*',
    '...',
  ])('treats %j as unspoken', (text) => {
    expect(isSpokenText(text)).toBe(false);
  });

  it.each([
    'Hello there.',
    '(laughs) No way!',
    'JOHN: Where were you?',
    '- Who is it?\n- It\'s me.',
    'I\'m your #1 fan.',
    '[whispering] Over here.',
    '42',
  ])('treats %j as spoken', (text) => {
    expect(isSpokenText(text)).toBe(true);
  });
});

describe('spokenCues', () => {
  it('keeps spoken cues with a positive length, in start order', () => {
    const cues = [
      { index: 1, start: 5, end: 6, text: 'Second.' },
      { index: 2, start: 1, end: 2, text: '[MUSIC]' },
      { index: 3, start: 2, end: 3, text: 'First.' },
      { index: 4, start: 4, end: 4, text: 'Zero length.' },
    ];
    expect(spokenCues(cues).map((c) => c.index)).toEqual([3, 1]);
  });
});
