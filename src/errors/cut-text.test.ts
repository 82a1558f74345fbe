// Cutting text for columns and excerpts keeps every user-perceived character whole.
import { describe, expect, it } from 'vitest';
import { cutText } from './cut-text.js';

describe('cutText', () => {
  it('leaves text that fits as it is', () => {
    expect(cutText('李华 👍🏽', 10)).toBe('李华 👍🏽');
  });

  it('cuts between graphemes, with the ellipsis inside the length', () => {
    expect(cutText('abcdef', 4)).toBe('abc…');
    expect(cutText('ab👍🏽cd', 4)).toBe('ab…'); // 👍🏽 is four units: kept whole or left out
    expect(cutText('ab👍🏽cd', 7)).toBe('ab👍🏽…');
    expect(cutText('Zoe\u0301 and Ann', 4)).toBe('Zo…'); // e and its accent stay together
    expect(cutText('🇯🇵🇯🇵', 6)).toBe('🇯🇵…');
    expect(cutText('👨‍👩‍👧 family', 5)).toBe('…');
  });
});
