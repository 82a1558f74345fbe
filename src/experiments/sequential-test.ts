// An always-valid test of the difference between two arms' means: the mixture sequential probability
// ratio test (mSPRT) of Johari, Koomen, Pekelis and Walsh ("Always Valid Inference: Continuous
// Monitoring of A/B Tests", Operations Research 2022), with a normal mixture of effect sizes. Its
// p-value and confidence sequence stay valid however often they are looked at: stopping at the first
// look where p < alpha keeps the false positive rate at or below alpha. The variance is estimated from
// both arms pooled (so the guarantee is asymptotic; a minimum sample per arm guards the first looks).

/** Running count, mean and variance of one arm's metric (Welford's method). */
export interface Moments {
  n: number;
  mean: number;
  /** Sum of squared deviations from the mean. */
  squares: number;
}

/** No observations yet. */
export const emptyMoments = (): Moments => ({ n: 0, mean: 0, squares: 0 });

/** The moments with one more observation. */
export function addObservation(moments: Moments, value: number): Moments {
  const n = moments.n + 1;
  const delta = value - moments.mean;
  const mean = moments.mean + delta / n;
  return { n, mean, squares: moments.squares + delta * (value - mean) };
}

/** Two arms' observations as one (Chan et al.'s parallel update). */
export function combined(a: Moments, b: Moments): Moments {
  const n = a.n + b.n;
  if (n === 0) return emptyMoments();
  const delta = b.mean - a.mean;
  return {
    n,
    mean: a.mean + (delta * b.n) / n,
    squares: a.squares + b.squares + (delta * delta * a.n * b.n) / n,
  };
}

/** The sample variance (0 with fewer than two observations). */
export const variance = (moments: Moments) => (moments.n > 1 ? moments.squares / (moments.n - 1) : 0);

/** How the test is run. */
export interface SequentialOptions {
  /** The error rate held at every look (default 0.05). */
  alpha?: number;
  /** Standard deviation of the normal mixture over effect sizes, on the metric's scale (default 0.1). */
  mixture?: number;
  /** Observations each arm needs before the test may decide (default 100). */
  minimumPerArm?: number;
}

/** The test's state after a look. */
export interface SequentialResult {
  /** Treatment mean minus control mean. */
  difference: number;
  /** The mixture likelihood ratio against "no difference". */
  likelihoodRatio: number;
  /** Always-valid p-value: the smallest 1 / ratio seen so far (capped at 1). */
  pValue: number;
  /** Always-valid confidence sequence for the difference at level 1 − alpha. */
  interval: [number, number];
  /** Whether the treatment is better, worse, or not yet known. */
  decision: 'treatment-better' | 'treatment-worse' | 'continue';
}

/**
 * The test after a look at `control` and `treatment`, given the p-value after the previous look
 * (always-valid p-values only decrease).
 */
export function sequentialTest(
  control: Moments,
  treatment: Moments,
  previousPValue = 1,
  options: SequentialOptions = {},
): SequentialResult {
  const { alpha = 0.05, mixture = 0.1, minimumPerArm = 100 } = options;
  const difference = treatment.mean - control.mean;
  // the variance of both arms pooled, as under "no difference": an arm whose few rare events all fell
  // one way (variance 0) cannot make a small difference look certain
  const spread =
    control.n > 0 && treatment.n > 0
      ? variance(combined(control, treatment)) * (1 / control.n + 1 / treatment.n)
      : 0;
  const tau2 = mixture * mixture;
  if (!(spread > 0) || control.n < minimumPerArm || treatment.n < minimumPerArm)
    return {
      difference,
      likelihoodRatio: 1,
      pValue: previousPValue,
      interval: [-Infinity, Infinity],
      decision: 'continue',
    };
  const likelihoodRatio =
    Math.sqrt(spread / (spread + tau2)) *
    Math.exp((tau2 * difference * difference) / (2 * spread * (spread + tau2)));
  const pValue = Math.min(previousPValue, 1 / likelihoodRatio, 1);
  const radius = confidenceRadius(spread, tau2, alpha);
  const decision = pValue >= alpha ? 'continue' : difference > 0 ? 'treatment-better' : 'treatment-worse';
  return {
    difference,
    likelihoodRatio,
    pValue,
    interval: [difference - radius, difference + radius],
    decision,
  };
}

/** The confidence sequence's half-width: the differences the mixture ratio would not reject at alpha. */
function confidenceRadius(spread: number, tau2: number, alpha: number): number {
  return Math.sqrt(
    ((2 * spread * (spread + tau2)) / tau2) *
      (Math.log(1 / alpha) + 0.5 * Math.log((spread + tau2) / spread)),
  );
}

/**
 * About how many more observations (both arms together, split as `treatmentShare` says) the confidence
 * sequence's lower end needs to rise above `floor`, were the difference and the variance to stay as
 * they are (0: it is above now). Undefined when no amount would: the difference itself is at or below
 * the floor, or nothing varies yet. An estimate for people waiting on a non-inferiority decision, not
 * a stopping rule.
 */
export function observationsToClear(
  control: Moments,
  treatment: Moments,
  floor: number,
  treatmentShare: number,
  options: Pick<SequentialOptions, 'alpha' | 'mixture'> = {},
): number | undefined {
  const { alpha = 0.05, mixture = 0.1 } = options;
  const difference = treatment.mean - control.mean;
  if (control.n === 0 || treatment.n === 0 || !(difference > floor)) return undefined;
  if (!(treatmentShare > 0 && treatmentShare <= 1)) return undefined;
  const pooled = variance(combined(control, treatment));
  if (!(pooled > 0 && Number.isFinite(pooled))) return undefined;
  const tau2 = mixture * mixture;
  const clears = (more: number) => {
    const spread =
      pooled * (1 / (control.n + (1 - treatmentShare) * more) + 1 / (treatment.n + treatmentShare * more));
    return difference - confidenceRadius(spread, tau2, alpha) > floor;
  };
  if (clears(0)) return 0;
  // the radius goes to 0 as the observations grow, so this ends; the bound is for values past reason
  let high = 1;
  while (!clears(high)) {
    if (high > 2 ** 50) return undefined;
    high *= 2;
  }
  let low = high / 2 < 1 ? 0 : high / 2;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (clears(middle)) high = middle;
    else low = middle;
  }
  return high;
}
