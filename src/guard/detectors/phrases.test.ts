// Banned phrases: whole words by default with Unicode-aware boundaries, any case unless asked, spaces
// matching any whitespace, the longest phrase first, the configured phrase in `detail`.
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../errors/index.js';
import { detectPhrases, phraseDetector } from './phrases.js';

const texts = (text: string, phrases: string[], options = {}) =>
  detectPhrases(text, phrases, options).map((span) => span.text);

describe('detectPhrases', () => {
  it('matches whole words only, by default', () => {
    expect(texts('The class assistant passed; ass.', ['ass'])).toEqual(['ass']);
    expect(texts('Scunthorpe', ['cunt'])).toEqual([]);
  });

  it('matches inside words when wholeWords is false', () => {
    expect(texts('The class assistant', ['ass'], { wholeWords: false })).toEqual(['ass', 'ass']);
  });

  it('ignores case unless caseSensitive', () => {
    expect(texts('Darn it, DARN it', ['darn'])).toEqual(['Darn', 'DARN']);
    expect(texts('Darn it, darn it', ['darn'], { caseSensitive: true })).toEqual(['darn']);
  });

  it('treats letters of every script as word characters', () => {
    expect(texts('cafés and café', ['café'])).toEqual(['café']);
    expect(texts('приветствие, привет!', ['привет'])).toEqual(['привет']);
    expect(texts('naïve naïveté', ['naïve'])).toEqual(['naïve']);
    expect(texts('東京 東京都', ['東京'], { wholeWords: false })).toEqual(['東京', '東京']);
  });

  it('lets a phrase span any whitespace between its words', () => {
    expect(texts('our credit\n  card numbers', ['credit card'])).toEqual(['credit\n  card']);
  });

  it('needs a boundary only where the phrase begins or ends with a word character', () => {
    expect(texts('win $$$ now, win$$$', ['$$$'])).toEqual(['$$$', '$$$']);
    expect(texts('learn C++ and C++11', ['c++'])).toEqual(['C++', 'C++']);
  });

  it('prefers the longest phrase and reports it as configured', () => {
    const spans = detectPhrases('Send your Credit Card Number.', ['credit card', 'Credit card number']);
    expect(spans).toEqual([
      { kind: 'banned', start: 10, end: 28, text: 'Credit Card Number', detail: 'Credit card number' },
    ]);
  });

  it('escapes regular-expression characters', () => {
    expect(texts('a.b axb (x) [y]', ['a.b', '(x)', '[y]'])).toEqual(['a.b', '(x)', '[y]']);
  });

  it('finds nothing without phrases and rejects empty ones', () => {
    expect(detectPhrases('anything', [])).toEqual([]);
    expect(() => phraseDetector(['fine', '  '])).toThrow(ValidationError);
    try {
      detectPhrases('x', ['']);
    } catch (error) {
      expect(ValidationError.isInstance(error) && error.code).toBe('GUARD_EMPTY_PHRASE');
    }
    expect.assertions(3);
  });
});
