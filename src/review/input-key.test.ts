// Inputs that differ only in Unicode form or whitespace are one input when queue items and dataset rows
// are matched, so a test input sent again decomposed is a duplicate, not a new train row.
import { describe, expect, it } from 'vitest';
import { inputKey } from './input-key.js';

describe('inputKey', () => {
  it('matches composed and decomposed text, and text differing only in whitespace', () => {
    expect(inputKey({ input: 'Zoe\u0301 went home' })).toBe(inputKey({ input: 'Zoé went home' }));
    expect(inputKey({ input: ' Zoé  went\nhome ' })).toBe(inputKey({ input: 'Zoé went home' }));
    expect(inputKey({ input: 'Zoe went home' })).not.toBe(inputKey({ input: 'Zoé went home' }));
  });
});
