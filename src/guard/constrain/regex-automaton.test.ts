// The regex automaton agrees with JavaScript's RegExp (u flag) on whole-text matches and, in search
// mode, on `test`: a table of patterns over hand-picked and random strings, random patterns over a
// small alphabet, and random walks whose every accepted text must match. Unsupported syntax is refused.
import { describe, expect, it } from 'vitest';
import { seededRandom, type Random } from '../../engine/index.js';
import { ValidationError } from '../../errors/index.js';
import { accepts, randomWalk } from './automaton-walks.case.js';
import { regexAutomaton } from './regex-automaton.js';

const table: [string, string[]][] = [
  ['abc', ['abc', 'ab', 'abcd', '']],
  ['a|b|', ['a', 'b', '', 'ab']],
  ['(ab|cd)*e?', ['', 'ab', 'abcd', 'abe', 'e', 'ee', 'ac']],
  ['a{2,3}', ['a', 'aa', 'aaa', 'aaaa']],
  ['a{2}b{1,}', ['aab', 'aabbb', 'ab', 'aa']],
  ['x{0}y', ['y', 'xy']],
  ['[a-c]{1,3}?', ['a', 'abc', 'abcd', 'd']],
  ['\\d+(\\.\\d+)?', ['1', '12.5', '12.', '.5', 'a']],
  ['\\w+@\\w+\\.com', ['me@example.com', 'me@example.org', '@x.com']],
  ['\\s*x\\S', ['x1', '  \txy', ' x ', '\u3000xa']],
  ['\\D\\W', ['a!', '1!', 'aa']],
  ['[^\\n]*', ['any thing', 'two\nlines', '']],
  ['.+', ['a', '\n', 'é😀', '\r']],
  ['\\u0041+\\x42\\u{1F600}', ['AB😀', 'AAAB😀', 'B😀']],
  ['😀+|é', ['😀😀', 'é', 'e']],
  ['\\uD83D\\uDE00', ['😀']],
  ['[\\]\\-]+\\.\\\\', [']-.\\', '-.\\', 'a.\\']],
  ['\\t\\n\\r\\f\\v\\0', ['\t\n\r\f\v\0']],
  ['[\\b]\\cJ', ['\b\n']],
  ['^(?<year>\\d{4})-(\\d\\d)$', ['2024-01', '24-01']],
  ['[^]', ['a', '\n', '']],
  ['[-a]+[a-]', ['-a-', 'aa']],
  ['(a*)*b', ['b', 'aab', 'aa']],
  ['(a|ab)(c|bcd)', ['abcd', 'ac', 'abc']],
  ['\\/\\*\\+\\?\\(\\)\\{\\}\\|\\^\\$', ['/*+?(){}|^$']],
];

