// Exact match, contains, regex and token F1: metrics that compare the output text with the target text.
import { ValidationError } from '../../errors/index.js';
import { boundedRegex, isRegexTimeLimit } from '../bounded-regex.js';
import { normalize, targetText, words } from './text.js';
import type { Metric } from './types.js';

type Options = Record<string, unknown>;

/** Output equals the target after normalization (options: normalize, match: exact | prefix). */
export function exactMatch(options: Options): Metric {
  const match = options.match ?? 'exact';
  if (match !== 'exact' && match !== 'prefix') {
    throw new ValidationError(`exact-match: options.match is "${String(match)}"`, {
      code: 'METRIC_OPTIONS',
      hint: 'Use "exact", or "prefix" to accept outputs that continue past the target.',
    });
  }
  return {
    name: 'exact-match',
    score(example, output) {
      const expected = normalize(targetText(example.target), options.normalize, 'exact-match');
      const actual = normalize(output, options.normalize, 'exact-match');
      const ok = match === 'prefix' ? actual.startsWith(expected) : actual === expected;
      return {
        score: ok ? 1 : 0,
        feedback: ok
          ? undefined
          : `expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual.slice(0, 200))}`,
      };
    },
  };
}

/** The normalized output contains the normalized target. */
export function contains(options: Options): Metric {
  return {
    name: 'contains',
    score(example, output) {
      const expected = normalize(
        targetText(example.target),
        options.normalize ?? ['lowercase', 'trim'],
        'contains',
      );
      const ok = normalize(output, options.normalize ?? ['lowercase', 'trim'], 'contains').includes(expected);
      return {
        score: ok ? 1 : 0,
        feedback: ok ? undefined : `the output does not contain ${JSON.stringify(expected)}`,
      };
    },
  };
}

/**
 * The output matches options.pattern (a regular expression), or the target read as one; time-limited
 * (the output is the model's): a match that runs out of time scores 0 with the reason.
 */
export function regex(options: Options): Metric {
  const flags = String(options.flags ?? '');
  const compile = (source: string) => boundedRegex(source, flags, { code: 'METRIC_OPTIONS', label: 'regex' });
  const fixed = typeof options.pattern === 'string' ? compile(options.pattern) : undefined;
  return {
    name: 'regex',
    score(example, output) {
      const pattern = fixed ?? compile(targetText(example.target));
      try {
        const ok = pattern.test(output);
        return {
          score: ok ? 1 : 0,
          feedback: ok ? undefined : `the output does not match /${pattern.source}/`,
        };
      } catch (error) {
        if (!isRegexTimeLimit(error)) throw error;
        return { score: 0, feedback: error.message };
      }
    },
  };
}

/** SQuAD-style token F1 between output and target words. */
export function tokenF1(): Metric {
  return {
    name: 'token-f1',
    score(example, output) {
      const expected = words(targetText(example.target));
      const actual = words(output);
      if (expected.length === 0 || actual.length === 0)
        return { score: expected.length === actual.length ? 1 : 0 };
      const counts = new Map<string, number>();
      for (const word of expected) counts.set(word, (counts.get(word) ?? 0) + 1);
      let common = 0;
      for (const word of actual) {
        const left = counts.get(word) ?? 0;
        if (left > 0) {
          common++;
          counts.set(word, left - 1);
        }
      }
      if (common === 0) return { score: 0, feedback: 'no words in common with the target' };
      const precision = common / actual.length;
      const recall = common / expected.length;
      return { score: (2 * precision * recall) / (precision + recall) };
    },
  };
}
