// Replays the seeded samples that tools/reference/drift-statistics.py describes in
// test/fixtures/drift-statistics.json, bit for bit: mulberry32 uniforms (the engine's seededRandom),
// Irwin-Hall normals and floor quantization, all operations that round the same in Python and
// JavaScript. Test support only; also the fixture's reader, so the tests share one typed view of it.
import { readFileSync } from 'node:fs';
import { seededRandom } from '../../engine/random.js';

/** A numeric sample: `size` values of location + scale·(uniform or Irwin-Hall normal), floored to `step`. */
export interface NumericSampleSpec {
  seed: number;
  size: number;
  kind: 'normal' | 'uniform';
  location: number;
  scale: number;
  step?: number;
}

/** A categorical sample drawn with integer weights. */
export interface CategoricalSampleSpec {
  seed: number;
  size: number;
  categories: string[];
  weights: number[];
}

/** The numeric sample a spec describes (the same floats the Python reference script drew). */
export function numericSample(spec: NumericSampleSpec): number[] {
  const random = seededRandom(spec.seed);
  const values: number[] = [];
  for (let i = 0; i < spec.size; i++) {
    let base: number;
    if (spec.kind === 'normal') {
      base = 0;
      for (let k = 0; k < 12; k++) base += random();
      base -= 6;
    } else {
      base = random();
    }
    let value = spec.location + spec.scale * base;
    if (spec.step) value = Math.floor(value / spec.step) * spec.step;
    values.push(value);
  }
  return values;
}

/** The categorical sample a spec describes. */
export function categoricalSample(spec: CategoricalSampleSpec): string[] {
  const random = seededRandom(spec.seed);
  const total = spec.weights.reduce((sum, weight) => sum + weight, 0);
  const cumulative: number[] = [];
  spec.weights.reduce((sum, weight) => (cumulative.push(sum + weight), sum + weight), 0);
  return Array.from({ length: spec.size }, () => {
    const scaled = random() * total;
    return spec.categories[cumulative.findIndex((bound) => scaled < bound)];
  });
}

/** `size` vectors of `dimension` components, drawn row by row from one numeric sample. */
export function vectorSample(spec: NumericSampleSpec & { dimension: number }): Float64Array[] {
  const flat = numericSample({ ...spec, size: spec.size * spec.dimension });
  return Array.from({ length: spec.size }, (_, i) =>
    Float64Array.from(flat.slice(i * spec.dimension, (i + 1) * spec.dimension)),
  );
}

/** The fixture's contents, as the reference script writes them. */
export interface DriftFixture {
  generator: string;
  kolmogorovSmirnov: {
    name: string;
    reference: NumericSampleSpec;
    current: NumericSampleSpec;
    method: 'auto' | 'asymptotic';
    statistic: number;
    pValue: number;
  }[];
  kolmogorovDistribution: { n: number; x: number; survival: number; smirnov: number }[];
  special: {
    logGamma: { x: number; value: number }[];
    upperGamma: { a: number; x: number; value: number }[];
    chiSquared: { statistic: number; df: number; value: number }[];
    normalSurvival: { z: number; value: number }[];
    kolmogorov: { z: number; value: number }[];
  };
  chiSquared: {
    counts: { observed: number[]; expected: number[]; statistic: number; pValue: number }[];
    samples: {
      reference: CategoricalSampleSpec;
      current: CategoricalSampleSpec;
      statistic: number;
      pValue: number;
    }[];
    homogeneity: {
      reference: CategoricalSampleSpec;
      current: CategoricalSampleSpec;
      degreesOfFreedom: number;
      statistic: number;
      pValue: number;
    }[];
  };
  zTest: {
    reference: CategoricalSampleSpec;
    current: CategoricalSampleSpec;
    statistic: number;
    pValue: number;
  }[];
  distances: {
    wasserstein: {
      reference: NumericSampleSpec;
      current: NumericSampleSpec;
      distance: number;
      normed: number;
    }[];
    jensenShannonVectors: { p: number[]; q: number[]; base2: number; natural: number }[];
    binned: {
      reference: NumericSampleSpec | CategoricalSampleSpec;
      current: NumericSampleSpec | CategoricalSampleSpec;
      numeric: boolean;
      bins: number;
      jensenShannon: number;
      populationStabilityIndex: number;
    }[];
  };
  maximumMeanDiscrepancy: {
    reference: NumericSampleSpec & { dimension: number };
    current: NumericSampleSpec & { dimension: number };
    bandwidth: number;
    statistic: number;
  }[];
}

/** test/fixtures/drift-statistics.json, parsed. */
export function readDriftFixture(): DriftFixture {
  const url = new URL('../../../test/fixtures/drift-statistics.json', import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as DriftFixture;
}

/** |actual - expected| / max(|expected|, floor): relative error that tolerates values near zero. */
export function relativeError(actual: number, expected: number, floor = 1e-300): number {
  if (actual === expected) return 0;
  return Math.abs(actual - expected) / Math.max(Math.abs(expected), floor);
}
