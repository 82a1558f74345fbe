// Terminal columns of text: what aligns a table whose cells hold Chinese, emoji or accents.
import { describe, expect, it } from 'vitest';
import { displayWidth, padToWidth } from './display-width.js';

describe('displayWidth', () => {
  it('counts wide characters and emoji as two columns, accents and joiners as none', () => {
    expect(displayWidth('name')).toBe(4);
    expect(displayWidth('李华')).toBe(4);
    expect(displayWidth('ｌｉｌｙ')).toBe(8); // fullwidth forms
    expect(displayWidth('👍🏽')).toBe(2); // four UTF-16 units, one picture
    expect(displayWidth('👨‍👩‍👧')).toBe(2);
    expect(displayWidth('🇯🇵')).toBe(2);
    expect(displayWidth('Zoe\u0301')).toBe(3);
    expect(displayWidth('a\u200Bb')).toBe(2);
    expect(displayWidth('Иван')).toBe(4);
    expect(displayWidth('한국어')).toBe(6);
  });

  it('pads to a width in columns', () => {
    expect(padToWidth('李华', 6)).toBe('李华  ');
    expect(padToWidth('Zoe\u0301', 5)).toBe('Zoe\u0301  ');
    expect(padToWidth('toolong', 3)).toBe('toolong');
  });
});
