// Per-feature drift decisions with Evidently's default test choice: up to 1000 reference rows,
// Kolmogorov-Smirnov for numeric features with more than 5 distinct values, otherwise chi-squared
// (Z-test when binary) at p < 0.05; above 1000 rows, normed Wasserstein for numeric features and
// Jensen-Shannon distance otherwise, at distance ≥ 0.1. Embeddings use the MMD permutation test.
// Pure decisions over in-memory samples: no data loading, no dataset-level aggregation, no alerting.
import { ValidationError } from '../../errors/index.js';
import { chiSquaredHomogeneityTest, chiSquaredTest, proportionZTest } from './chi-squared.js';
import {
  normedWassersteinDistance,
  populationStabilityIndex,
  sampleJensenShannonDistance,
} from './distances.js';
import { kolmogorovSmirnovTest } from './kolmogorov-smirnov.js';
import {
  maximumMeanDiscrepancyTest,
  type MaximumMeanDiscrepancyOptions,
  type Vector,
} from './maximum-mean-discrepancy.js';
import { checkCategoricalSample, checkNumericSample, distinctCount } from './_samples.js';
import type { Binning } from './_binning.js';

/** Tests for numeric features. */
export type NumericDriftTest =
  | 'kolmogorov-smirnov'
  | 'chi-squared'
  | 'chi-squared-homogeneity'
  | 'z-test'
  | 'normed-wasserstein'
  | 'jensen-shannon'
  | 'population-stability-index';

/** Tests for categorical features. */
export type CategoricalDriftTest =
  'chi-squared' | 'chi-squared-homogeneity' | 'z-test' | 'jensen-shannon' | 'population-stability-index';

/** Every test a drift result can name. */
export type DriftTest = NumericDriftTest | CategoricalDriftTest | 'maximum-mean-discrepancy';

/** Options of numericDrift and categoricalDrift: force a test and/or a threshold, choose PSI/JS bins. */
export interface FeatureDriftOptions<Test extends DriftTest> {
  /**
   * The test to run instead of Evidently's default, e.g. 'chi-squared-homogeneity', which keeps its
   * level when reference and current have similar sizes (Evidently's goodness of fit does not).
   */
  test?: Test;
  /** p-value below which (tests) or distance at or above which (distances) the feature drifted. */
  threshold?: number;
  /** Bins for Jensen-Shannon and PSI on numeric samples with more than 20 distinct values (default 'sturges'). */
  bins?: Binning;
}

/** Options of embeddingDrift: the MMD test's options plus the significance level (default 0.05). */
export interface EmbeddingDriftOptions extends MaximumMeanDiscrepancyOptions {
  threshold?: number;
}

/** One feature's drift decision: a p-value for tests, a distance for distances, never both. */
export interface FeatureDriftResult {
  test: DriftTest;
  /** The test's statistic: D, χ², z, MMD², or the distance itself. */
  statistic: number;
  pValue?: number;
  distance?: number;
  threshold: number;
  drifted: boolean;
  referenceCount: number;
  currentCount: number;
}

/** Reference sizes up to this use tests with p-values; larger ones use distances (Evidently). */
const smallReferenceRows = 1000;
/** Numeric features with at most this many distinct values are treated as categories (Evidently). */
const fewDistinctValues = 5;
const pValueTests = new Set<DriftTest>([
  'kolmogorov-smirnov',
  'chi-squared',
  'chi-squared-homogeneity',
  'z-test',
  'maximum-mean-discrepancy',
]);
const numericTests = new Set<string>([
  'kolmogorov-smirnov',
  'chi-squared',
  'chi-squared-homogeneity',
  'z-test',
  'normed-wasserstein',
  'jensen-shannon',
  'population-stability-index',
]);
const categoricalTests = new Set<string>([
  'chi-squared',
  'chi-squared-homogeneity',
  'z-test',
  'jensen-shannon',
  'population-stability-index',
]);

/** Drift of a numeric feature: Evidently's default test unless `options.test` forces one. */
export function numericDrift(
  reference: ArrayLike<number>,
  current: ArrayLike<number>,
  options: FeatureDriftOptions<NumericDriftTest> = {},
): FeatureDriftResult {
  checkNumericSample(reference, 'reference');
  checkNumericSample(current, 'current');
  const test = options.test ?? defaultNumericTest(reference, current);
  checkTest(test, numericTests, 'numeric');
  const threshold = thresholdFor(test, options.threshold);
  switch (test) {
    case 'kolmogorov-smirnov': {
      const { statistic, pValue } = kolmogorovSmirnovTest(reference, current);
      return decide(test, statistic, pValue, threshold, reference.length, current.length);
    }
    case 'normed-wasserstein': {
      const distance = normedWassersteinDistance(reference, current);
      return decide(test, distance, undefined, threshold, reference.length, current.length);
    }
    default:
      // the remaining tests read each value as a category (or bin): Evidently does the same
      return categoryTest(test, Array.from(reference), Array.from(current), threshold, options.bins);
  }
}

