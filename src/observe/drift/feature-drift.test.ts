// Evidently's default test choice, table-driven over reference size, kind and distinct values; the
// result's shape and drift decision for p-values and distances; forced tests and thresholds; and
// embedding drift through MMD.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../engine/random.js';
import { ValidationError } from '../../errors/index.js';
import { chiSquaredTest, proportionZTest } from './chi-squared.js';
import { normedWassersteinDistance, sampleJensenShannonDistance } from './distances.js';
import { categoricalDrift, embeddingDrift, numericDrift, type DriftTest } from './feature-drift.js';
import { kolmogorovSmirnovTest } from './kolmogorov-smirnov.js';

const random = seededRandom(11);
const numbers = (count: number, distinct?: number) =>
  Array.from({ length: count }, () => (distinct ? Math.floor(random() * distinct) : random()));
const labels = (count: number, names: string[]) =>
  Array.from({ length: count }, () => names[Math.floor(random() * names.length)]);

describe("Evidently's default test choice", () => {
  const rows: [string, () => DriftTest, DriftTest][] = [
    [
      'numeric, 1000 reference rows, many values',
      () => numericDrift(numbers(1000), numbers(300)).test,
      'kolmogorov-smirnov',
    ],
    [
      'numeric, small reference, 5 values',
      () => numericDrift(numbers(200, 5), numbers(100, 5)).test,
      'chi-squared',
    ],
    [
      'numeric, small reference, 2 values',
      () => numericDrift(numbers(200, 2), numbers(100, 2)).test,
      'z-test',
    ],
    [
      'numeric, 1001 reference rows, many values',
      () => numericDrift(numbers(1001), numbers(300)).test,
      'normed-wasserstein',
    ],
    [
      'numeric, large reference, 4 values',
      () => numericDrift(numbers(2000, 4), numbers(300, 4)).test,
      'jensen-shannon',
    ],
    [
      'categorical, small reference, 3 values',
      () => categoricalDrift(labels(500, ['a', 'b', 'c']), labels(80, ['a', 'b'])).test,
      'chi-squared',
    ],
    [
      'categorical, small reference, binary',
      () => categoricalDrift(labels(500, ['y', 'n']), labels(80, ['y', 'n'])).test,
      'z-test',
    ],
    [
      'categorical, large reference',
      () => categoricalDrift(labels(1500, ['y', 'n']), labels(80, ['y', 'n'])).test,
      'jensen-shannon',
    ],
  ];
  it.each(rows)('%s', (_name, run, expected) => expect(run()).toBe(expected));

  it('counts distinct values over both samples, as Evidently does', () => {
    // 4 values in the reference plus 2 new ones in the current: 6 > 5, so Kolmogorov-Smirnov
    expect(numericDrift([1, 2, 3, 4, 1, 2], [5, 6, 1]).test).toBe('kolmogorov-smirnov');
  });
});

describe('drift results', () => {
  it('carry the p-value test result and decide p < 0.05', () => {
    const reference = numbers(300);
    const current = numbers(200).map((value) => value + 0.2);
    const result = numericDrift(reference, current);
    const direct = kolmogorovSmirnovTest(reference, current);
    expect(result).toEqual({
      test: 'kolmogorov-smirnov',
      statistic: direct.statistic,
      pValue: direct.pValue,
      threshold: 0.05,
      drifted: true,
      referenceCount: 300,
      currentCount: 200,
    });
  });

  it('carry the distance and decide distance >= 0.1', () => {
    const reference = numbers(1500);
    const mean = reference.reduce((sum, value) => sum + value, 0) / reference.length;
    const deviation = Math.sqrt(
      reference.reduce((sum, value) => sum + (value - mean) ** 2, 0) / reference.length,
    );
    // translating a sample by c moves it a Wasserstein distance c: normed, c / std
    const shifted = (factor: number) => reference.map((value) => value + 0.1 * deviation * factor);
    const result = numericDrift(reference, shifted(1.01));
    expect(result.distance).toBe(normedWassersteinDistance(reference, shifted(1.01)));
    expect(result.distance).toBeCloseTo(0.101, 9);
    expect(result.pValue).toBeUndefined();
    expect(result.threshold).toBe(0.1);
    expect(result.drifted).toBe(true);
    expect(numericDrift(reference, shifted(0.99)).drifted).toBe(false);
  });

  it('run the categorical tests on numbers with few values', () => {
    const reference = numbers(300, 4);
    const current = numbers(100, 4);
    expect(numericDrift(reference, current).pValue).toBe(chiSquaredTest(reference, current).pValue);
    const binaryReference = numbers(300, 2);
    const binaryCurrent = numbers(100, 2);
    expect(numericDrift(binaryReference, binaryCurrent).statistic).toBe(
      proportionZTest(binaryReference, binaryCurrent).statistic,
    );
  });

  it('honour a forced test and threshold', () => {
    const reference = labels(300, ['a', 'b', 'c']);
    const current = labels(300, ['a', 'b', 'c']);
    const forced = categoricalDrift(reference, current, { test: 'jensen-shannon', threshold: 0.5 });
    expect(forced).toMatchObject({ test: 'jensen-shannon', threshold: 0.5, drifted: false });
    expect(forced.distance).toBe(sampleJensenShannonDistance(reference, current));
    const homogeneity = categoricalDrift(reference, current, {
      test: 'chi-squared-homogeneity',
      threshold: 0.01,
    });
    expect(homogeneity).toMatchObject({ test: 'chi-squared-homogeneity', threshold: 0.01 });
    expect(numericDrift(numbers(100), numbers(100), { test: 'population-stability-index' }).test).toBe(
      'population-stability-index',
    );
  });

  it('reject a test that does not fit the feature, a bad threshold, and empty samples', () => {
    const codeOf = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return ValidationError.isInstance(error) ? error.code : 'not a ValidationError';
      }
      return 'no error';
    };
    expect(codeOf(() => categoricalDrift(['a'], ['b'], { test: 'kolmogorov-smirnov' as never }))).toBe(
      'DRIFT_INVALID_OPTION',
    );
    expect(codeOf(() => numericDrift([1, 2], [3], { threshold: 1.5, test: 'kolmogorov-smirnov' }))).toBe(
      'DRIFT_INVALID_OPTION',
    );
    expect(codeOf(() => numericDrift([1, 2], [3], { threshold: -1 }))).toBe('DRIFT_INVALID_OPTION');
    expect(codeOf(() => numericDrift([], [3]))).toBe('DRIFT_EMPTY_SAMPLE');
    expect(codeOf(() => categoricalDrift(['a', 'b'], ['c'], { test: 'z-test' }))).toBe(
      'DRIFT_TEST_NOT_APPLICABLE',
    );
  });
});

describe('embeddingDrift', () => {
  const vectors = (count: number, shift: number) =>
    Array.from({ length: count }, () =>
      Float32Array.from({ length: 6 }, (_, k) => random() + (k === 0 ? shift : 0)),
    );

  it('flags shifted embeddings with MMD at alpha 0.05 and passes identical distributions', () => {
    const shifted = embeddingDrift(vectors(50, 0), vectors(40, 0.5), { rng: seededRandom(2) });
    expect(shifted).toMatchObject({
      test: 'maximum-mean-discrepancy',
      threshold: 0.05,
      drifted: true,
      referenceCount: 50,
    });
    const same = embeddingDrift(vectors(50, 0), vectors(40, 0), { rng: seededRandom(2), permutations: 100 });
    expect(same.pValue).toBeGreaterThan(0.05);
    expect(same.drifted).toBe(false);
  });
});
