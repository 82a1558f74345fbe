// The MMD test: statistic and median-heuristic bandwidth against a numpy computation, the permutation
// p-value's definition, power against a clear shift and its false-positive rate on identical
// distributions, and input checks.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../engine/random.js';
import { ValidationError } from '../../errors/index.js';
import { readDriftFixture, relativeError, vectorSample } from './drift-samples.case.js';
import { maximumMeanDiscrepancyTest } from './maximum-mean-discrepancy.js';

const cases = readDriftFixture().maximumMeanDiscrepancy;

/** `count` Float32Array vectors with independent roughly normal components (Irwin-Hall of 4), shifted in the first. */
function gaussianVectors(random: () => number, count: number, dimension: number, shift = 0): Float32Array[] {
  return Array.from({ length: count }, () => {
    const vector = new Float32Array(dimension);
    for (let k = 0; k < dimension; k++)
      vector[k] = (random() + random() + random() + random() - 2) * Math.sqrt(3);
    vector[0] += shift;
    return vector;
  });
}

describe('maximumMeanDiscrepancyTest against numpy', () => {
  it.each(cases.map((row, i) => [i, row] as const))(
    'case %i: unbiased MMD² and median bandwidth',
    (_i, row) => {
      const result = maximumMeanDiscrepancyTest(vectorSample(row.reference), vectorSample(row.current), {
        rng: seededRandom(1),
        permutations: 20,
      });
      const bandwidthError = relativeError(result.bandwidth, row.bandwidth);
      expect(
        bandwidthError,
        `bandwidth ${result.bandwidth} vs ${row.bandwidth} (tolerance 1e-12)`,
      ).toBeLessThan(1e-12);
      const statisticError = Math.abs(result.statistic - row.statistic);
      expect(
        statisticError,
        `MMD² ${result.statistic} vs ${row.statistic} (tolerance 1e-12 absolute)`,
      ).toBeLessThan(1e-12);
    },
  );
});

