// Repeatable options read from the raw arguments (citty keeps only the last value of a repeated one).
import { describe, expect, it } from 'vitest';
import { repeatedOption } from './options.js';

describe('repeatedOption', () => {
  it('collects every value in order, in both spellings, and stops at --', () => {
    const raw = [
      '--set',
      'a',
      '--limit',
      '3',
      '--set=b,c',
      '--settle',
      'x',
      '--set',
      'd',
      '--',
      '--set',
      'e',
    ];
    expect(repeatedOption(raw, 'set')).toEqual(['a', 'b,c', 'd']);
    expect(repeatedOption(['--set'], 'set')).toEqual([]);
    expect(repeatedOption([], 'stop')).toEqual([]);
  });
});
