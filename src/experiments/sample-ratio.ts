// The sample-ratio-mismatch check: whether the arms' request counts fit the weights they were assigned
// with (Pearson's chi-square goodness of fit). A mismatch means assignment or logging is broken, and
// the comparison cannot be trusted whatever its p-value says.

/** log Γ(x) for x > 0 (Lanczos, g = 7). */
function logGamma(x: number): number {
  const coefficients = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const shifted = x - 1;
  let sum = coefficients[0];
  for (let i = 1; i < coefficients.length; i++) sum += coefficients[i] / (shifted + i);
  const t = shifted + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (shifted + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** The regularized upper incomplete gamma function Q(a, x). */
export function upperGamma(a: number, x: number): number {
  if (x <= 0) return 1;
  const front = Math.exp(-x + a * Math.log(x) - logGamma(a));
  if (x < a + 1) {
    // the series for P(a, x)
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 500 && Math.abs(term) > Math.abs(sum) * 1e-15; n++) {
      term *= x / (a + n);
      sum += term;
    }
    return Math.max(0, 1 - front * sum);
  }
  // the continued fraction for Q(a, x) (modified Lentz)
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 500; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-15) break;
  }
  return Math.min(1, front * h);
}

/** What the check found. */
export interface SampleRatio {
  chiSquare: number;
  pValue: number;
  /** p below the threshold (default 0.001, as GrowthBook and Statsig use). */
  mismatch: boolean;
}

/** Whether `counts` fit `weights` (same order; weights normalized). */
export function sampleRatioCheck(counts: number[], weights: number[], threshold = 0.001): SampleRatio {
  const total = counts.reduce((sum, count) => sum + count, 0);
  const weightSum = weights.reduce((sum, weight) => sum + weight, 0);
  let chiSquare = 0;
  let cells = 0;
  counts.forEach((count, index) => {
    const expected = (total * weights[index]) / weightSum;
    if (expected <= 0) return;
    chiSquare += (count - expected) ** 2 / expected;
    cells++;
  });
  const pValue = total === 0 || cells < 2 ? 1 : upperGamma((cells - 1) / 2, chiSquare / 2);
  return { chiSquare, pValue, mismatch: pValue < threshold };
}
