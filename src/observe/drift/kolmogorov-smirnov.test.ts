// The two-sample KS test against scipy.stats.ks_2samp on seeded samples (ties, unequal sizes, the
// exact and the asymptotic path), plus its false-positive rate on samples from one distribution.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../engine/random.js';
import { ValidationError } from '../../errors/index.js';
import { numericSample, readDriftFixture } from './drift-samples.case.js';
import { kolmogorovSmirnovTest } from './kolmogorov-smirnov.js';

const cases = readDriftFixture().kolmogorovSmirnov;

describe('kolmogorovSmirnovTest against scipy.stats.ks_2samp', () => {
  it.each(cases.map((row) => [row.name, row] as const))('%s', (_name, row) => {
    const result = kolmogorovSmirnovTest(numericSample(row.reference), numericSample(row.current), {
      method: row.method,
    });
    const expectedMethod =
      row.method === 'asymptotic' || Math.max(row.reference.size, row.current.size) > 10_000
        ? 'asymptotic'
        : 'exact';
    expect(result.method).toBe(expectedMethod);
    const statisticError = Math.abs(result.statistic - row.statistic);
    expect(
      statisticError,
      `statistic ${result.statistic} vs ${row.statistic} (tolerance 1e-12)`,
    ).toBeLessThan(1e-12);
    const pValueError = Math.abs(result.pValue - row.pValue);
    const tolerance = expectedMethod === 'exact' ? 1e-6 : 1e-4;
    expect(
      pValueError,
      `p ${result.pValue} vs ${row.pValue}: ${pValueError} (${expectedMethod}, tolerance ${tolerance})`,
    ).toBeLessThan(tolerance);
  });

  it('covers both paths, ties and unequal sizes', () => {
    const sizes = cases.map((row) => Math.max(row.reference.size, row.current.size));
    expect(sizes.some((size) => size > 10_000)).toBe(true);
    expect(cases.some((row) => row.reference.step !== undefined)).toBe(true);
    expect(cases.some((row) => row.reference.size !== row.current.size)).toBe(true);
  });
});

describe('kolmogorovSmirnovTest behaviour', () => {
  it('is symmetric in its samples and reports D = 1 for disjoint ones', () => {
    const low = [1, 2, 3, 4, 5];
    const high = [10, 11, 12];
    const forward = kolmogorovSmirnovTest(low, high);
    const backward = kolmogorovSmirnovTest(high, low);
    expect(forward.statistic).toBe(1);
    expect(forward.pValue).toBeCloseTo(backward.pValue, 15);
    // every arrangement but the two extremes keeps D below 1: p = 2 / C(8, 3)
    expect(forward.pValue).toBeCloseTo(2 / 56, 14);
  });

  it('rejects at alpha 0.05 in at most 8% of 200 seeded pairs drawn from one distribution', () => {
    const random = seededRandom(2024);
    const draw = (size: number) => Array.from({ length: size }, () => random() + random() + random());
    let rejections = 0;
    for (let trial = 0; trial < 200; trial++) {
      if (kolmogorovSmirnovTest(draw(40 + (trial % 7) * 10), draw(60)).pValue < 0.05) rejections++;
    }
    expect(rejections / 200, `rejection rate ${rejections / 200} (limit 0.08)`).toBeLessThanOrEqual(0.08);
  });

  it('detects a clear shift', () => {
    const random = seededRandom(7);
    const reference = Array.from({ length: 200 }, () => random());
    const current = Array.from({ length: 200 }, () => random() + 0.3);
    expect(kolmogorovSmirnovTest(reference, current).pValue).toBeLessThan(1e-6);
  });

  it('rejects empty and non-finite samples and unknown methods with a ValidationError', () => {
    const codeOf = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return ValidationError.isInstance(error) ? error.code : 'not a ValidationError';
      }
      return 'no error';
    };
    expect(codeOf(() => kolmogorovSmirnovTest([], [1]))).toBe('DRIFT_EMPTY_SAMPLE');
    expect(codeOf(() => kolmogorovSmirnovTest([1, Number.NaN], [1]))).toBe('DRIFT_NON_FINITE_VALUE');
    expect(codeOf(() => kolmogorovSmirnovTest([1], [2], { method: 'fast' as never }))).toBe(
      'DRIFT_INVALID_OPTION',
    );
  });
});
