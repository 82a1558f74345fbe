// The bias audit's flipped answers in the terminal: cut where they differ, so answers that differ print
// differently.
import { describe, expect, it } from 'vitest';
import { differingExcerpts } from './audit-text.js';

describe('differingExcerpts', () => {
  it('cuts answers that share a long start where they part', () => {
    const start = 'Once upon a time there was a little girl who liked to play, and her name was';
    expect(differingExcerpts([`${start} Lily.`, `${start} Tom.`])).toEqual([
      '… name was Lily.',
      '… name was Tom.',
    ]);
  });

  it('keeps answers from their start when they part early, cut to the width', () => {
    expect(differingExcerpts([' girl', ' boy'])).toEqual([' girl', ' boy']);
    expect(differingExcerpts(['a'.repeat(50), 'b'.repeat(50)], 10)).toEqual(['a'.repeat(10), 'b'.repeat(10)]);
    // identical answers (a score flip without a text flip) stay whole at their start
    expect(differingExcerpts(['same', 'same'])).toEqual(['same', 'same']);
  });
});
