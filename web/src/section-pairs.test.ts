import { describe, expect, it } from 'vitest';
import { pairSections } from './section-pairs';

describe('pairSections', () => {
  it('pairs a section whose count changed in its place, saying the counts', () => {
    const before: [string, string][] = [
      ['template', 'Q: {{input}}'],
      ['demos (0)', ''],
      ['output', 'text'],
    ];
    const after: [string, string][] = [
      ['template', 'Q: {{input}}'],
      ['demos (1)', '1. input: a | target: b'],
      ['output', 'text'],
      ['generation', '{}'],
    ];
    expect(pairSections(before, after)).toEqual([
      { title: 'template', before: 'Q: {{input}}', after: 'Q: {{input}}' },
      { title: 'demos (0 → 1)', before: '', after: '1. input: a | target: b' },
      { title: 'output', before: 'text', after: 'text' },
      { title: 'generation', before: undefined, after: '{}' },
    ]);
  });
});
