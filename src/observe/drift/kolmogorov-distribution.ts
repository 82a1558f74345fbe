// The finite-sample Kolmogorov-Smirnov distributions: the two-sided Dₙ (scipy.stats.kstwo) and the
// one-sided Dₙ⁺ (scipy.special.smirnov), with the algorithm choice of Simard & L'Ecuyer (2011) that
// scipy follows, so the two-sample test's asymptotic p-values agree with scipy's. Survival functions
// only: no CDF-precision lower tail, no quantiles, no densities.
import { logGamma } from './special-functions.js';

const scaleUp = 2 ** 128;
const scaleDown = 2 ** -128;

/** P(Dₙ ≥ statistic) for the two-sided one-sample Kolmogorov-Smirnov statistic of n observations. */
export function kolmogorovSmirnovSurvival(sampleSize: number, statistic: number): number {
  const n = sampleSize;
  const x = statistic;
  if (!Number.isInteger(n) || n <= 0 || Number.isNaN(x)) return Number.NaN;
  if (x >= 1) return 0;
  if (x <= 0) return 1;
  const t = n * x;
  if (t <= 1) {
    // Ruben-Gambino: below 1/n the CDF is n!/nⁿ (2t - 1)ⁿ
    if (t <= 0.5) return 1;
    return clamp(1 - rubenGambinoCdf(n, t));
  }
  if (t >= n - 1) return clamp(2 * (1 - x) ** n);
  // above 1/2 the two one-sided events cannot both happen, so the two-sided tail is twice the one-sided
  if (x >= 0.5) return clamp(2 * smirnovSurvival(n, x));
  const nxSquared = t * x;
  if (n <= 140) {
    // exact for small n (scipy uses Pomeranz's recursion between 0.754693 and 4: the same exact value)
    if (nxSquared <= 4) return clamp(1 - durbinMatrixCdf(n, x));
    return clamp(2 * smirnovSurvival(n, x));
  }
  if (nxSquared >= 370) return 0;
  if (nxSquared >= 2.2) return clamp(2 * smirnovSurvival(n, x));
  if (n <= 100_000 && n * x ** 1.5 <= 1.4) return clamp(1 - durbinMatrixCdf(n, x));
  return clamp(1 - pelzGoodCdf(n, x));
}

/** P(Dₙ⁺ ≥ statistic) for the one-sided Kolmogorov-Smirnov statistic (Birnbaum-Tingey sum, exact). */
export function smirnovSurvival(sampleSize: number, statistic: number): number {
  const n = sampleSize;
  const x = statistic;
  if (!Number.isInteger(n) || n <= 0 || Number.isNaN(x)) return Number.NaN;
  if (x >= 1) return 0;
  if (x <= 0) return 1;
  // x Σ_{j=0}^{⌊n(1-x)⌋} C(n, j) (1 - x - j/n)^(n-j) (x + j/n)^(j-1): every term is positive, so
  // summing them in log space keeps full relative precision at any n
  const last = Math.floor(n * (1 - x));
  const logFactorialN = logGamma(n + 1);
  let sum = 0;
  for (let j = 0; j <= last; j++) {
    const below = 1 - x - j / n;
    if (below <= 0) break;
    const logTerm =
      logFactorialN -
      logGamma(j + 1) -
      logGamma(n - j + 1) +
      (n - j) * Math.log(below) +
      (j - 1) * Math.log(x + j / n);
    sum += Math.exp(logTerm);
  }
  return clamp(x * sum);
}

/** n!/nⁿ (2t - 1)ⁿ, the exact CDF for 1/(2n) < x ≤ 1/n (t = nx). */
function rubenGambinoCdf(n: number, t: number): number {
  if (n <= 140) {
    let product = 1;
    for (let i = 1; i <= n; i++) product *= (i / n) * (2 * t - 1);
    return product;
  }
  return Math.exp(logGamma(n + 1) - n * Math.log(n) + n * Math.log(2 * t - 1));
}

/**
 * P(Dₙ < d) by Durbin's matrix method as Marsaglia, Tsang & Wang (2003) evaluate it: write
 * d = (k - h)/n, build the (2k-1)² matrix H, and read n!/nⁿ (Hⁿ)_{kk}, rescaling as powers grow.
 */
