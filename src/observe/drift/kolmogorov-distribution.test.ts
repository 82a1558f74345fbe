// The finite-n Kolmogorov-Smirnov distributions against scipy.stats.kstwo.sf and scipy.special.smirnov
// on a grid that visits every branch (Ruben-Gambino ends, Durbin matrix, Pelz-Good, Smirnov's sum).
import { describe, expect, it } from 'vitest';
import { readDriftFixture, relativeError } from './drift-samples.case.js';
import { kolmogorovSmirnovSurvival, smirnovSurvival } from './kolmogorov-distribution.js';
import { kolmogorovSurvival } from './special-functions.js';

const grid = readDriftFixture().kolmogorovDistribution;

function worst(error: (row: (typeof grid)[number]) => number) {
  return grid.map((row) => ({ error: error(row), row })).reduce((a, b) => (b.error > a.error ? b : a));
}

describe('kolmogorovSmirnovSurvival (scipy.stats.kstwo.sf)', () => {
  it(`matches scipy at ${grid.length} points to 1e-9 relative`, () => {
    const { error, row } = worst(({ n, x, survival }) =>
      relativeError(kolmogorovSmirnovSurvival(n, x), survival, 1e-300),
    );
    expect(error, `worst at n=${row.n}, x=${row.x}: ${error} (tolerance 1e-9)`).toBeLessThan(1e-9);
  });

  it('approaches the limiting Kolmogorov distribution as n grows', () => {
    const z = 1.36;
    const gap = (n: number) =>
      Math.abs(kolmogorovSmirnovSurvival(n, z / Math.sqrt(n)) - kolmogorovSurvival(z));
    expect(gap(100_000)).toBeLessThan(gap(1000));
    expect(gap(100_000)).toBeLessThan(1e-3);
  });

  it('is 1 at zero, 0 at one, and NaN for a non-integer size', () => {
    expect(kolmogorovSmirnovSurvival(10, 0)).toBe(1);
    expect(kolmogorovSmirnovSurvival(10, 1)).toBe(0);
    expect(kolmogorovSmirnovSurvival(2.5, 0.3)).toBeNaN();
  });
});

describe('smirnovSurvival (scipy.special.smirnov)', () => {
  it(`matches scipy at ${grid.length} points to 1e-9 relative`, () => {
    const { error, row } = worst(({ n, x, smirnov }) =>
      relativeError(smirnovSurvival(n, x), smirnov, 1e-300),
    );
    expect(error, `worst at n=${row.n}, x=${row.x}: ${error} (tolerance 1e-9)`).toBeLessThan(1e-9);
  });

  it('for one observation is 1 - x', () => {
    for (const x of [0.1, 0.5, 0.9]) expect(smirnovSurvival(1, x)).toBeCloseTo(1 - x, 14);
  });
});
