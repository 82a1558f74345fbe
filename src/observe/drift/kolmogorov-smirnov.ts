// The two-sample Kolmogorov-Smirnov test with scipy.stats.ks_2samp's semantics: two-sided, ties counted
// through right-continuous ECDFs, method 'auto' exact when neither sample exceeds 10,000 values and
// otherwise the one-sample Dₙ distribution at n = round(mn/(m+n)), as scipy does. One-sided
// alternatives and weighted samples are deliberately left out.
import { ValidationError } from '../../errors/index.js';
import { kolmogorovSmirnovSurvival } from './kolmogorov-distribution.js';
import { checkNumericSample } from './_samples.js';

/** How the p-value is computed: 'auto' picks 'exact' up to 10,000 values per sample. */
export type KolmogorovSmirnovMethod = 'auto' | 'exact' | 'asymptotic';

/** The statistic D = sup |F_reference - F_current|, its two-sided p-value, and the method used. */
export interface KolmogorovSmirnovResult {
  statistic: number;
  pValue: number;
  method: 'exact' | 'asymptotic';
}

const maximumAutoExactSize = 10_000;
const int32Maximum = 2 ** 31 - 1;

/** Two-sample two-sided Kolmogorov-Smirnov test (scipy.stats.ks_2samp, method 'auto' by default). */
export function kolmogorovSmirnovTest(
  reference: ArrayLike<number>,
  current: ArrayLike<number>,
  options: { method?: KolmogorovSmirnovMethod } = {},
): KolmogorovSmirnovResult {
  checkNumericSample(reference, 'reference');
  checkNumericSample(current, 'current');
  const requested = options.method ?? 'auto';
  if (!['auto', 'exact', 'asymptotic'].includes(requested)) {
    throw new ValidationError(`unknown Kolmogorov-Smirnov method "${String(requested)}"`, {
      code: 'DRIFT_INVALID_OPTION',
      hint: "Use method 'auto', 'exact' or 'asymptotic'.",
    });
  }
  const first = Float64Array.from(reference).sort();
  const second = Float64Array.from(current).sort();
  const n1 = first.length;
  const n2 = second.length;
  let statistic = largestEcdfGap(first, second);

  const divisor = greatestCommonDivisor(n1, n2);
  let method: 'exact' | 'asymptotic';
  if (requested === 'auto') method = Math.max(n1, n2) <= maximumAutoExactSize ? 'exact' : 'asymptotic';
  // beyond 32-bit lattice sizes scipy gives up on the exact count, and so do we
  else if (requested === 'exact')
    method = n1 / divisor >= int32Maximum / (n2 / divisor) ? 'asymptotic' : 'exact';
  else method = 'asymptotic';

  if (method === 'exact') {
    // D is a multiple of 1/lcm(n1, n2); snapping it removes the ECDF differences' rounding
    const leastCommonMultiple = (n1 / divisor) * n2;
    const steps = Math.round(statistic * leastCommonMultiple);
    statistic = steps / leastCommonMultiple;
    const pValue =
      steps === 0
        ? 1
        : n1 === n2
          ? squareOutsideProbability(n1, steps)
          : bandOutsideProbability(n1, n2, divisor, steps);
    return { statistic, pValue: clamp(pValue), method };
  }
  const larger = Math.max(n1, n2);
  const smaller = Math.min(n1, n2);
  const effectiveSize = roundHalfToEven((larger * smaller) / (larger + smaller));
  return { statistic, pValue: clamp(kolmogorovSmirnovSurvival(effectiveSize, statistic)), method };
}

/** max over x of |F₁(x) - F₂(x)| with right-continuous ECDFs, evaluated at every observed value. */
function largestEcdfGap(first: Float64Array, second: Float64Array): number {
  let i = 0;
  let j = 0;
  let largest = 0;
  while (i < first.length || j < second.length) {
    const value = j >= second.length || (i < first.length && first[i] <= second[j]) ? first[i] : second[j];
    while (i < first.length && first[i] <= value) i++;
    while (j < second.length && second[j] <= value) j++;
    const gap = Math.abs(i / first.length - j / second.length);
    if (gap > largest) largest = gap;
  }
  return largest;
}

/**
 * P(D ≥ steps/n) for two samples of equal size n, by the reflection principle:
 * 2 Σ_{k≥1} (-1)^(k+1) C(2n, n - k·steps) / C(2n, n), evaluated in nested (Horner) form so no
 * large binomials or cancelling terms appear.
 */
function squareOutsideProbability(n: number, steps: number): number {
  let nested = 0;
  for (let k = Math.floor(n / steps); k >= 0; k--) {
    let ratio = 1;
    for (let j = 0; j < steps; j++) ratio = ((n - k * steps - j) * ratio) / (n + k * steps + j + 1);
    nested = ratio * (1 - nested);
  }
  return 2 * nested;
}

/**
 * P(D ≥ steps/lcm) for unequal sizes: the share of monotone lattice paths from (0,0) to (m,n) that
 * leave the band |x/m - y/n| < steps/lcm. Each point carries the probability that a random path to it
 * has already left (Viehmann 2021), which stays in [0, 1] and so never overflows.
 */
function bandOutsideProbability(size1: number, size2: number, divisor: number, steps: number): number {
  const m = Math.max(size1, size2);
  const n = Math.min(size1, size2);
  const mReduced = m / divisor;
  const nReduced = n / divisor;
  const column = new Float64Array(n + 1).fill(1); // P(left the band) at (x, y) for y = 0..n
  let low = 0;
  const firstHigh = Math.min(n, Math.ceil(steps / mReduced) - 1);
  for (let y = 0; y <= firstHigh; y++) column[y] = 0;
  for (let x = 1; x <= m; x++) {
    // inside the band: |nReduced·x - mReduced·y| < steps
    const newLow = Math.max(0, Math.floor((nReduced * x - steps) / mReduced) + 1);
    const high = Math.min(n, Math.ceil((nReduced * x + steps) / mReduced) - 1);
    if (newLow > high) return 1;
    for (let y = low; y < newLow; y++) column[y] = 1;
    low = newLow;
    let below = 1; // (x, low - 1) lies outside the band
    for (let y = low; y <= high; y++) {
      const value = (x * column[y] + y * below) / (x + y);
      column[y] = value;
      below = value;
    }
  }
  return column[n];
}

function greatestCommonDivisor(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

/** numpy's round: halves go to the even neighbour. */
function roundHalfToEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

function clamp(probability: number): number {
  return Math.min(1, Math.max(0, probability));
}
