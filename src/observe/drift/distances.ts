// Distribution distances for drift, each compared with a threshold rather than a p-value: Wasserstein
// (scipy.stats.wasserstein_distance) and Evidently's normed version, Jensen-Shannon distance
// (scipy.spatial.distance.jensenshannon) on proportions and on samples, and the Population Stability
// Index. Samples are binned as Evidently bins them (see _binning.ts). No p-values, no weighted samples.
import { ValidationError } from '../../errors/index.js';
import { binnedShares, type Binning } from './_binning.js';
import { checkCategoricalSample, checkNumericSample, type Category } from './_samples.js';

/** Options for the sample-based Jensen-Shannon distance and PSI. */
export interface BinnedDistanceOptions {
  /** Bins for numeric samples with more than 20 distinct reference values (default 'sturges', as Evidently). */
  bins?: Binning;
}

/** A sample of numbers, or of categories (strings). */
export type DriftSample = ArrayLike<number> | readonly string[];

// Evidently's floor for the reference standard deviation: a constant reference still yields a finite distance
const minimumStandardDeviation = 0.001;

/** The 1-D Wasserstein (earth mover's) distance: ∫ |F_u(x) - F_v(x)| dx over the two ECDFs. */
export function wassersteinDistance(u: ArrayLike<number>, v: ArrayLike<number>): number {
  checkNumericSample(u, 'reference');
  checkNumericSample(v, 'current');
  const first = Float64Array.from(u).sort();
  const second = Float64Array.from(v).sort();
  let i = 0;
  let j = 0;
  let distance = 0;
  let previous = Math.min(first[0], second[0]);
  while (i < first.length || j < second.length) {
    const value = j >= second.length || (i < first.length && first[i] <= second[j]) ? first[i] : second[j];
    // the ECDF gap holds on [previous, value): both ECDFs count the values strictly below `value`
    distance += Math.abs(i / first.length - j / second.length) * (value - previous);
    while (i < first.length && first[i] <= value) i++;
    while (j < second.length && second[j] <= value) j++;
    previous = value;
  }
  return distance;
}

/** Evidently's normed Wasserstein distance: the distance over max(reference population std, 0.001). */
export function normedWassersteinDistance(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  const distance = wassersteinDistance(reference, current);
  let mean = 0;
  for (let i = 0; i < reference.length; i++) mean += reference[i];
  mean /= reference.length;
  let squares = 0;
  for (let i = 0; i < reference.length; i++) squares += (reference[i] - mean) ** 2;
  const standardDeviation = Math.sqrt(squares / reference.length);
  return distance / Math.max(standardDeviation, minimumStandardDeviation);
}

/**
 * Jensen-Shannon distance between two discrete distributions (scipy.spatial.distance.jensenshannon):
 * both are normalized to sum to 1, and the result is √JS-divergence. Base 2 by default, as Evidently
 * calls it, so the distance lies in [0, 1] and Evidently's 0.1 threshold means what it says there.
 */
export function jensenShannonDistance(p: ArrayLike<number>, q: ArrayLike<number>, base = 2): number {
  if (p.length === 0 || p.length !== q.length) {
    throw new ValidationError(
      `Jensen-Shannon needs two distributions of equal length (got ${p.length} and ${q.length})`,
      {
        code: 'DRIFT_COUNT_MISMATCH',
        hint: 'Pass one weight per category for both distributions, over the same categories.',
      },
    );
  }
  let pTotal = 0;
  let qTotal = 0;
  for (let i = 0; i < p.length; i++) {
    if (!(p[i] >= 0) || !(q[i] >= 0) || !Number.isFinite(p[i] + q[i])) {
      throw new ValidationError(
        `Jensen-Shannon weights must be finite and non-negative (index ${i}: ${p[i]}, ${q[i]})`,
        {
          code: 'DRIFT_INVALID_COUNTS',
          hint: 'Pass counts or proportions, not log-probabilities.',
        },
      );
    }
    pTotal += p[i];
    qTotal += q[i];
  }
  if (pTotal === 0 || qTotal === 0) {
    throw new ValidationError('a Jensen-Shannon distribution has no mass (all weights are zero)', {
      code: 'DRIFT_INVALID_COUNTS',
      hint: 'Each distribution needs at least one positive weight.',
    });
  }
  let divergence = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i] / pTotal;
    const b = q[i] / qTotal;
    const middle = (a + b) / 2;
    if (a > 0) divergence += a * Math.log(a / middle);
    if (b > 0) divergence += b * Math.log(b / middle);
  }
  // rounding can leave a hair below zero for identical inputs
  return Math.sqrt(Math.max(0, divergence / 2 / Math.log(base)));
}

/** Evidently's Jensen-Shannon drift distance between two samples, binned or counted per category (base 2). */
export function sampleJensenShannonDistance(
  reference: DriftSample,
  current: DriftSample,
  options: BinnedDistanceOptions = {},
): number {
  checkSamples(reference, current);
  const shares = binnedShares(reference as ArrayLike<Category>, current as ArrayLike<Category>, options.bins);
  return jensenShannonDistance(shares.reference, shares.current, 2);
}

/**
 * The Population Stability Index Σ (r - c)·ln(r/c) over shared bins, as Evidently computes it: an
 * empty bin's share becomes 0.0001, or a millionth of the smallest non-empty share when that is
 * smaller still, so the logarithm stays finite without swamping small real shares.
 */
export function populationStabilityIndex(
  reference: DriftSample,
  current: DriftSample,
  options: BinnedDistanceOptions = {},
): number {
  checkSamples(reference, current);
  const shares = binnedShares(reference as ArrayLike<Category>, current as ArrayLike<Category>, options.bins);
  const referenceShares = fillEmptyBins(shares.reference);
  const currentShares = fillEmptyBins(shares.current);
  let index = 0;
  for (let i = 0; i < referenceShares.length; i++) {
    index += (referenceShares[i] - currentShares[i]) * Math.log(referenceShares[i] / currentShares[i]);
  }
  return index;
}

function fillEmptyBins(shares: number[]): number[] {
  let smallest = Infinity;
  for (const share of shares) if (share > 0 && share < smallest) smallest = share;
  const filler = smallest <= 0.0001 ? smallest / 1e6 : 0.0001;
  return shares.map((share) => (share === 0 ? filler : share));
}

function checkSamples(reference: DriftSample, current: DriftSample): void {
  const numeric = typeof reference[0] === 'number';
  if (reference.length > 0 && current.length > 0 && numeric !== (typeof current[0] === 'number')) {
    throw new ValidationError('the reference and current samples differ in kind (numbers against strings)', {
      code: 'DRIFT_SAMPLE_KIND_MISMATCH',
      hint: 'Compare numbers with numbers and categories with categories.',
    });
  }
  if (numeric) {
    checkNumericSample(reference as ArrayLike<number>, 'reference');
    checkNumericSample(current as ArrayLike<number>, 'current');
  } else {
    checkCategoricalSample(reference as readonly string[], 'reference');
    checkCategoricalSample(current as readonly string[], 'current');
  }
}