function durbinMatrixCdf(n: number, d: number): number {
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  const inverseFactorial = new Float64Array(m + 2);
  inverseFactorial[0] = 1;
  for (let i = 1; i <= m + 1; i++) inverseFactorial[i] = inverseFactorial[i - 1] / i;
  let matrix: Float64Array = new Float64Array(m * m); // (m, m) row-major
  // lower-triangular band of 1/(row - column + 1)!, first column and last row corrected for h
  for (let row = 0; row < m; row++) {
    for (let column = 0; column <= row + 1 && column < m; column++) {
      matrix[row * m + column] = inverseFactorial[row - column + 1];
    }
  }
  for (let row = 0; row < m; row++) matrix[row * m] = (1 - h ** (row + 1)) * inverseFactorial[row + 1];
  for (let column = 0; column < m; column++) {
    matrix[(m - 1) * m + column] = (1 - h ** (m - column)) * inverseFactorial[m - column];
  }
  matrix[(m - 1) * m] = (1 - 2 * h ** m + Math.max(0, 2 * h - 1) ** m) * inverseFactorial[m];

  let result: Float64Array = identity(m);
  let resultExponent = 0;
  let matrixExponent = 0;
  for (let remaining = n; remaining > 0; remaining = Math.floor(remaining / 2)) {
    if (remaining % 2 === 1) {
      result = multiply(result, matrix, m);
      resultExponent += matrixExponent;
      if (Math.abs(result[(k - 1) * m + (k - 1)]) > scaleUp) {
        for (let i = 0; i < result.length; i++) result[i] *= scaleDown;
        resultExponent += 128;
      }
    }
    if (remaining > 1) {
      matrix = multiply(matrix, matrix, m);
      matrixExponent *= 2;
      if (Math.abs(matrix[(k - 1) * m + (k - 1)]) > scaleUp) {
        for (let i = 0; i < matrix.length; i++) matrix[i] *= scaleDown;
        matrixExponent += 128;
      }
    }
  }
  let probability = result[(k - 1) * m + (k - 1)];
  let exponent = resultExponent;
  for (let i = 1; i <= n; i++) {
    probability = (probability * i) / n;
    if (Math.abs(probability) < scaleDown) {
      probability *= scaleUp;
      exponent -= 128;
    }
  }
  return scaleByPowerOfTwo(probability, exponent);
}

/**
 * Pelz & Good's (1976) expansion of P(Dₙ ≤ x): K₀(z) + K₁(z)/√n + K₂(z)/n + K₃(z)/n^1.5 at z = x√n,
 * each term rewritten with Jacobi theta identities into sums that converge fast for small z.
 */
function pelzGoodCdf(n: number, x: number): number {
  const z = Math.sqrt(n) * x;
  const z2 = z * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const piSquared = Math.PI * Math.PI;
  const piFourth = piSquared * piSquared;
  const piSixth = piFourth * piSquared;
  const logQ = -piSquared / 8 / z2;
  if (logQ < -708) return 0;
  const q = Math.exp(logQ);
  const k1a = -z2;
  const k1b = piSquared / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * piSquared) / 4;
  const k2c = (piFourth * (1 - 2 * z2)) / 16;
  const k3a = -30 * z6 - 90 * z4 * z4;
  const k3b = (piSquared * (135 * z4 - 96 * z6)) / 4;
  const k3c = (piFourth * (-60 * z2 + 212 * z4)) / 16;
  const k3d = (piSixth * (5 - 30 * z2)) / 64;
  // Σ_k c_k q^((2k-1)²) by Horner's rule: consecutive exponents differ by 8k
  const terms = [0, 0, 0, 0];
  const maximumK = Math.ceil((16 * z) / Math.PI);
  for (let k = maximumK; k >= 1; k--) {
    const odd = 2 * k - 1;
    const odd2 = odd * odd;
    const odd4 = odd2 * odd2;
    const qPower = q ** (8 * k);
    terms[0] = terms[0] * qPower + 1;
    terms[1] = terms[1] * qPower + k1a + k1b * odd2;
    terms[2] = terms[2] * qPower + k2a + k2b * odd2 + k2c * odd4;
    terms[3] = terms[3] * qPower + k3a + k3b * odd2 + k3c * odd4 + k3d * odd4 * odd2;
  }
  const scale = q * Math.sqrt(2 * Math.PI);
  const divisors = [z, 6 * z4, 72 * z6 * z, 6480 * z6 * z4];
  for (let i = 0; i < 4; i++) terms[i] = (terms[i] * scale) / divisors[i];
  // the remaining sums over all integers k of K₂ and K₃
  const r = Math.exp(-piSquared / 2 / z2);
  let extra2 = 0;
  let extra3 = 0;
  for (let k = maximumK; k >= 1; k--) {
    const k2 = k * k;
    const power = r ** k2;
    extra2 += k2 * power;
    extra3 += (3 * z2 - piSquared * k2) * k2 * power;
  }
  terms[2] += (extra2 * piSquared * Math.sqrt(2 * Math.PI)) / (-36 * z2 * z);
  terms[3] += (extra3 * piSquared * Math.sqrt(2 * Math.PI)) / (216 * z6);
  return terms[0] + terms[1] / Math.sqrt(n) + terms[2] / n + terms[3] / (n * Math.sqrt(n));
}

function identity(size: number): Float64Array {
  const matrix = new Float64Array(size * size);
  for (let i = 0; i < size; i++) matrix[i * size + i] = 1;
  return matrix;
}

function multiply(left: Float64Array, right: Float64Array, size: number): Float64Array {
  const product = new Float64Array(size * size);
  for (let row = 0; row < size; row++) {
    for (let inner = 0; inner < size; inner++) {
      const value = left[row * size + inner];
      if (value === 0) continue;
      for (let column = 0; column < size; column++) {
        product[row * size + column] += value * right[inner * size + column];
      }
    }
  }
  return product;
}

function scaleByPowerOfTwo(value: number, exponent: number): number {
  let scaled = value;
  let remaining = exponent;
  while (remaining >= 128) {
    scaled *= scaleUp;
    remaining -= 128;
  }
  while (remaining <= -128) {
    scaled *= scaleDown;
    remaining += 128;
  }
  return scaled * 2 ** remaining;
}

function clamp(probability: number): number {
  return Math.min(1, Math.max(0, probability));
}
