// Special functions against scipy.special / scipy.stats values from the reference fixture, each with
// its relative tolerance in the assertion message, plus identities that need no reference.
import { describe, expect, it } from 'vitest';
import { readDriftFixture, relativeError } from './drift-samples.case.js';
import {
  chiSquaredSurvival,
  kolmogorovSurvival,
  logGamma,
  normalSurvival,
  regularizedUpperGamma,
} from './special-functions.js';

const fixture = readDriftFixture();

function worst<T>(rows: T[], error: (row: T) => number): { error: number; row: T } {
  return rows.map((row) => ({ error: error(row), row })).reduce((a, b) => (b.error > a.error ? b : a));
}

describe('special functions against scipy', () => {
  it('logGamma matches scipy.special.gammaln to 1e-13 relative (absolute near its zeros at 1 and 2)', () => {
    const { error, row } = worst(fixture.special.logGamma, ({ x, value }) =>
      relativeError(logGamma(x), value, 1),
    );
    expect(error, `worst at x=${row.x}: ${error} (tolerance 1e-13)`).toBeLessThan(1e-13);
  });

  it('regularizedUpperGamma matches scipy.special.gammaincc to 1e-12 relative', () => {
    const { error, row } = worst(fixture.special.upperGamma, ({ a, x, value }) =>
      relativeError(regularizedUpperGamma(a, x), value, 1e-300),
    );
    expect(error, `worst at a=${row.a}, x=${row.x}: ${error} (tolerance 1e-12)`).toBeLessThan(1e-12);
  });

  it('chiSquaredSurvival matches scipy.stats.chi2.sf to 1e-12 relative', () => {
    const { error, row } = worst(fixture.special.chiSquared, ({ statistic, df, value }) =>
      relativeError(chiSquaredSurvival(statistic, df), value),
    );
    expect(error, `worst at x=${row.statistic}, df=${row.df}: ${error} (tolerance 1e-12)`).toBeLessThan(
      1e-12,
    );
  });

  it('normalSurvival matches scipy.stats.norm.sf to 1e-12 relative, far tails included', () => {
    const { error, row } = worst(fixture.special.normalSurvival, ({ z, value }) =>
      relativeError(normalSurvival(z), value),
    );
    expect(error, `worst at z=${row.z}: ${error} (tolerance 1e-12)`).toBeLessThan(1e-12);
  });

  it('kolmogorovSurvival matches scipy.special.kolmogorov to 1e-12 relative', () => {
    const { error, row } = worst(fixture.special.kolmogorov, ({ z, value }) =>
      relativeError(kolmogorovSurvival(z), value),
    );
    expect(error, `worst at z=${row.z}: ${error} (tolerance 1e-12)`).toBeLessThan(1e-12);
  });
});

describe('special function identities', () => {
  it('logGamma(n + 1) is log(n!)', () => {
    let logFactorial = 0;
    for (let n = 1; n <= 30; n++) {
      logFactorial += Math.log(n);
      expect(relativeError(logGamma(n + 1), logFactorial, 1)).toBeLessThan(1e-14);
    }
  });

  it('Q(1, x) is exp(-x) and chi-squared with 2 degrees of freedom is exp(-x/2)', () => {
    for (const x of [0.1, 1, 5, 30]) {
      expect(relativeError(regularizedUpperGamma(1, x), Math.exp(-x))).toBeLessThan(1e-13);
      expect(relativeError(chiSquaredSurvival(x, 2), Math.exp(-x / 2))).toBeLessThan(1e-13);
    }
  });

  it('rejects arguments outside the domain with NaN and handles the ends', () => {
    expect(logGamma(0)).toBeNaN();
    expect(regularizedUpperGamma(-1, 1)).toBeNaN();
    expect(regularizedUpperGamma(2, 0)).toBe(1);
    expect(chiSquaredSurvival(0, 3)).toBe(1);
    expect(kolmogorovSurvival(0)).toBe(1);
    expect(relativeError(kolmogorovSurvival(10), 2 * Math.exp(-200))).toBeLessThan(1e-12);
  });
});