describe('maximumMeanDiscrepancyTest permutations', () => {
  it('gives p = (1 + #{permuted ≥ observed})/(1 + permutations), each permuted MMD² recomputed by brute force', () => {
    const random = seededRandom(3);
    const reference = gaussianVectors(random, 20, 3);
    const current = gaussianVectors(random, 15, 3, 0.3);
    const permutations = 99;
    const result = maximumMeanDiscrepancyTest(reference, current, { rng: seededRandom(42), permutations });
    expect(maximumMeanDiscrepancyTest(reference, current, { rng: seededRandom(42), permutations })).toEqual(
      result,
    );

    // replay the documented draw: a partial Fisher-Yates shuffle of the pooled indices picks the
    // smaller set's new members; the rest form the other set
    const pooled = [...reference, ...current];
    const kernel = (a: Float32Array, b: Float32Array) =>
      Math.exp(-a.reduce((sum, value, k) => sum + (value - b[k]) ** 2, 0) / (2 * result.bandwidth ** 2));
    const naive = (x: Float32Array[], y: Float32Array[]) => {
      const within = (set: Float32Array[]) => {
        let sum = 0;
        for (let i = 0; i < set.length; i++)
          for (let j = 0; j < set.length; j++) if (i !== j) sum += kernel(set[i], set[j]);
        return sum / (set.length * (set.length - 1));
      };
      let cross = 0;
      for (const a of x) for (const b of y) cross += kernel(a, b);
      return within(x) + within(y) - (2 * cross) / (x.length * y.length);
    };
    expect(Math.abs(naive(reference, current) - result.statistic)).toBeLessThan(1e-12);
    const rng = seededRandom(42);
    const indices = pooled.map((_, i) => i);
    let atLeastAsLarge = 0;
    for (let permutation = 0; permutation < permutations; permutation++) {
      for (let i = 0; i < current.length; i++) {
        const j = i + Math.floor(rng() * (pooled.length - i));
        [indices[i], indices[j]] = [indices[j], indices[i]];
      }
      const chosen = new Set(indices.slice(0, current.length));
      const subset = pooled.filter((_, i) => chosen.has(i));
      const rest = pooled.filter((_, i) => !chosen.has(i));
      if (naive(rest, subset) >= result.statistic - 1e-12) atLeastAsLarge++;
    }
    expect(result.pValue).toBe((1 + atLeastAsLarge) / (1 + permutations));
    expect(atLeastAsLarge).toBeGreaterThan(0);
    expect(atLeastAsLarge).toBeLessThan(permutations);
  });

  it('is symmetric in its two sets', () => {
    const random = seededRandom(4);
    const reference = gaussianVectors(random, 25, 4);
    const current = gaussianVectors(random, 18, 4, 0.5);
    const forward = maximumMeanDiscrepancyTest(reference, current, {
      rng: seededRandom(1),
      permutations: 10,
    });
    const backward = maximumMeanDiscrepancyTest(current, reference, {
      rng: seededRandom(1),
      permutations: 10,
    });
    expect(backward.statistic).toBeCloseTo(forward.statistic, 14);
    expect(backward.bandwidth).toBe(forward.bandwidth);
  });

  it('rejects a clearly shifted distribution', () => {
    const random = seededRandom(5);
    const reference = gaussianVectors(random, 60, 8);
    const current = gaussianVectors(random, 60, 8, 1.5);
    const result = maximumMeanDiscrepancyTest(reference, current, { rng: seededRandom(6) });
    expect(result.pValue, `p ${result.pValue}`).toBe(1 / 201);
  });

  it('rejects identical distributions in at most 10% of 50 trials at alpha 0.05', () => {
    const random = seededRandom(8);
    let rejections = 0;
    for (let trial = 0; trial < 50; trial++) {
      const result = maximumMeanDiscrepancyTest(
        gaussianVectors(random, 40, 8),
        gaussianVectors(random, 30, 8),
        {
          rng: random,
        },
      );
      if (result.pValue < 0.05) rejections++;
    }
    expect(rejections / 50, `rejection rate ${rejections / 50} (limit 0.1)`).toBeLessThanOrEqual(0.1);
  });
});

describe('maximumMeanDiscrepancyTest edge cases and input checks', () => {
  it('returns no discrepancy for identical vectors and finds one hidden among duplicates', () => {
    const same = Array.from({ length: 5 }, () => [1, 2]);
    expect(maximumMeanDiscrepancyTest(same, same, { rng: seededRandom(1) })).toMatchObject({
      statistic: 0,
      pValue: 1,
    });
    const duplicated = [...Array.from({ length: 30 }, () => [0, 0]), [1, 1], [2, 2]];
    const moved = [...Array.from({ length: 30 }, () => [0, 0]), [5, 5], [6, 6]];
    expect(maximumMeanDiscrepancyTest(duplicated, moved, { rng: seededRandom(1) }).bandwidth).toBeGreaterThan(
      0,
    );
  });

  it('rejects too few vectors, mismatched dimensions and a missing rng', () => {
    const codeOf = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return ValidationError.isInstance(error) ? error.code : 'not a ValidationError';
      }
      return 'no error';
    };
    const rng = seededRandom(1);
    expect(codeOf(() => maximumMeanDiscrepancyTest([[1]], [[1], [2]], { rng }))).toBe(
      'DRIFT_TOO_FEW_SAMPLES',
    );
    expect(
      codeOf(() =>
        maximumMeanDiscrepancyTest(
          [[1], [2]],
          [
            [1, 2],
            [2, 3],
          ],
          { rng },
        ),
      ),
    ).toBe('DRIFT_DIMENSION_MISMATCH');
    expect(codeOf(() => maximumMeanDiscrepancyTest([[1], [2]], [[1], [2]], {} as never))).toBe(
      'DRIFT_INVALID_OPTION',
    );
    expect(codeOf(() => maximumMeanDiscrepancyTest([[1], [Number.NaN]], [[1], [2]], { rng }))).toBe(
      'DRIFT_NON_FINITE_VALUE',
    );
  });
});
