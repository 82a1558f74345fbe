// Chi-squared goodness of fit and Evidently's drift variant against scipy.stats.chisquare, the
// proportion Z-test against Evidently's formula with scipy's normal tail, the treatment of categories
// new in the current sample, and the test's false-positive rate on samples from one distribution.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../engine/random.js';
import { ValidationError } from '../../errors/index.js';
import {
  chiSquaredGoodnessOfFit,
  chiSquaredHomogeneityTest,
  chiSquaredTest,
  proportionZTest,
} from './chi-squared.js';
import { categoricalSample, readDriftFixture, relativeError } from './drift-samples.case.js';

const fixture = readDriftFixture();

describe('chi-squared against scipy.stats.chisquare', () => {
  it.each(fixture.chiSquared.counts.map((row, i) => [i, row] as const))('counts case %i', (_i, row) => {
    const result = chiSquaredGoodnessOfFit(row.observed, row.expected);
    expect(result.degreesOfFreedom).toBe(row.observed.length - 1);
    const statisticError = relativeError(result.statistic, row.statistic);
    expect(
      statisticError,
      `statistic ${result.statistic} vs ${row.statistic} (tolerance 1e-12)`,
    ).toBeLessThan(1e-12);
    const pValueError = relativeError(result.pValue, row.pValue);
    expect(pValueError, `p ${result.pValue} vs ${row.pValue} (tolerance 1e-10 relative)`).toBeLessThan(1e-10);
  });

  it.each(fixture.chiSquared.samples.map((row, i) => [i, row] as const))(
    'Evidently sample case %i',
    (_i, row) => {
      const result = chiSquaredTest(categoricalSample(row.reference), categoricalSample(row.current));
      const statisticError = relativeError(result.statistic, row.statistic);
      expect(
        statisticError,
        `statistic ${result.statistic} vs ${row.statistic} (tolerance 1e-12)`,
      ).toBeLessThan(1e-12);
      const pValueError = relativeError(result.pValue, row.pValue, 1e-300);
      expect(pValueError, `p ${result.pValue} vs ${row.pValue} (tolerance 1e-10 relative)`).toBeLessThan(
        1e-10,
      );
    },
  );
});

describe('chiSquaredHomogeneityTest against scipy.stats.chi2_contingency (correction=False)', () => {
  it.each(fixture.chiSquared.homogeneity.map((row, i) => [i, row] as const))('case %i', (_i, row) => {
    const result = chiSquaredHomogeneityTest(
      categoricalSample(row.reference),
      categoricalSample(row.current),
    );
    expect(result.degreesOfFreedom).toBe(row.degreesOfFreedom);
    const statisticError = relativeError(result.statistic, row.statistic);
    expect(
      statisticError,
      `statistic ${result.statistic} vs ${row.statistic} (tolerance 1e-12)`,
    ).toBeLessThan(1e-12);
    const pValueError = relativeError(result.pValue, row.pValue, 1e-300);
    expect(pValueError, `p ${result.pValue} vs ${row.pValue} (tolerance 1e-10 relative)`).toBeLessThan(1e-10);
  });
});

describe('chiSquaredTest with categories the reference lacks', () => {
  const reference = [...Array(50).fill('a'), ...Array(50).fill('b')];

  it('stays finite and flags a new category with real mass', () => {
    const current = [...Array(40).fill('a'), ...Array(40).fill('b'), ...Array(20).fill('c')];
    const result = chiSquaredTest(reference, current);
    expect(Number.isFinite(result.statistic)).toBe(true);
    expect(result.degreesOfFreedom).toBe(2);
    expect(result.pValue).toBeLessThan(1e-6);
  });

  it('credits the missing category half an observation, as the comment says', () => {
    const current = [...Array(49).fill('a'), ...Array(50).fill('b'), 'c'];
    // expected shares: a and b 50/100.5 each, c 0.5/100.5; times 100 current values
    const expected = [50, 50, 0.5].map((count) => (count / 100.5) * 100);
    const direct = chiSquaredGoodnessOfFit([49, 50, 1], expected);
    expect(chiSquaredTest(reference, current)).toEqual(direct);
  });

  it('handles categories absent from the current sample as plain zero observations', () => {
    const result = chiSquaredTest(['a', 'b', 'c', 'c'], ['a', 'b', 'b', 'a']);
    expect(result).toEqual(chiSquaredGoodnessOfFit([2, 2, 0], [1, 1, 2]));
  });

  it('gives p = 1 when both samples hold one and the same category', () => {
    expect(chiSquaredTest(['x', 'x'], ['x'])).toEqual({ statistic: 0, degreesOfFreedom: 0, pValue: 1 });
  });
});

