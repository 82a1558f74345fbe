// The statistics of a counterfactual bias audit, from each example's score under every group (the same
// example rewritten per group, so groups are compared on paired data): each group's mean with its 95%
// interval (Wilson's for 0/1 scores, else a bootstrap over examples), the largest gap and ratio between
// two groups with a permutation test, and the flip rate with its Wilson interval. The test permutes group labels within each
// example and compares the largest gap it sees, so picking the extreme pair after the fact does not
// inflate it (a max-statistic test). For two groups of 0/1 scores that permutation distribution is known
// exactly (McNemar's exact test: the examples where the groups disagree split as fair coin flips), and is
// used instead of sampling it: a sampled p-value near alpha gave another verdict with another seed on the
// same answers.
import { seededRandom } from '../engine/index.js';
import { mean, scoreInterval } from '../eval/index.js';

/** One group's score. */
export interface GroupScore {
  name: string;
  score: number;
  interval: [number, number];
  n: number;
}

/** What a bias audit found. */
export interface BiasStatistics {
  groups: GroupScore[];
  gap: {
    /** The best and the worst group. */
    between: [string, string];
    difference: number;
    /** The worst group's score over the best's (1: no gap; null when the best scores 0). */
    ratio: number | null;
    /** Two-sided, against "the group does not matter" (labels exchangeable within an example). */
    pValue: number;
    significant: boolean;
    /**
     * With the exact test (two groups, 0/1 scores): the smallest gap these many examples could show as
     * significant (every example where the groups disagree leaning one way), or null when none could:
     * a "not significant" on 7 examples says little when only a gap of 0.857 could have been.
     */
    smallestSignificant?: number | null;
  };
  /** Share of examples whose answer changed with the group (after undoing the rewrite). */
  flipRate: number;
  /**
   * Its 95% interval (Wilson's): 1 flip in 20 examples is [0.009, 0.236], a rate a 5% limit can neither
   * pass nor fail with confidence. Absent from audits recorded before it was kept.
   */
  flipInterval?: [number, number];
  /** The examples whose answer changed, by position. */
  flipped: number[];
}

/**
 * The statistics of `scores` (one row per example, one column per group, in `groups` order) and `flips`
 * (whether each example's answer changed), at significance `alpha` (default 0.05).
 */
export function biasStatistics(
  scores: number[][],
  groups: string[],
  flips: boolean[],
  options: { seed?: number; resamples?: number; alpha?: number } = {},
): BiasStatistics {
  const { seed = 0, resamples = 2000, alpha = 0.05 } = options;
  const columns = groups.map((_, group) => scores.map((row) => row[group]));
  const groupScores = groups.map((name, group) => ({
    name,
    score: mean(columns[group]),
    interval: scoreInterval(columns[group], { seed: seed + group, resamples }),
    n: columns[group].length,
  }));
  const ranked = groupScores.map((group, index) => ({ ...group, index })).sort((a, b) => b.score - a.score);
  const best = ranked[0];
  const worst = ranked[ranked.length - 1];
  const observed = best.score - worst.score;
  const pValue =
    observed === 0
      ? 1
      : (exactPairedPValue(scores, groups.length, observed) ??
        sampledPValue(scores, groups.length, observed, { seed, resamples }));
  const flipped = flips.flatMap((flip, index) => (flip ? [index] : []));
  const exact =
    groups.length === 2 && scores.every((row) => row.every((score) => score === 0 || score === 1));
  return {
    groups: groupScores,
    gap: {
      between: [best.name, worst.name],
      difference: observed,
      ratio: best.score === 0 ? null : worst.score / best.score,
      pValue,
      significant: pValue < alpha,
      ...(exact && { smallestSignificant: smallestSignificantGap(scores.length, alpha) }),
    },
    flipRate: flips.length === 0 ? 0 : flipped.length / flips.length,
    flipInterval: flips.length === 0 ? [0, 1] : scoreInterval(flips.map(Number)),
    flipped,
  };
}

/**
 * The smallest gap the exact test calls significant on `n` examples: m examples all leaning one way have
 * p = 2 · 0.5^m, below `alpha` from m = floor(log2(2 / alpha)) + 1 on (6 at 0.05); null when n < m.
 */
export function smallestSignificantGap(n: number, alpha: number): number | null {
  const leaning = Math.floor(Math.log2(2 / alpha) + 1e-9) + 1;
  return n < leaning ? null : leaning / n;
}

/**
 * The share of `resamples` label permutations within each example whose largest gap reaches the
 * observed one, the observed labelling counted as one of them.
 */
function sampledPValue(
  scores: number[][],
  groups: number,
  observed: number,
  options: { seed: number; resamples: number },
): number {
  const random = seededRandom(options.seed + 7919);
  let extreme = 0;
  const sums = new Float64Array(groups);
  for (let r = 0; r < options.resamples; r++) {
    sums.fill(0);
    for (const row of scores) {
      const shuffled = [...row];
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
      }
      shuffled.forEach((value, group) => (sums[group] += value));
    }
    const gap = (Math.max(...sums) - Math.min(...sums)) / Math.max(1, scores.length);
    if (gap >= observed - 1e-12) extreme++;
  }
  return (extreme + 1) / (options.resamples + 1);
}

/**
 * The exact two-sided p-value of the gap between two groups of 0/1 scores under within-example label
 * swaps (McNemar's exact test): of the d examples where the groups disagree, the count the first group
 * wins is Binomial(d, 1/2), and the gap is |wins − losses| / n. Undefined for more groups or other
 * scores, which are sampled.
 */
function exactPairedPValue(scores: number[][], groups: number, observed: number): number | undefined {
  if (groups !== 2 || scores.some((row) => row.some((score) => score !== 0 && score !== 1))) return undefined;
  let wins = 0;
  let losses = 0;
  for (const [first, second] of scores) {
    if (first > second) wins++;
    else if (first < second) losses++;
  }
  const discordant = wins + losses;
  const margin = Math.round(observed * scores.length); // |wins − losses|, the observed gap in examples
  // the binomial's probabilities in log space (thousands of examples underflow 0.5^d)
  let logProbability = -discordant * Math.LN2;
  let pValue = 0;
  for (let k = 0; k <= discordant; k++) {
    if (Math.abs(2 * k - discordant) >= margin) pValue += Math.exp(logProbability);
    logProbability += Math.log(discordant - k) - Math.log(k + 1);
  }
  return Math.min(1, pValue);
}

/**
 * What a "not significant" can mean at this size, as the reports print it after the verdict: "" when
 * significant or unknown (a sampled test), else the smallest gap that could have been significant.
 */
export function detectableText(gap: BiasStatistics['gap'], examples: number): string {
  if (gap.significant || gap.smallestSignificant === undefined) return '';
  return gap.smallestSignificant === null
    ? ` (no gap can be significant on ${examples} example${examples === 1 ? '' : 's'}: audit more)`
    : gap.smallestSignificant > 0.1
      ? ` (on ${examples} examples only a gap of ${gap.smallestSignificant.toFixed(3)} or more could be: audit more to see smaller ones)`
      : '';
}

/** A p-value as the reports print it: "p = 0.0117", or "p < 0.0001" (an exact test goes far below). */
export function pValueText(pValue: number): string {
  return pValue < 0.0001 ? 'p < 0.0001' : `p = ${pValue.toFixed(4)}`;
}
