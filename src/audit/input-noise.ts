// Input noise for the sensitivity audit, in the spirit of HELM's perturbations: typos (two neighbouring
// letters swapped), lower or upper case, extra whitespace, contractions (expanded or contracted), and
// filler words. Each is seeded per example, applied to the input's text fields only, and never touches
// a word of the target (a story whose answer is its hero's name keeps the name), so the expected answer
// stays right. It calls no model.
import { seededRandom, type Random } from '../engine/index.js';

/** The kinds of input noise. */
export const noiseKinds = [
  'typos',
  'lowercase',
  'uppercase',
  'whitespace',
  'contractions',
  'filler',
] as const;
/** One of noiseKinds. */
export type NoiseKind = (typeof noiseKinds)[number];

const contractions: [string, string][] = [
  ['do not', "don't"],
  ['does not', "doesn't"],
  ['did not', "didn't"],
  ['is not', "isn't"],
  ['was not', "wasn't"],
  ['can not', "can't"],
  ['will not', "won't"],
  ['it is', "it's"],
  ['I am', "I'm"],
  ['they are', "they're"],
  ['we are', "we're"],
  ['you are', "you're"],
  ['let us', "let's"],
];
const fillers = ['uh,', 'um,', 'like,', 'you know,', 'well,'];

/** The word pieces of `text`: words and the space between them, alternating (words at odd positions). */
const pieces = (text: string) => text.split(/(\p{L}[\p{L}'’]*)/u);

/** `text` with `kind` of noise, drawn from `random`; `keep` words (lower case) stay as they are. */
export function addNoise(text: string, kind: NoiseKind, random: Random, keep: Set<string>): string {
  const kept = (word: string) => keep.has(word.toLowerCase());
  const words = (change: (word: string) => string) =>
    pieces(text)
      .map((piece, index) => (index % 2 === 1 && !kept(piece) ? change(piece) : piece))
      .join('');
  switch (kind) {
    case 'typos':
      return words((word) => {
        if (word.length < 4 || random() >= 0.15) return word;
        const at = 1 + Math.floor(random() * (word.length - 3)); // inner letters: the first and last stay
        return word.slice(0, at) + word[at + 1] + word[at] + word.slice(at + 2);
      });
    case 'lowercase':
      return words((word) => word.toLowerCase());
    case 'uppercase':
      return words((word) => word.toUpperCase());
    case 'whitespace':
      return text.replace(/ /g, () => (random() < 0.25 ? '  ' : ' '));
    case 'contractions': {
      // contract what is expanded; when nothing is, expand what is contracted
      let changed = text;
      for (const [long, short] of contractions) changed = replaceWord(changed, long, short, kept);
      if (changed !== text) return changed;
      for (const [long, short] of contractions) changed = replaceWord(changed, short, long, kept);
      return changed;
    }
    case 'filler':
      return words((word) =>
        random() < 0.08 ? `${fillers[Math.floor(random() * fillers.length)]} ${word}` : word,
      );
  }
}

function replaceWord(text: string, from: string, to: string, kept: (word: string) => boolean): string {
  const pattern = new RegExp(`(?<![\\p{L}'’])${from.replace(/'/g, "['’]")}(?![\\p{L}'’])`, 'giu');
  return text.replace(pattern, (found) => {
    if (found.split(/\s+/).some(kept)) return found;
    return found[0] === found[0].toUpperCase() ? to[0].toUpperCase() + to.slice(1) : to;
  });
}

/** An example's fields with noise: each text field seeded by the example and the kind. */
export function noisyFields(
  fields: Record<string, unknown>,
  target: unknown,
  kind: NoiseKind,
  seed: number,
): Record<string, unknown> {
  const keep = new Set(
    (typeof target === 'string' ? target : JSON.stringify(target ?? ''))
      .toLowerCase()
      .split(/[^\p{L}'’]+/u)
      .filter(Boolean),
  );
  const random = seededRandom(seed);
  return Object.fromEntries(
    Object.entries(fields).map(([field, value]) => [
      field,
      typeof value === 'string' ? addNoise(value, kind, random, keep) : value,
    ]),
  );
}
