// Distances against scipy.stats.wasserstein_distance, scipy.spatial.distance.jensenshannon and a numpy
// replay of Evidently's binning (Sturges edges over both samples, per-value counts at <= 20 values,
// PSI's empty-bin filler), plus properties that need no reference.
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../errors/index.js';
import {
  jensenShannonDistance,
  normedWassersteinDistance,
  populationStabilityIndex,
  sampleJensenShannonDistance,
  wassersteinDistance,
} from './distances.js';
import {
  categoricalSample,
  numericSample,
  readDriftFixture,
  relativeError,
  type CategoricalSampleSpec,
  type NumericSampleSpec,
} from './drift-samples.case.js';
import { histogramEdges } from './_binning.js';

const fixture = readDriftFixture().distances;

describe('Wasserstein against scipy.stats.wasserstein_distance', () => {
  it.each(fixture.wasserstein.map((row, i) => [i, row] as const))('case %i', (_i, row) => {
    const reference = numericSample(row.reference);
    const current = numericSample(row.current);
    const distanceError = relativeError(wassersteinDistance(reference, current), row.distance);
    expect(distanceError, `distance vs ${row.distance}: ${distanceError} (tolerance 1e-12)`).toBeLessThan(
      1e-12,
    );
    const normedError = relativeError(normedWassersteinDistance(reference, current), row.normed);
    expect(normedError, `normed vs ${row.normed}: ${normedError} (tolerance 1e-12)`).toBeLessThan(1e-12);
  });

  it('is the mean shift for a translated sample and zero for identical ones', () => {
    const sample = [0.5, 1, 3, 7, 7.25];
    expect(
      wassersteinDistance(
        sample,
        sample.map((value) => value + 2),
      ),
    ).toBeCloseTo(2, 14);
    expect(wassersteinDistance(sample, [...sample].reverse())).toBe(0);
  });

  it('divides by 0.001 rather than a zero standard deviation', () => {
    expect(normedWassersteinDistance([4, 4, 4], [5, 5])).toBeCloseTo(1000, 9);
  });
});

describe('Jensen-Shannon distance against scipy.spatial.distance.jensenshannon', () => {
  it.each(fixture.jensenShannonVectors.map((row, i) => [i, row] as const))(
    'vectors %i, base 2 and natural',
    (_i, row) => {
      const base2 = jensenShannonDistance(row.p, row.q);
      const natural = jensenShannonDistance(row.p, row.q, Math.E);
      expect(Math.abs(base2 - row.base2), `base 2: ${base2} vs ${row.base2} (tolerance 1e-12)`).toBeLessThan(
        1e-12,
      );
      expect(
        Math.abs(natural - row.natural),
        `natural: ${natural} vs ${row.natural} (tolerance 1e-12)`,
      ).toBeLessThan(1e-12);
    },
  );

  it('is 1 in base 2 for disjoint distributions', () => {
    expect(jensenShannonDistance([1, 0], [0, 1])).toBeCloseTo(1, 14);
  });
});

describe("sample distances with Evidently's binning, against numpy", () => {
  const sampleOf = (spec: NumericSampleSpec | CategoricalSampleSpec, numeric: boolean) =>
    numeric ? numericSample(spec as NumericSampleSpec) : categoricalSample(spec as CategoricalSampleSpec);

  it.each(fixture.binned.map((row, i) => [i, row] as const))('case %i', (_i, row) => {
    const reference = sampleOf(row.reference, row.numeric);
    const current = sampleOf(row.current, row.numeric);
    const jensen = sampleJensenShannonDistance(reference, current);
    expect(
      Math.abs(jensen - row.jensenShannon),
      `JS ${jensen} vs ${row.jensenShannon} (tolerance 1e-12)`,
    ).toBeLessThan(1e-12);
    const index = populationStabilityIndex(reference, current);
    const indexError = relativeError(index, row.populationStabilityIndex, 1e-12);
    expect(
      indexError,
      `PSI ${index} vs ${row.populationStabilityIndex}: ${indexError} (tolerance 1e-10)`,
    ).toBeLessThan(1e-10);
  });

  it('builds as many Sturges bins as numpy did', () => {
    for (const row of fixture.binned.filter((row) => row.numeric && row.bins > 5)) {
      const edges = histogramEdges(
        numericSample(row.reference as NumericSampleSpec),
        numericSample(row.current as NumericSampleSpec),
        'sturges',
      );
      expect(edges.length - 1).toBe(row.bins);
    }
  });

  it('takes a fixed bin count when asked', () => {
    const reference = Array.from({ length: 100 }, (_, i) => i);
    const current = reference.map((value) => value + 10);
    expect(histogramEdges(reference, current, 30)).toHaveLength(31);
    expect(populationStabilityIndex(reference, current, { bins: 30 })).toBeGreaterThan(0);
  });
});

describe('population stability index', () => {
  it('is zero for identical samples and grows with the shift', () => {
    const reference = Array.from({ length: 500 }, (_, i) => Math.sin(i) * 10);
    expect(populationStabilityIndex(reference, reference)).toBe(0);
    const small = populationStabilityIndex(
      reference,
      reference.map((value) => value + 1),
    );
    const large = populationStabilityIndex(
      reference,
      reference.map((value) => value + 3),
    );
    expect(small).toBeGreaterThan(0);
    expect(large).toBeGreaterThan(small);
  });

  it('stays finite when a category is missing from one side', () => {
    const index = populationStabilityIndex(['a', 'a', 'b'], ['a', 'c', 'c']);
    expect(Number.isFinite(index)).toBe(true);
  });

  it('rejects mixed kinds and empty samples', () => {
    expect(() => populationStabilityIndex([1, 2], ['a'])).toThrow(ValidationError);
    expect(() => sampleJensenShannonDistance([], [1])).toThrow(ValidationError);
    expect(() => jensenShannonDistance([1, 2], [1])).toThrow(ValidationError);
  });
});
