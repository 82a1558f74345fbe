// Small statistics for evaluation reports: means, percentiles, confidence intervals (Wilson's for
// proportions, else bootstrap), a paired bootstrap test for comparing two runs on the same examples, and
// McNemar's exact test for two runs right or wrong on the same examples. Resampling is seeded.
import { seededRandom } from '../engine/index.js';

/** The arithmetic mean (0 for no values). */
export function mean(values: number[]): number {
  return values.length ? values.reduce((sum, value) => sum + value, 0) / values.length : 0;
}

/** The p-th percentile (0..100) by linear interpolation; undefined for no values. */
export function percentile(values: number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (p / 100) * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
}

/** How a bootstrap resamples: its interval's level (0.95), resamples (2000) and seed (0). */
export interface BootstrapOptions {
  level?: number;
  resamples?: number;
  seed?: number;
}

/** Whether every value is 0 or 1: scores of right or wrong, a proportion's (none is not). */
export function rightOrWrong(values: number[]): boolean {
  return values.length > 0 && values.every((value) => value === 0 || value === 1);
}

/** Percentile bootstrap interval of the mean (default 95%, 2000 resamples, seed 0). */
export function bootstrapInterval(values: number[], options: BootstrapOptions = {}): [number, number] {
  if (values.length === 0) return [0, 0];
  const { level = 0.95, resamples = 2000, seed = 0 } = options;
  const random = seededRandom(seed);
  const means: number[] = [];
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < values.length; i++) sum += values[Math.floor(random() * values.length)];
    means.push(sum / values.length);
  }
  return [percentile(means, ((1 - level) / 2) * 100)!, percentile(means, ((1 + level) / 2) * 100)!];
}

/**
 * The 95% interval of a score's mean: Wilson's score interval when every value is 0 or 1 (a proportion:
 * 10 of 10 right is [0.72, 1], where resampling can only say [1, 1]), else the bootstrap's (with
 * `bootstrap`'s resamples and seed).
 */
export function scoreInterval(
  values: number[],
  bootstrap: { resamples?: number; seed?: number } = {},
): [number, number] {
  if (!rightOrWrong(values)) return bootstrapInterval(values, bootstrap);
  const z = 1.959963984540054;
  const n = values.length;
  const proportion = mean(values);
  const shrink = 1 + (z * z) / n;
  const centre = (proportion + (z * z) / (2 * n)) / shrink;
  const half = (z / shrink) * Math.sqrt((proportion * (1 - proportion)) / n + (z * z) / (4 * n * n));
  // all wrong or all right has its bound exactly at 0 or 1 (the formula lands a rounding off it)
  return [proportion === 0 ? 0 : centre - half, proportion === 1 ? 1 : centre + half];
}

/** A paired comparison: the mean difference, its interval, and a two-sided p-value. */
export interface PairedComparison {
  difference: number;
  interval: [number, number];
  pValue: number;
}

/** Paired comparison of b against a on the same items: mean difference, its interval, and a two-sided p-value. */
export function pairedBootstrap(a: number[], b: number[], options: BootstrapOptions = {}): PairedComparison {
  const differences = a.map((value, i) => b[i] - value);
  const difference = mean(differences);
  const { resamples = 2000, seed = 0 } = options;
  const random = seededRandom(seed);
  // resample differences centered at zero: how often is a mean this far from zero under no effect?
  const centered = differences.map((value) => value - difference);
  let extreme = 0;
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < centered.length; i++) sum += centered[Math.floor(random() * centered.length)];
    if (Math.abs(sum / centered.length) >= Math.abs(difference) - 1e-12) extreme++;
  }
  return {
    difference,
    interval: bootstrapInterval(differences, options),
    pValue: differences.every((value) => value === 0) ? 1 : (extreme + 1) / (resamples + 1),
  };
}

/**
 * McNemar's exact test of two runs scored right (1) or wrong (0) on the same examples: under no
 * difference, the examples only one run got right fall to either run as a fair coin does. The two-sided
 * p-value is twice the binomial tail of the rarer side, at most 1; exact at any size, where resampling
 * cannot go below 1 / (resamples + 1).
 */
export function mcnemarExact(a: number[], b: number[]): number {
  let onlyA = 0;
  let onlyB = 0;
  a.forEach((value, index) => {
    if (value === 1 && b[index] === 0) onlyA++;
    if (value === 0 && b[index] === 1) onlyB++;
  });
  const n = onlyA + onlyB;
  if (n === 0) return 1;
  // P(X <= k) for X ~ Binomial(n, 1/2), summed in logs (n may be thousands)
  const k = Math.min(onlyA, onlyB);
  let logTerm = -n * Math.LN2; // log C(n, 0) / 2^n
  let tail = Math.exp(logTerm);
  for (let i = 1; i <= k; i++) {
    logTerm += Math.log((n - i + 1) / i);
    tail += Math.exp(logTerm);
  }
  return Math.min(1, 2 * tail);
}

/**
 * The paired test of `b` against `a` on the same examples: McNemar's exact test when every score is 0
 * or 1 (the paired bootstrap is too liberal with a few discordant pairs: 5 fixed and 0 broken of 96 is
 * p 0.0625 exactly, and the bootstrap called it significant), else the paired bootstrap. The difference
 * and interval are the bootstrap's either way.
 */
export function pairedTest(
  a: number[],
  b: number[],
  options: BootstrapOptions = {},
): PairedComparison & { test: 'mcnemar-exact' | 'paired-bootstrap' } {
  const bootstrap = pairedBootstrap(a, b, options);
  return rightOrWrong([...a, ...b])
    ? { ...bootstrap, pValue: mcnemarExact(a, b), test: 'mcnemar-exact' }
    : { ...bootstrap, test: 'paired-bootstrap' };
}
