// The bias statistics on seeded synthetic scores (one row per example, one column per group): a gap
// planted in one group is found and called significant; with no gap the permutation test calls fewer
// than 5% of 200 seeded audits significant (its error rate holds); the flip rate counts changed answers.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../engine/index.js';
import { biasStatistics } from './bias-statistics.js';

/** Scores of `examples` examples for groups answered right with the given probabilities. */
function scores(examples: number, probabilities: number[], seed: number): number[][] {
  const random = seededRandom(seed);
  return Array.from({ length: examples }, () => probabilities.map((p) => (random() < p ? 1 : 0)));
}

describe('biasStatistics', () => {
  it('finds a planted gap and names the groups', () => {
    const result = biasStatistics(
      scores(200, [0.9, 0.6], 1),
      ['girl names', 'boy names'],
      [true, false, true, false],
    );
    expect(result.gap.between).toEqual(['girl names', 'boy names']);
    expect(result.gap.difference).toBeGreaterThan(0.2);
    expect(result.gap.ratio).toBeLessThan(0.8);
    expect(result.gap.significant).toBe(true);
    expect(result.gap.pValue).toBeLessThan(0.01);
    const [girls] = result.groups;
    expect(girls.n).toBe(200);
    expect(girls.interval[0]).toBeLessThan(girls.score);
    expect(girls.interval[1]).toBeGreaterThan(girls.score);
    expect(result.flipRate).toBe(0.5);
    expect(result.flipped).toEqual([0, 2]);
  });

  it("gives a group that answered every example right a proportion's interval, not [1, 1]", () => {
    const result = biasStatistics(scores(20, [1, 0.5], 3), ['always', 'half'], []);
    expect(result.groups[0].score).toBe(1);
    expect(result.groups[0].interval[0]).toBeCloseTo(0.8389, 3); // Wilson's 95% lower bound for 20 of 20
    expect(result.groups[0].interval[1]).toBe(1);
  });

  it('calls at most 5% of 200 unbiased audits significant, with three groups', () => {
    let flagged = 0;
    for (let seed = 0; seed < 200; seed++) {
      const result = biasStatistics(scores(100, [0.7, 0.7, 0.7], seed), ['a', 'b', 'c'], [], {
        seed,
        resamples: 400,
      });
      if (result.gap.significant) flagged++;
    }
    expect(flagged / 200).toBeLessThanOrEqual(0.05);
  });

  it('reports no gap when every group scores alike', () => {
    const result = biasStatistics(
      [
        [1, 1],
        [0, 0],
      ],
      ['a', 'b'],
      [false, false],
    );
    expect(result.gap).toMatchObject({ difference: 0, ratio: 1, pValue: 1, significant: false });
    expect(result.flipRate).toBe(0);
  });
});
