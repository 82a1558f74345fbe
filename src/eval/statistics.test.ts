// The score interval: Wilson's for proportions (values in {0, 1}), the bootstrap's for other scores.
import { describe, expect, it } from 'vitest';
import { bootstrapInterval, scoreInterval } from './statistics.js';

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
