// Short run ids as the dashboard shows them: a loop's step runs keep the step their id names.
import { describe, expect, it } from 'vitest';
import { excerpt, shortRunId } from './format';

describe('shortRunId', () => {
  it("keeps a run id's random part, and a loop step's name after it", () => {
    expect(shortRunId('run-1796505123456-28733f')).toBe('28733f');
    expect(shortRunId('run-1796505123456-28733f.retune.1')).toBe('28733f.retune.1');
    expect(shortRunId('run-1796505123456-28733f.gate-candidate.2')).toBe('28733f.gate-candidate.2');
    expect(shortRunId('imported-run')).toBe('imported');
  });
});

describe('excerpt', () => {
  it('cuts between graphemes: never half a surrogate pair, an emoji sequence or a letter and its accent', () => {
    for (const tail of ['👍 more', '👍🏽 more', '👨‍👩‍👧 more', 'e\u0301 more'])
      expect(excerpt(`${'x'.repeat(8)}${tail}`, 10)).toBe(`${'x'.repeat(8)}…`);
    expect(excerpt(`${'x'.repeat(7)}👍 more`, 10)).toBe(`${'x'.repeat(7)}👍…`);
    expect(excerpt('short 李华', 10)).toBe('short 李华');
  });
});
