// Masking: spans replaced by their kind (or a custom mask), overlapping spans merged under the first
// kind, adjacent spans kept apart, UTF-16 offsets after astral characters, bad offsets rejected.
import { describe, expect, it } from 'vitest';
import { PromptuneError } from '../../errors/index.js';
import { detectPii } from './pii.js';
import { maskSpans, type DetectedSpan } from './span.js';

const span = (kind: string, text: string, start: number, end: number): DetectedSpan => ({
  kind,
  start,
  end,
  text: text.slice(start, end),
});

describe('maskSpans', () => {
  it('replaces each span with its kind by default', () => {
    const text = 'Mail jane@example.com or call 415-555-0132.';
    expect(maskSpans(text, detectPii(text))).toBe('Mail [EMAIL] or call [PHONE].');
  });

  it('uses a custom replacement', () => {
    const text = 'id 123-45-6789';
    const masked = maskSpans(
      text,
      detectPii(text),
      (found) => `<${found.detail}:${'*'.repeat(found.text.length)}>`,
    );
    expect(masked).toBe('id <us-ssn:***********>');
  });

  it('merges overlapping spans, keeping the kind of the first', () => {
    const text = 'abcdefghij';
    const spans = [span('second', text, 4, 8), span('first', text, 2, 6), span('inner', text, 3, 5)];
    const seen: DetectedSpan[] = [];
    const masked = maskSpans(text, spans, (merged) => {
      seen.push(merged);
      return '#';
    });
    expect(masked).toBe('ab#ij');
    expect(seen).toEqual([{ kind: 'first', start: 2, end: 8, text: 'cdefgh' }]);
  });

  it('keeps adjacent spans apart', () => {
    const text = 'aaabbb';
    expect(maskSpans(text, [span('x', text, 3, 6), span('y', text, 0, 3)])).toBe('[Y][X]');
  });

  it('counts offsets in UTF-16 code units after astral characters', () => {
    const text = '🎉🎉 ünïcødé: jane@example.com ✓';
    const spans = detectPii(text);
    expect(spans[0].start).toBe(text.indexOf('jane'));
    expect(maskSpans(text, spans)).toBe('🎉🎉 ünïcødé: [EMAIL] ✓');
  });

  it('returns the text unchanged without spans, and ignores empty spans', () => {
    expect(maskSpans('nothing here', [])).toBe('nothing here');
    expect(maskSpans('abc', [span('x', 'abc', 1, 1)])).toBe('abc');
  });

  it('rejects spans outside the text', () => {
    expect(() => maskSpans('short', [span('x', 'short', 2, 9)])).toThrowError(/outside the text/);
    try {
      maskSpans('short', [span('x', 'short', 3, 1)]);
    } catch (error) {
      expect(PromptuneError.isInstance(error) && error.code).toBe('GUARD_SPAN_OUT_OF_RANGE');
    }
    expect.assertions(2);
  });
});