/** Drift of a categorical feature: chi-squared (Z-test when binary) up to 1000 reference rows, else Jensen-Shannon. */
export function categoricalDrift(
  reference: readonly string[],
  current: readonly string[],
  options: FeatureDriftOptions<CategoricalDriftTest> = {},
): FeatureDriftResult {
  checkCategoricalSample(reference, 'reference');
  checkCategoricalSample(current, 'current');
  const test = options.test ?? defaultCategoricalTest(reference, current);
  checkTest(test, categoricalTests, 'categorical');
  return categoryTest(test, reference, current, thresholdFor(test, options.threshold), options.bins);
}

/** Drift of an embedding: the MMD permutation test, drifted when p < threshold (default 0.05). */
export function embeddingDrift(
  reference: readonly Vector[],
  current: readonly Vector[],
  options: EmbeddingDriftOptions,
): FeatureDriftResult {
  const threshold = thresholdFor('maximum-mean-discrepancy', options.threshold);
  const { statistic, pValue } = maximumMeanDiscrepancyTest(reference, current, options);
  return decide('maximum-mean-discrepancy', statistic, pValue, threshold, reference.length, current.length);
}

function defaultNumericTest(reference: ArrayLike<number>, current: ArrayLike<number>): NumericDriftTest {
  const distinct = distinctCount(reference, current);
  if (reference.length <= smallReferenceRows) {
    if (distinct > fewDistinctValues) return 'kolmogorov-smirnov';
    return distinct > 2 ? 'chi-squared' : 'z-test';
  }
  return distinct > fewDistinctValues ? 'normed-wasserstein' : 'jensen-shannon';
}

function defaultCategoricalTest(
  reference: readonly string[],
  current: readonly string[],
): CategoricalDriftTest {
  if (reference.length > smallReferenceRows) return 'jensen-shannon';
  return distinctCount(reference, current) > 2 ? 'chi-squared' : 'z-test';
}

/** The tests that read values as categories (or bins): shared by numeric and categorical features. */
function categoryTest(
  test: NumericDriftTest,
  reference: readonly string[] | number[],
  current: readonly string[] | number[],
  threshold: number,
  bins: Binning | undefined,
): FeatureDriftResult {
  const counts = [reference.length, current.length] as const;
  switch (test) {
    case 'chi-squared': {
      const { statistic, pValue } = chiSquaredTest(reference, current);
      return decide(test, statistic, pValue, threshold, ...counts);
    }
    case 'chi-squared-homogeneity': {
      const { statistic, pValue } = chiSquaredHomogeneityTest(reference, current);
      return decide(test, statistic, pValue, threshold, ...counts);
    }
    case 'z-test': {
      const { statistic, pValue } = proportionZTest(reference, current);
      return decide(test, statistic, pValue, threshold, ...counts);
    }
    case 'jensen-shannon': {
      const distance = sampleJensenShannonDistance(reference, current, { bins });
      return decide(test, distance, undefined, threshold, ...counts);
    }
    default: {
      const distance = populationStabilityIndex(reference, current, { bins });
      return decide(test, distance, undefined, threshold, ...counts);
    }
  }
}

/** The given threshold, checked, or Evidently's default: 0.05 for p-values, 0.1 for distances. */
function thresholdFor(test: DriftTest, threshold: number | undefined): number {
  const usesPValue = pValueTests.has(test);
  const limit = threshold ?? (usesPValue ? 0.05 : 0.1);
  if (!(limit > 0) || !Number.isFinite(limit) || (usesPValue && limit > 1)) {
    throw new ValidationError(`threshold ${threshold} does not suit the ${test} test`, {
      code: 'DRIFT_INVALID_OPTION',
      hint: usesPValue
        ? 'A p-value threshold lies in (0, 1], e.g. 0.05.'
        : 'A distance threshold is positive, e.g. 0.1.',
    });
  }
  return limit;
}

function decide(
  test: DriftTest,
  statistic: number,
  pValue: number | undefined,
  threshold: number,
  referenceCount: number,
  currentCount: number,
): FeatureDriftResult {
  if (pValue !== undefined) {
    return { test, statistic, pValue, threshold, drifted: pValue < threshold, referenceCount, currentCount };
  }
  return {
    test,
    statistic,
    distance: statistic,
    threshold,
    drifted: statistic >= threshold,
    referenceCount,
    currentCount,
  };
}

function checkTest(test: string, allowed: Set<string>, kind: string): void {
  if (!allowed.has(test)) {
    throw new ValidationError(`"${test}" is not a drift test for ${kind} features`, {
      code: 'DRIFT_INVALID_OPTION',
      hint: `Use one of: ${[...allowed].join(', ')}.`,
    });
  }
}
