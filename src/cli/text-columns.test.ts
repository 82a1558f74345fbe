// Aligned columns line up on a terminal whatever the script of their cells.
import { describe, expect, it } from 'vitest';
import { displayWidth } from '../errors/index.js';
import { textColumns } from './text-columns.js';

describe('textColumns', () => {
  it('aligns cells of wide characters, emoji and accents by the columns they take', () => {
    const lines = textColumns([
      ['task', 'label', 'n'],
      ['名字', 'production', '1'],
      ['zoe\u0301', '👍🏽', '2'],
      ['plain', 'x', '3'],
    ]).split('\n');
    // the last column starts at the same terminal column on every line
    const starts = lines
      .filter(Boolean)
      .map((line) => displayWidth(line.slice(0, line.lastIndexOf(' ') + 1)));
    expect(new Set(starts).size).toBe(1);
    expect(lines[1]).toBe('名字   production  1');
  });
});
