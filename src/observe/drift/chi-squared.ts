// Tests for categorical drift with p-values: Pearson's chi-squared goodness of fit of the current
// counts against counts expected from the reference proportions (Evidently's "chisquare"), the
// two-sample homogeneity variant that also counts the reference's sampling noise, and the
// two-proportion Z-test Evidently uses for binary features. No continuity corrections, no exact tests.
import { ValidationError } from '../../errors/index.js';
import { chiSquaredSurvival, normalSurvival } from './special-functions.js';
import { checkCategoricalSample, countCategories, type Category } from './_samples.js';

/** Pearson's statistic, its degrees of freedom (categories - 1) and the upper-tail p-value. */
export interface ChiSquaredResult {
  statistic: number;
  degreesOfFreedom: number;
  pValue: number;
}

/** The Z statistic (reference proportion minus current proportion over its pooled standard error) and two-sided p-value. */
export interface ZTestResult {
  statistic: number;
  pValue: number;
}

/** Pearson's chi-squared goodness of fit of observed counts to expected counts (scipy.stats.chisquare). */
export function chiSquaredGoodnessOfFit(
  observed: ArrayLike<number>,
  expected: ArrayLike<number>,
): ChiSquaredResult {
  if (observed.length === 0 || observed.length !== expected.length) {
    throw new ValidationError(
      `chi-squared needs as many expected counts as observed ones (got ${observed.length} and ${expected.length})`,
      { code: 'DRIFT_COUNT_MISMATCH', hint: 'Pass one expected count per observed category, at least one.' },
    );
  }
  let statistic = 0;
  for (let i = 0; i < observed.length; i++) {
    if (!(expected[i] > 0) || !(observed[i] >= 0) || !Number.isFinite(observed[i] + expected[i])) {
      throw new ValidationError(
        `chi-squared needs positive expected and non-negative observed counts (category ${i}: ` +
          `observed ${observed[i]}, expected ${expected[i]})`,
        { code: 'DRIFT_INVALID_COUNTS', hint: 'Merge or smooth categories whose expected count is zero.' },
      );
    }
    const difference = observed[i] - expected[i];
    statistic += (difference * difference) / expected[i];
  }
  const degreesOfFreedom = observed.length - 1;
  // one category cannot disagree with itself: no evidence of drift
  const pValue = degreesOfFreedom === 0 ? 1 : chiSquaredSurvival(statistic, degreesOfFreedom);
  return { statistic, degreesOfFreedom, pValue };
}

/**
 * Evidently's chi-squared drift test: categories are the union of both samples, and the expected count
 * of each is its reference share times the current sample's size.
 *
 * A category absent from the reference would expect zero and make Pearson's statistic infinite
 * (scipy returns Infinity and p = 0). Instead each such category is credited half an observation in
 * the reference (the Haldane-Anscombe convention for empty cells) and the shares renormalized: the
 * statistic stays finite, a new category with real mass still yields a tiny p-value (drift), and
 * whenever every current category occurs in the reference the result equals scipy's exactly.
 */
export function chiSquaredTest(
  reference: readonly Category[],
  current: readonly Category[],
): ChiSquaredResult {
  checkCategoricalSample(reference, 'reference');
  checkCategoricalSample(current, 'current');
  const counts = countCategories(reference, current);
  const absent = counts.reference.filter((count) => count === 0).length;
  const smoothedTotal = reference.length + 0.5 * absent;
  const expected = counts.reference.map((count) =>
    absent === 0
      ? count * (current.length / reference.length)
      : ((count || 0.5) / smoothedTotal) * current.length,
  );
  return chiSquaredGoodnessOfFit(counts.current, expected);
}

/**
 * Pearson's chi-squared test of homogeneity on the 2 × k table of reference and current counts
 * (scipy.stats.chi2_contingency without Yates' correction). Unlike Evidently's goodness of fit, it
 * treats the reference as a sample too: when the two samples have similar sizes, the goodness of fit
 * rejects far more often than its alpha under no drift (its statistic is inflated by about
 * 1 + current/reference), while this test keeps its level. New categories need no special case.
 */
export function chiSquaredHomogeneityTest(
  reference: readonly Category[],
  current: readonly Category[],
): ChiSquaredResult {
  checkCategoricalSample(reference, 'reference');
  checkCategoricalSample(current, 'current');
  const counts = countCategories(reference, current);
  const total = reference.length + current.length;
  let statistic = 0;
  for (let i = 0; i < counts.categories.length; i++) {
    const column = counts.reference[i] + counts.current[i];
    for (const [observed, rowTotal] of [
      [counts.reference[i], reference.length],
      [counts.current[i], current.length],
    ]) {
      const expected = (rowTotal * column) / total;
      statistic += ((observed - expected) * (observed - expected)) / expected;
    }
  }
  const degreesOfFreedom = counts.categories.length - 1;
  const pValue = degreesOfFreedom === 0 ? 1 : chiSquaredSurvival(statistic, degreesOfFreedom);
  return { statistic, degreesOfFreedom, pValue };
}

/**
 * Evidently's two-proportion Z-test for a binary feature: the first category (in sorted order) is
 * "0", any other "1"; z = (p_reference - p_current) / √(P(1-P)(1/n₁ + 1/n₂)) with the pooled share P.
 * Both samples holding the same single value give z = 0, p = 1.
 */
export function proportionZTest(reference: readonly Category[], current: readonly Category[]): ZTestResult {
  checkCategoricalSample(reference, 'reference');
  checkCategoricalSample(current, 'current');
  const counts = countCategories(reference, current);
  if (counts.categories.length > 2) {
    throw new ValidationError(
      `the Z-test compares two categories, but the samples hold ${counts.categories.length}`,
      {
        code: 'DRIFT_TEST_NOT_APPLICABLE',
        hint: 'Use the chi-squared test (or Jensen-Shannon distance) for more than two categories.',
      },
    );
  }
  // shares of the non-first category: everything but the first sorted category counts as "1"
  const referenceOnes = reference.length - counts.reference[0];
  const currentOnes = current.length - counts.current[0];
  const referenceShare = referenceOnes / reference.length;
  const currentShare = currentOnes / current.length;
  const pooled = (referenceOnes + currentOnes) / (reference.length + current.length);
  const standardError = Math.sqrt(pooled * (1 - pooled) * (1 / reference.length + 1 / current.length));
  if (standardError === 0) return { statistic: 0, pValue: 1 };
  const statistic = (referenceShare - currentShare) / standardError;
  return { statistic, pValue: Math.min(1, 2 * normalSurvival(Math.abs(statistic))) };
}
