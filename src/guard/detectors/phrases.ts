// Banned words and phrases: a configured list compiled once into a single pattern, matched whole-word
// by default with Unicode-aware boundaries (letters, marks and digits of any script), any run of
// whitespace matching a phrase's spaces. It does not normalize Unicode (NFC/NFD) or fold accents, and
// a boundary is required only on a side where the phrase itself begins or ends with a word character.
import { ValidationError } from '../../errors/index.js';
import { scan } from './_scan.js';
import type { DetectedSpan, Detector } from './span.js';

/** How phrases are matched. */
export interface PhraseOptions {
  /** Match letter case exactly (default false). */
  caseSensitive?: boolean;
  /** Match only whole words: no letter, mark, digit or `_` may touch either end (default true). */
  wholeWords?: boolean;
}

const wordCharacter = /[\p{L}\p{M}\p{N}_]/u;
const notAfterWord = '(?<![\\p{L}\\p{M}\\p{N}_])';
const notBeforeWord = '(?![\\p{L}\\p{M}\\p{N}_])';

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** The pattern source of one phrase: escaped, spaces as whitespace runs, word boundaries where they apply. */
function phraseSource(phrase: string, wholeWords: boolean): string {
  const words = phrase.trim().split(/\s+/u).map(escapeRegExp).join('\\s+');
  if (!wholeWords) return words;
  const characters = [...phrase.trim()];
  const start = wordCharacter.test(characters[0]) ? notAfterWord : '';
  const end = wordCharacter.test(characters[characters.length - 1]) ? notBeforeWord : '';
  return `${start}${words}${end}`;
}

/** A detector of the given phrases, compiled once: reuse it for many texts. */
export function phraseDetector(phrases: readonly string[], options: PhraseOptions = {}): Detector {
  phrases.forEach((phrase, position) => {
    if (typeof phrase === 'string' && phrase.trim() !== '') return;
    throw new ValidationError(
      `Banned phrase ${position + 1} of ${phrases.length} is empty or not a string.`,
      {
        code: 'GUARD_EMPTY_PHRASE',
        hint: 'Give each banned phrase as a non-empty string, or remove it from the list.',
      },
    );
  });
  if (phrases.length === 0) return () => [];
  // longer phrases first, so "credit card number" wins over "credit card" at the same place
  const ordered = [...phrases].sort((a, b) => b.trim().length - a.trim().length);
  const wholeWords = options.wholeWords ?? true;
  const flags = options.caseSensitive ? 'gu' : 'giu';
  const pattern = new RegExp(
    ordered.map((phrase) => `(${phraseSource(phrase, wholeWords)})`).join('|'),
    flags,
  );
  return (text) =>
    scan(pattern, text, (match) => {
      const which = match.findIndex((group, position) => position > 0 && group !== undefined);
      // phrases are non-empty, so no match is empty and the scan always advances
      return {
        kind: 'banned',
        start: match.index,
        end: match.index + match[0].length,
        text: match[0],
        detail: ordered[which - 1],
      };
    });
}

// detectors of recently used phrase lists, so repeated calls with one configuration compile once
const recent = new Map<string, Detector>();
const recentLimit = 32;

/** The places `phrases` occur in `text` (whole words and any case, unless options say otherwise). */
export function detectPhrases(
  text: string,
  phrases: readonly string[],
  options: PhraseOptions = {},
): DetectedSpan[] {
  const key = JSON.stringify([phrases, options.caseSensitive ?? false, options.wholeWords ?? true]);
  let detector = recent.get(key);
  if (detector === undefined) {
    detector = phraseDetector(phrases, options);
    if (recent.size >= recentLimit) recent.delete(recent.keys().next().value as string);
    recent.set(key, detector);
  }
  return detector(text);
}
