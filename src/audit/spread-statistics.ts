// The spread of a score over prompt variants scored on the same examples: the lowest and highest
// variant means, their range (max − min) and standard deviation, each with a bootstrap interval that
// resamples examples and recomputes every variant's mean together (so the variants stay paired).
import { seededRandom } from '../engine/index.js';
import { mean, percentile } from '../eval/index.js';

/** A value with its 95% bootstrap interval. */
export interface Estimate {
  value: number;
  interval: [number, number];
}

/** How far scores spread over variants. */
export interface Spread {
  min: Estimate;
  max: Estimate;
  range: Estimate;
  standardDeviation: Estimate;
}

/** Population standard deviation. */
function deviation(values: number[]): number {
  const average = mean(values);
  return Math.sqrt(mean(values.map((value) => (value - average) ** 2)));
}

const statistics = (means: number[]) => {
  const min = Math.min(...means);
  const max = Math.max(...means);
  return { min, max, range: max - min, standardDeviation: deviation(means) };
};

/** The spread of `scores` (one row per variant, one column per example, the same examples in every row). */
export function scoreSpread(scores: number[][], options: { seed?: number; resamples?: number } = {}): Spread {
  const { seed = 0, resamples = 1000 } = options;
  const observed = statistics(scores.map(mean));
  const examples = scores[0]?.length ?? 0;
  const draws = {
    min: [] as number[],
    max: [] as number[],
    range: [] as number[],
    standardDeviation: [] as number[],
  };
  const random = seededRandom(seed + 104729);
  const picks = new Int32Array(examples);
  for (let r = 0; r < resamples && examples > 0; r++) {
    for (let i = 0; i < examples; i++) picks[i] = Math.floor(random() * examples);
    const means = scores.map((row) => {
      let sum = 0;
      for (const pick of picks) sum += row[pick];
      return sum / examples;
    });
    const drawn = statistics(means);
    for (const key of Object.keys(draws) as (keyof typeof draws)[]) draws[key].push(drawn[key]);
  }
  const estimate = (key: keyof typeof draws): Estimate => ({
    value: observed[key],
    interval:
      examples > 0
        ? [percentile(draws[key], 2.5)!, percentile(draws[key], 97.5)!]
        : [observed[key], observed[key]],
  });
  return {
    min: estimate('min'),
    max: estimate('max'),
    range: estimate('range'),
    standardDeviation: estimate('standardDeviation'),
  };
}
