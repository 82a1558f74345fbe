// The score interval: Wilson's for proportions (values in {0, 1}), the bootstrap's for other scores;
// McNemar's exact test against binomial tails computed exactly (Python's math.comb).
import { describe, expect, it } from 'vitest';
import { compareReports } from './compare.js';
import { bootstrapInterval, mcnemarExact, pairedBootstrap, pairedTest, scoreInterval } from './statistics.js';

describe('scoreInterval', () => {
  it("gives all right or all wrong a proportion's width, not a point", () => {
    const [low, high] = scoreInterval(Array(10).fill(1));
    expect(low).toBeCloseTo(0.7225, 3); // Wilson's 95% lower bound for 10 of 10
    expect(high).toBe(1);
    expect(scoreInterval(Array(20).fill(0))[0]).toBe(0);
    expect(scoreInterval(Array(20).fill(0))[1]).toBeCloseTo(0.1611, 3);
    expect(bootstrapInterval(Array(10).fill(1))).toEqual([1, 1]); // what it said before
  });

  it("matches Wilson's interval for a proportion in between", () => {
    const values = [...Array(30).fill(1), ...Array(10).fill(0)]; // 30 of 40
    const [low, high] = scoreInterval(values);
    expect(low).toBeCloseTo(0.5981, 3);
    expect(high).toBeCloseTo(0.8581, 3);
  });

  it('resamples scores that are not all 0 or 1', () => {
    const values = [0.5, 1, 0.25, 0.75, 1, 0, 0.5];
    expect(scoreInterval(values)).toEqual(bootstrapInterval(values));
    expect(scoreInterval([])).toEqual([0, 0]);
  });
});

describe('mcnemarExact', () => {
  /** Two runs on n examples: `onlyA` right only for a, `onlyB` only for b, `both` right for both. */
  const runs = (onlyA: number, onlyB: number, both = 7, neither = 5) => {
    const a = [
      ...Array(onlyA).fill(1),
      ...Array(onlyB).fill(0),
      ...Array(both).fill(1),
      ...Array(neither).fill(0),
    ];
    const b = [
      ...Array(onlyA).fill(0),
      ...Array(onlyB).fill(1),
      ...Array(both).fill(1),
      ...Array(neither).fill(0),
    ];
    return [a, b] as const;
  };

  it('gives twice the binomial tail of the rarer side of the examples only one run got right', () => {
    expect(mcnemarExact(...runs(10, 3))).toBeCloseTo(0.09228515625, 12); // 2 * 378 / 8192
    expect(mcnemarExact(...runs(3, 10))).toBeCloseTo(0.09228515625, 12);
    expect(mcnemarExact(...runs(0, 5))).toBeCloseTo(0.0625, 12);
    expect(mcnemarExact(...runs(60, 40))).toBeCloseTo(0.05688793364098079, 10);
    // far below any resampling's floor, without overflow
    expect(mcnemarExact(...runs(1500, 500)) / 1.474397522976895e-115).toBeCloseTo(1, 6);
  });

  it('is the paired test of right-or-wrong scores: 5 fixed and 0 broken of 96 is not significant', () => {
    const [a, b] = runs(0, 5, 60, 31);
    // the bootstrap called this significant (trial K's optimize "significant paired improvement")
    expect(pairedBootstrap(a, b).pValue).toBeLessThan(0.05);
    expect(pairedTest(a, b)).toMatchObject({ test: 'mcnemar-exact', pValue: 0.0625 });
    expect(pairedTest([0.5, 1, 0], [1, 1, 0.5])).toMatchObject({ test: 'paired-bootstrap' });
  });

  it('decides `compare` and the loop gate: two reports of 0/1 scores are compared exactly', () => {
    const [a, b] = runs(0, 5, 60, 31);
    const report = (scores: number[]) => ({
      model: 'm',
      score: scores.reduce((sum, score) => sum + score, 0) / scores.length,
      examples: scores.map((score, line) => ({ id: `e${line}`, line, score })),
    });
    // the bootstrap's p-value had called the 5 fixed, 0 broken a significant improvement
    expect(compareReports(report(a), report(b))).toMatchObject({
      test: 'mcnemar-exact',
      pValue: 0.0625,
      significant: false,
    });
    expect(compareReports(report([0.5, 1, 0]), report([1, 1, 0.5])).test).toBe('paired-bootstrap');
  });

  it('is 1 when the runs never disagree, or disagree evenly', () => {
    expect(mcnemarExact(...runs(0, 0))).toBe(1);
    expect(mcnemarExact(...runs(4, 4))).toBe(1);
  });
});
