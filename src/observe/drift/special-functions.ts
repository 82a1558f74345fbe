// Special functions behind the drift tests' p-values: log-gamma, the regularized upper incomplete
// gamma (chi-squared and normal tails), and the limiting Kolmogorov distribution's survival function.
// Accurate to about 1e-13 relative in the ranges the tests use; not a general special-function library
// (no complex arguments, no negative log-gamma arguments, no inverses).

// Lanczos approximation, g = 7, nine coefficients: about 1e-15 relative for x > 0.
const lanczosG = 7;
const lanczosCoefficients = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
const halfLogTwoPi = 0.5 * Math.log(2 * Math.PI);
const epsilon = 2.220446049250313e-16;
const tiny = 1e-300;

/** The natural logarithm of the gamma function, for x > 0 (NaN otherwise). */
export function logGamma(x: number): number {
  if (!(x > 0)) return Number.NaN;
  if (x === Infinity) return Infinity;
  // below 0.5 the reflection keeps the series where it is accurate: Γ(x)Γ(1-x) = π / sin(πx)
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const shifted = x - 1;
  let series = lanczosCoefficients[0];
  for (let i = 1; i < lanczosCoefficients.length; i++) series += lanczosCoefficients[i] / (shifted + i);
  const t = shifted + lanczosG + 0.5;
  return halfLogTwoPi + (shifted + 0.5) * Math.log(t) - t + Math.log(series);
}

/** Q(a, x) = Γ(a, x) / Γ(a), the regularized upper incomplete gamma function, for a > 0 and x ≥ 0. */
export function regularizedUpperGamma(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) return Number.NaN;
  if (x === 0) return 1;
  if (x === Infinity) return 0;
  // the series for the lower function converges fast below a + 1, the continued fraction above it
  if (x < a + 1) return 1 - lowerGammaSeries(a, x);
  return upperGammaContinuedFraction(a, x);
}

/** P(a, x) by its power series x^a e^-x / Γ(a+1) · Σ x^n / ((a+1)…(a+n)). */
function lowerGammaSeries(a: number, x: number): number {
  let term = 1 / a;
  let sum = term;
  for (let n = 1; n < 10_000; n++) {
    term *= x / (a + n);
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * epsilon) break;
  }
  return sum * Math.exp(a * Math.log(x) - x - logGamma(a));
}

/** Q(a, x) by its continued fraction, evaluated with the modified Lentz method. */
function upperGammaContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let fraction = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    fraction *= delta;
    if (Math.abs(delta - 1) < epsilon) break;
  }
  return Math.exp(a * Math.log(x) - x - logGamma(a)) * fraction;
}

/** The chi-squared distribution's survival function P(X ≥ statistic) with the given degrees of freedom. */
export function chiSquaredSurvival(statistic: number, degreesOfFreedom: number): number {
  if (statistic <= 0) return 1;
  return regularizedUpperGamma(degreesOfFreedom / 2, statistic / 2);
}

/** The standard normal distribution's survival function P(Z ≥ z), accurate in the far tails too. */
export function normalSurvival(z: number): number {
  // erfc(t) = Q(1/2, t²) for t ≥ 0, and P(Z ≥ z) = erfc(z / √2) / 2
  const tail = 0.5 * regularizedUpperGamma(0.5, (z * z) / 2);
  return z >= 0 ? tail : 1 - tail;
}

/** The survival function of the limiting Kolmogorov distribution, P(√n·Dₙ ≥ z) as n → ∞. */
export function kolmogorovSurvival(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  if (z <= 0.04) return 1;
  if (z <= 0.82) {
    // small z: the theta-function form of the CDF, √(2π)/z · Σ_{k odd} exp(-k²π²/(8z²)), converges fast
    let cdf = 0;
    for (let k = 1; k < 40; k += 2) {
      const term = Math.exp((-k * k * Math.PI * Math.PI) / (8 * z * z));
      cdf += term;
      if (term < cdf * epsilon) break;
    }
    return Math.min(1, Math.max(0, 1 - (Math.sqrt(2 * Math.PI) / z) * cdf));
  }
  // large z: 2 Σ (-1)^(k-1) exp(-2k²z²), alternating and fast
  let survival = 0;
  for (let k = 1; k < 100; k++) {
    const term = Math.exp(-2 * k * k * z * z);
    survival += k % 2 === 1 ? term : -term;
    if (term < epsilon * survival) break;
  }
  return Math.min(1, Math.max(0, 2 * survival));
}