describe('proportionZTest against Evidently with scipy.stats.norm', () => {
  it.each(fixture.zTest.map((row, i) => [i, row] as const))('case %i', (_i, row) => {
    const result = proportionZTest(categoricalSample(row.reference), categoricalSample(row.current));
    expect(
      Math.abs(result.statistic - row.statistic),
      `z ${result.statistic} vs ${row.statistic} (tolerance 1e-12)`,
    ).toBeLessThan(1e-12);
    const pValueError = relativeError(result.pValue, row.pValue, 1e-300);
    expect(pValueError, `p ${result.pValue} vs ${row.pValue} (tolerance 1e-10 relative)`).toBeLessThan(1e-10);
  });

  it('is p = 1 for one shared value and refuses more than two categories', () => {
    expect(proportionZTest(['a', 'a'], ['a'])).toEqual({ statistic: 0, pValue: 1 });
    expect(() => proportionZTest(['a', 'b'], ['c'])).toThrow(ValidationError);
  });
});

describe('false positives on samples from one distribution', () => {
  // 200 seeded pairs of four-category samples (shares 0.4, 0.3, 0.2, 0.1), each test its own stream
  const rejectionRate = (
    test: typeof chiSquaredTest,
    seed: number,
    referenceSize: number,
    currentSize: number,
  ) => {
    const random = seededRandom(seed);
    const draw = (size: number) =>
      Array.from({ length: size }, () => {
        const u = random();
        return u < 0.4 ? 'a' : u < 0.7 ? 'b' : u < 0.9 ? 'c' : 'd';
      });
    let rejections = 0;
    for (let trial = 0; trial < 200; trial++)
      if (test(draw(referenceSize), draw(currentSize)).pValue < 0.05) rejections++;
    return rejections / 200;
  };

  it("Evidently's chi-squared rejects at alpha 0.05 in at most 8% of 200 pairs when the reference dwarfs the current", () => {
    const rate = rejectionRate(chiSquaredTest, 99, 5000, 100);
    expect(rate, `rejection rate ${rate} (limit 0.08)`).toBeLessThanOrEqual(0.08);
  });

  it("Evidently's chi-squared treats reference shares as exact: at equal sizes it rejects well above alpha", () => {
    // the statistic is inflated by about 1 + current/reference = 2: P(χ²₃ > 7.81 / 2) ≈ 0.27
    const rate = rejectionRate(chiSquaredTest, 100, 300, 300);
    expect(rate, `rejection rate ${rate} (expected well above 0.05)`).toBeGreaterThan(0.15);
  });

  it('the homogeneity test rejects at alpha 0.05 in at most 8% of 200 pairs at equal sizes', () => {
    const rate = rejectionRate(chiSquaredHomogeneityTest, 101, 300, 300);
    expect(rate, `rejection rate ${rate} (limit 0.08)`).toBeLessThanOrEqual(0.08);
  });

  it('the Z-test rejects at alpha 0.05 in at most 8% of 200 seeded pairs', () => {
    const random = seededRandom(5);
    const draw = (size: number) => Array.from({ length: size }, () => (random() < 0.3 ? 'yes' : 'no'));
    let rejections = 0;
    for (let trial = 0; trial < 200; trial++)
      if (proportionZTest(draw(200), draw(120)).pValue < 0.05) rejections++;
    expect(rejections / 200, `rejection rate ${rejections / 200} (limit 0.08)`).toBeLessThanOrEqual(0.08);
  });
});

describe('chi-squared input checks', () => {
  it('rejects empty samples, mismatched counts and zero expected counts', () => {
    const codeOf = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return ValidationError.isInstance(error) ? error.code : 'not a ValidationError';
      }
      return 'no error';
    };
    expect(codeOf(() => chiSquaredTest([], ['a']))).toBe('DRIFT_EMPTY_SAMPLE');
    expect(codeOf(() => chiSquaredGoodnessOfFit([1, 2], [3]))).toBe('DRIFT_COUNT_MISMATCH');
    expect(codeOf(() => chiSquaredGoodnessOfFit([1, 2], [3, 0]))).toBe('DRIFT_INVALID_COUNTS');
  });
});
