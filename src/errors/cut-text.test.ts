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

  it('cuts where segmenting the whole text would, around long text too', () => {
    const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
    const whole = (text: string, length: number) => {
      let end = 0;
      for (const { index, segment } of segmenter.segment(text)) {
        if (index + segment.length > length - 1) break;
        end = index + segment.length;
      }
      return `${text.slice(0, end)}…`;
    };
    const pieces = ['a', ' ', 'é', 'e\u0301', '👍🏽', '👨‍👩‍👧', '🇯🇵', '李', '\r\n', 'x\u0301\u0302\u0303'];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let trial = 0; trial < 500; trial++) {
      const text = Array.from({ length: 40 + (next() % 200) }, () => pieces[next() % pieces.length]).join('');
      const length = 2 + (next() % text.length);
      if (text.length > length) expect(cutText(text, length)).toBe(whole(text, length));
    }
  });
});
