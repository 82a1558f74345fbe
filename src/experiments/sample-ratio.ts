// The sample-ratio-mismatch check: whether the arms' request counts fit the weights they were assigned
// with (Pearson's chi-square goodness of fit). A mismatch means assignment or logging is broken, and
// the comparison cannot be trusted whatever its p-value says. The statistic and its p-value are
// observe's chi-squared goodness of fit (the one the drift tests use).
import { chiSquaredGoodnessOfFit } from '../observe/index.js';

/** What the check found. */
export interface SampleRatio {
  chiSquare: number;
  pValue: number;
  /** p below the threshold (default 0.001, as GrowthBook and Statsig use). */
  mismatch: boolean;
}

/** Whether `counts` fit `weights` (same order; weights normalized; arms without weight are left out). */
export function sampleRatioCheck(counts: number[], weights: number[], threshold = 0.001): SampleRatio {
  const total = counts.reduce((sum, count) => sum + count, 0);
  const weightSum = weights.reduce((sum, weight) => sum + weight, 0);
  const cells = counts.flatMap((count, index) =>
    weights[index] > 0 ? [{ count, expected: (total * weights[index]) / weightSum }] : [],
  );
  if (total === 0 || cells.length < 2) return { chiSquare: 0, pValue: 1, mismatch: false };
  const { statistic, pValue } = chiSquaredGoodnessOfFit(
    cells.map((cell) => cell.count),
    cells.map((cell) => cell.expected),
  );
  return { chiSquare: statistic, pValue, mismatch: pValue < threshold };
}
