// ROUGE-L (longest common subsequence F-measure) and sentence BLEU-4 over lowercased word tokens (each
// Chinese character or kana a token, as unspaced writing is counted): summary-style metrics for free-text
// outputs.
import { targetText, unspacedCharacter } from './text.js';
import type { Metric } from './types.js';

// a word (letters with their accents, digits), each Chinese character or kana alone, or a mark
const unspaced = unspacedCharacter.source;
const tokenPattern = new RegExp(
  `${unspaced}|(?:(?!${unspaced})[\\p{L}\\p{M}\\p{N}])+|[^\\s\\p{L}\\p{M}\\p{N}]`,
  'gu',
);
const tokens = (text: string) => text.toLowerCase().match(tokenPattern) ?? [];

function longestCommonSubsequence(a: string[], b: string[]): number {
  let previous = new Array<number>(b.length + 1).fill(0);
  for (const x of a) {
    const current = [0];
    for (let j = 0; j < b.length; j++)
      current.push(x === b[j] ? previous[j] + 1 : Math.max(previous[j + 1], current[j]));
    previous = current;
  }
  return previous[b.length];
}

/** ROUGE-L F1 between output and target. */
export function rougeL(): Metric {
  return {
    name: 'rouge-l',
    score(example, output) {
      const reference = tokens(targetText(example.target));
      const candidate = tokens(output);
      if (!reference.length || !candidate.length)
        return { score: reference.length === candidate.length ? 1 : 0 };
      const common = longestCommonSubsequence(reference, candidate);
      if (common === 0) return { score: 0 };
      const precision = common / candidate.length;
      const recall = common / reference.length;
      return { score: (2 * precision * recall) / (precision + recall) };
    },
  };
}

/** Sentence BLEU-4 with add-one smoothing of higher-order precisions and the brevity penalty. */
export function bleu(options: Record<string, unknown>): Metric {
  const maxOrder = Number(options.maxOrder ?? 4);
  return {
    name: 'bleu',
    score(example, output) {
      const reference = tokens(targetText(example.target));
      const candidate = tokens(output);
      if (!candidate.length || !reference.length) return { score: 0 };
      let logSum = 0;
      for (let n = 1; n <= maxOrder; n++) {
        const grams = (list: string[]) => {
          const counts = new Map<string, number>();
          for (let i = 0; i + n <= list.length; i++) {
            const key = list.slice(i, i + n).join('\u0000');
            counts.set(key, (counts.get(key) ?? 0) + 1);
          }
          return counts;
        };
        const referenceGrams = grams(reference);
        let matches = 0;
        let total = 0;
        for (const [gram, count] of grams(candidate)) {
          matches += Math.min(count, referenceGrams.get(gram) ?? 0);
          total += count;
        }
        // smoothing (Lin and Och 2004): add one to orders above 1
        const precision = n === 1 ? matches / Math.max(total, 1) : (matches + 1) / (total + 1);
        if (precision === 0) return { score: 0 };
        logSum += Math.log(precision) / maxOrder;
      }
      const brevity =
        candidate.length < reference.length ? Math.exp(1 - reference.length / candidate.length) : 1;
      return { score: brevity * Math.exp(logSum) };
    },
  };
}
