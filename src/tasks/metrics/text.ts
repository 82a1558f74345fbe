// Text normalization and tokenization shared by the string metrics.
import { ValidationError } from '../../errors/index.js';

/** Normalization steps, applied in the order given. */
export const normalizers = {
  trim: (text: string) => text.trim(),
  lowercase: (text: string) => text.toLowerCase(),
  'collapse-whitespace': (text: string) => text.replace(/\s+/g, ' '),
  // punctuation of any script (，。「」 too) and the ASCII symbols SQuAD's normalization strips ($+<=>^`|~);
  // other symbols are content: every emoji (\p{S} had made 👍 and 👎 one answer), €, °, ©
  'strip-punctuation': (text: string) => text.replace(/[\p{P}$+<=>^`|~]/gu, ''),
  // a word of its own: no letter, accent or digit on either side (`\b` knows only ASCII letters, so it
  // took the "a" off "aún" and "ação", and the "an" off "anéis")
  'strip-articles': (text: string) =>
    text.replace(/(?<![\p{L}\p{M}\p{N}_])(?:a|an|the)(?![\p{L}\p{M}\p{N}_])/giu, ' '),
  // Unicode normalization: the composed form (é as one code point, not e + U+0301), or also the
  // compatibility forms folded (full-width Ｌｉｌｙ as Lily, ﬁ as fi)
  nfc: (text: string) => text.normalize('NFC'),
  nfkc: (text: string) => text.normalize('NFKC'),
} as const;

export type Normalizer = keyof typeof normalizers;

/** Applies the named normalizers; unknown names are a ValidationError. */
export function normalize(text: string, steps: unknown, where: string): string {
  const list = steps === undefined ? ['trim'] : steps;
  if (!Array.isArray(list)) {
    throw new ValidationError(`${where}: options.normalize must be a list`, {
      code: 'METRIC_OPTIONS',
      hint: `Use a list of: ${Object.keys(normalizers).join(', ')}.`,
    });
  }
  return list.reduce((current: string, step: unknown) => {
    const apply = normalizers[step as Normalizer];
    if (!apply) {
      throw new ValidationError(`${where}: unknown normalization "${String(step)}"`, {
        code: 'METRIC_OPTIONS',
        hint: `Use: ${Object.keys(normalizers).join(', ')}.`,
      });
    }
    return apply(current);
  }, text);
}

/**
 * Writing that puts no spaces between words (Chinese characters, Japanese kana): each of its characters
 * is a word of its own, as BERT's basic tokenizer and the Chinese reading-comprehension benchmarks count
 * them, so a sentence differing in one character is not a whole different word.
 */
export const unspacedCharacter = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;

const unspacedSplit = new RegExp(`(${unspacedCharacter.source})`, 'u');

/**
 * Lowercased word tokens without punctuation or articles (as SQuAD's answer normalization), each Chinese
 * character or kana its own word.
 */
export function words(text: string): string[] {
  return normalize(
    text,
    ['lowercase', 'strip-punctuation', 'strip-articles', 'collapse-whitespace', 'trim'],
    'words',
  )
    .split(' ')
    .flatMap((word) => word.split(unspacedSplit))
    .filter(Boolean);
}

/** The target as text (objects as JSON). */
export function targetText(target: unknown): string {
  return typeof target === 'string' ? target : JSON.stringify(target);
}
