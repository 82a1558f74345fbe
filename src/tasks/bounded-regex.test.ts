// Time-limited regular expressions: the same answers as JavaScript's own matching, a coded error (not a
// stuck process) for a pattern that backtracks exponentially, and a working matcher after one; the
// answers that wait without blocking the thread too.
import { describe, expect, it } from 'vitest';
import { PromptuneError } from '../errors/index.js';
import { boundedRegex, isRegexTimeLimit } from './bounded-regex.js';

const options = { code: 'TEST_PATTERN', label: 'test' };

describe('boundedRegex', () => {
  it('finds what RegExp finds, with every flag a spec may give', () => {
    const cases: [string, string, string][] = [
      ['dog', '', 'the dog and the Dog'],
      ['dog', 'i', 'the dog and the Dog'],
      ['^cat$', 'm', 'dog\ncat\nbird'],
      ['a.b', 's', 'a\nb'],
      ['\\p{L}+', 'u', 'héllo wörld 😀 ok'],
      ['x*', '', 'axxb'], // empty matches too
      ['\\d{3}-\\d{4}', '', 'call 555-1234 or 555-9876'],
    ];
    for (const [source, flags, text] of cases) {
      const bounded = boundedRegex(source, flags, options);
      const native = new RegExp(source, `${flags}g`);
      expect(bounded.matches(text)).toEqual(
        [...text.matchAll(native)].map((match) => ({ index: match.index, text: match[0] })),
      );
      expect(bounded.test(text)).toBe(new RegExp(source, flags).test(text));
    }
  });

  it('stops a match that backtracks exponentially with REGEX_TIME_LIMIT, and matches again after', () => {
    // (a+)+ on 40 a's and a "!" is 2^40 paths: this would not return in this test's lifetime
    const nested = boundedRegex('^(a+)+$', '', { ...options, limitMs: 100 });
    const error = (() => {
      try {
        nested.test(`${'a'.repeat(40)}!`);
      } catch (caught) {
        return caught;
      }
    })();
    expect(isRegexTimeLimit(error)).toBe(true);
    expect(PromptuneError.isInstance(error) && error.message).toBe(
      '/^(a+)+$/ did not finish within 100 ms on a text of 41 characters',
    );
    expect(PromptuneError.isInstance(error) && error.hint).toMatch(/quantifier inside a quantified group/);
    // the worker that was stopped is replaced
    expect(nested.test('aaaa')).toBe(true);
    expect(boundedRegex('dog', '', options).matches('a dog')).toEqual([{ index: 2, text: 'dog' }]);
  });

  it('answers later without blocking the thread: a slow match is stopped, a request behind it is not charged for the wait', async () => {
    const nested = boundedRegex('^(a+)+$', '', { ...options, limitMs: 100 });
    const quick = boundedRegex('d(o)g', 'i', { ...options, limitMs: 100 });
    expect(await quick.matchesLater('a Dog, a dog')).toEqual([
      { index: 2, text: 'Dog' },
      { index: 9, text: 'dog' },
    ]);
    expect(await quick.testLater('cat')).toBe(false);
    // timers run while the slow match is stopped: the sync test would hold them for its whole limit
    let ticks = 0;
    const ticking = setInterval(() => ticks++, 5);
    const slow = nested.testLater(`${'a'.repeat(40)}!`);
    const behind = quick.testLater('hot dog'); // waits for the slow one, then has its own 100 ms
    const error = await slow.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    clearInterval(ticking);
    expect(isRegexTimeLimit(error)).toBe(true);
    expect(ticks).toBeGreaterThan(2);
    expect(await behind).toBe(true);
    expect(await nested.testLater('aaaa')).toBe(true);
  });

  it('refuses an invalid pattern with the caller code, quoting it with its own flags', () => {
    const error = (() => {
      try {
        boundedRegex('([a-', 'i', options);
      } catch (caught) {
        return caught;
      }
    })();
    expect(PromptuneError.isInstance(error) && error.code).toBe('TEST_PATTERN');
    expect(PromptuneError.isInstance(error) && error.message).toBe(
      'test: /([a-/i is not a valid regular expression',
    );
    expect(PromptuneError.isInstance(error) && error.hint).toBe(
      'Unterminated character class (JavaScript syntax).',
    );
  });
});