function fullMatch(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`, 'u');
}

function randomString(random: Random, alphabet: string[], maxLength: number): string {
  let text = '';
  const length = Math.floor(random() * (maxLength + 1));
  for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
  return text;
}

const alphabet = [...'abc1 \n.-', '😀'];

function randomPattern(random: Random, depth: number): string {
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)];
  const atom = (): string => {
    if (depth <= 0 || random() < 0.5)
      return pick(['a', 'b', 'c', '.', '[ab]', '[^a]', '[a-c]', '\\d', '\\s', '\\w', '😀']);
    const inner = randomPattern(random, depth - 1);
    return (
      pick(['(', '(?:']) + (random() < 0.3 ? `${inner}|${randomPattern(random, depth - 1)}` : inner) + ')'
    );
  };
  let pattern = '';
  const terms = 1 + Math.floor(random() * 3);
  for (let i = 0; i < terms; i++) {
    pattern += atom();
    if (random() < 0.4) pattern += pick(['*', '+', '?', '{2}', '{0,2}', '{1,}', '*?', '+?']);
  }
  return pattern;
}

describe('regexAutomaton', () => {
  it.each(table)('matches /%s/ as RegExp does, on listed and random strings', (pattern, strings) => {
    const automaton = regexAutomaton(pattern);
    const expected = fullMatch(pattern);
    const random = seededRandom(pattern.length);
    const letters = [...new Set([...pattern, ...alphabet])];
    const samples = [...strings, ...Array.from({ length: 300 }, () => randomString(random, letters, 8))];
    for (const text of samples) expect([text, accepts(automaton, text)]).toEqual([text, expected.test(text)]);
  });

  it('agrees with RegExp on 300 random patterns, and every random walk it accepts matches', () => {
    const random = seededRandom(7);
    for (let n = 0; n < 300; n++) {
      const pattern = randomPattern(random, 2);
      const automaton = regexAutomaton(pattern);
      const expected = fullMatch(pattern);
      for (let i = 0; i < 60; i++) {
        const text = randomString(random, alphabet, 6);
        expect([pattern, text, accepts(automaton, text)]).toEqual([pattern, text, expected.test(text)]);
      }
      for (let i = 0; i < 10; i++) {
        const walked = randomWalk(automaton, random, { alphabet, stop: 0.3, patience: 20, limit: 60 });
        if (walked !== undefined)
          expect([pattern, walked, expected.test(walked)]).toEqual([pattern, walked, true]);
      }
    }
  });

  it('in search mode agrees with RegExp.test, anchors included', () => {
    const random = seededRandom(11);
    for (const pattern of ['ab', '^a', 'b$', '^a|b$', '^ab$', '\\d{2}', 'a.c', '']) {
      const automaton = regexAutomaton(pattern, { search: true });
      const expected = new RegExp(pattern, 'u');
      for (let i = 0; i < 300; i++) {
        const text = randomString(random, alphabet, 7);
        expect([pattern, text, accepts(automaton, text)]).toEqual([pattern, text, expected.test(text)]);
      }
    }
  });

  it('reads the s flag as dotAll, keys states canonically and knows the shortest completion', () => {
    expect(accepts(regexAutomaton('a.b', { flags: 's' }), 'a\nb')).toBe(true);
    expect(accepts(regexAutomaton('a.b'), 'a\nb')).toBe(false);
    const automaton = regexAutomaton('a{3}b|x');
    expect(automaton.shortestCompletion(automaton.initial)).toBe(1);
    const afterA = automaton.step(automaton.initial, 'a')!;
    expect(automaton.shortestCompletion(afterA)).toBe(3);
    const star = regexAutomaton('[a-z]*');
    const once = star.step(star.initial, 'q')!;
    expect(star.key(star.step(once, 'r')!)).toBe(star.key(once));
    expect(star.canContinue(once)).toBe(true);
    const fixed = regexAutomaton('ab');
    const done = fixed.step(fixed.step(fixed.initial, 'a')!, 'b')!;
    expect([fixed.accepting(done), fixed.canContinue(done)]).toEqual([true, false]);
  });

  it.each([
    ['(a)\\1', 'backreference'],
    ['(?<n>a)\\k<n>', 'named backreference'],
    ['a(?=b)', 'lookaround'],
    ['a(?!b)', 'lookaround'],
    ['(?<=a)b', 'lookaround'],
    ['\\bword', 'word boundary'],
    ['\\p{L}+', 'Unicode property'],
    ['a^b', '`^`'],
    ['a$b', '`$`'],
    ['(^a)', '`^`'],
    ['a{1001}', 'repeat count'],
  ])('refuses /%s/ with CONSTRAINT_UNSUPPORTED naming the %s', (pattern, named) => {
    let caught: unknown;
    try {
      regexAutomaton(pattern);
    } catch (error) {
      caught = error;
    }
    expect(ValidationError.isInstance(caught)).toBe(true);
    expect((caught as ValidationError).code).toBe('CONSTRAINT_UNSUPPORTED');
    expect((caught as ValidationError).message).toContain(named);
    expect((caught as ValidationError).hint).toContain('Supported');
  });

  it('refuses flags other than u and s, invalid syntax, and patterns that match nothing', () => {
    expect(() => regexAutomaton('a', { flags: 'i' })).toThrow(
      expect.objectContaining({ code: 'CONSTRAINT_UNSUPPORTED' }),
    );
    expect(() => regexAutomaton('(a')).toThrow(expect.objectContaining({ code: 'CONSTRAINT_INVALID' }));
    expect(() => regexAutomaton('a**')).toThrow(expect.objectContaining({ code: 'CONSTRAINT_INVALID' }));
    expect(() => regexAutomaton('[]')).toThrow(expect.objectContaining({ code: 'CONSTRAINT_INVALID' }));
    expect(accepts(regexAutomaton('a|[]b'), 'a')).toBe(true);
  });
});
