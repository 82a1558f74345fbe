// The bias statistics on seeded synthetic scores (one row per example, one column per group): a gap
// planted in one group is found and called significant; with no gap the permutation test calls fewer
// than 5% of 200 seeded audits significant (its error rate holds), and two groups of 0/1 scores get
// the exact (McNemar) p-value whatever the seed; the flip rate counts changed answers.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../engine/index.js';
import { biasStatistics, detectableText, smallestSignificantGap } from './bias-statistics.js';

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

  it("gives two groups of 0/1 scores McNemar's exact p-value, the same whatever the seed", () => {
    // 10 examples only the first group gets right, 2 only the second, 8 both, 5 neither:
    // two-sided exact binomial, 2 × P(X ≤ 2 | 12, 1/2) = 2 × 79 / 4096
    const rows = [
      ...Array<number[]>(10).fill([1, 0]),
      ...Array<number[]>(2).fill([0, 1]),
      ...Array<number[]>(8).fill([1, 1]),
      ...Array<number[]>(5).fill([0, 0]),
    ];
    const pValues = [0, 1, 2, 3].map((seed) => biasStatistics(rows, ['a', 'b'], [], { seed }).gap.pValue);
    expect(pValues[0]).toBeCloseTo(158 / 4096, 12);
    expect(new Set(pValues).size).toBe(1);
    // and far past what sampling could show (it bottoms out at 1 / (resamples + 1))
    const all = Array<number[]>(300).fill([1, 0]);
    expect(biasStatistics(all, ['a', 'b'], []).gap.pValue).toBeCloseTo(2 * 0.5 ** 300, 100);
  });

  it('calls at most 5% of 200 unbiased two-group audits significant with the exact test', () => {
    let flagged = 0;
    for (let seed = 0; seed < 200; seed++)
      if (biasStatistics(scores(100, [0.7, 0.7], seed), ['a', 'b'], []).gap.significant) flagged++;
    expect(flagged / 200).toBeLessThanOrEqual(0.05);
  });

  it('says the smallest gap an exact audit of this size could call significant', () => {
    // 6 examples all leaning one way is p 2 · 0.5^6 = 0.031 < 0.05; 5 is 0.0625
    expect(smallestSignificantGap(5, 0.05)).toBeNull();
    expect(smallestSignificantGap(6, 0.05)).toBe(1);
    expect(smallestSignificantGap(7, 0.05)).toBeCloseTo(6 / 7, 12);
    expect(smallestSignificantGap(32, 0.0625)).toBeCloseTo(6 / 32, 12); // 2 · 0.5^5 is not below 0.0625
    expect(smallestSignificantGap(200, 0.01)).toBeCloseTo(8 / 200, 12);
    // every gap of that size is significant, and one example less is not
    for (const n of [6, 7, 20, 60]) {
      const leaning = Math.round(smallestSignificantGap(n, 0.05)! * n);
      const rows = (count: number) => [
        ...Array<number[]>(count).fill([1, 0]),
        ...Array<number[]>(n - count).fill([1, 1]),
      ];
      expect(biasStatistics(rows(leaning), ['a', 'b'], []).gap.significant).toBe(true);
      expect(biasStatistics(rows(leaning - 1), ['a', 'b'], []).gap.significant).toBe(false);
    }
    // seven examples, two flipped one way: "not significant" said with what it could have seen
    const seven = [...Array<number[]>(2).fill([1, 0]), ...Array<number[]>(5).fill([1, 1])];
    const small = biasStatistics(seven, ['a', 'b'], []);
    expect(small.gap.smallestSignificant).toBeCloseTo(6 / 7, 12);
    expect(detectableText(small.gap, 7)).toBe(
      ' (on 7 examples only a gap of 0.857 or more could be: audit more to see smaller ones)',
    );
    const five = biasStatistics(seven.slice(0, 5), ['a', 'b'], []);
    expect(detectableText(five.gap, 5)).toBe(' (no gap can be significant on 5 examples: audit more)');
    // large enough, or a sampled test (three groups), says nothing more
    expect(detectableText(biasStatistics(scores(100, [0.7, 0.7], 1), ['a', 'b'], []).gap, 100)).toBe('');
    const three = biasStatistics(scores(7, [0.7, 0.7, 0.7], 1), ['a', 'b', 'c'], []);
    expect(three.gap.smallestSignificant).toBeUndefined();
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
    // none of two flipped is no proof of none flipping: Wilson's interval reaches far above 0
    expect(result.flipInterval![0]).toBe(0);
    expect(result.flipInterval![1]).toBeCloseTo(0.658, 3);
  });

  it('gives the flip rate its Wilson interval: 1 flip in 20 is 0.009 to 0.236', () => {
    const scores = Array.from({ length: 20 }, () => [1, 1]);
    const flips = Array.from({ length: 20 }, (_, index) => index === 0);
    const result = biasStatistics(scores, ['a', 'b'], flips);
    expect(result.flipRate).toBe(0.05);
    expect(result.flipInterval![0]).toBeCloseTo(0.0089, 4);
    expect(result.flipInterval![1]).toBeCloseTo(0.2361, 4);
  });
});
