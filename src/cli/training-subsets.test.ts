// A comparison's smaller training sets: nested, seeded, and on a label task balanced whatever the file's order.
import { describe, expect, it } from 'vitest';
import { trainingOrder } from './training-subsets.js';

describe('trainingOrder', () => {
  // a file sorted by label, as the trial's copy of gender was: 64 boys first
  const sorted = [...Array(64).fill(' boy'), ...Array(64).fill(' girl')] as string[];

  it('gives every example once, the same for a seed', () => {
    const order = trainingOrder(sorted, [' boy', ' girl'], 0);
    expect([...order].sort((a, b) => a - b)).toEqual(sorted.map((_, index) => index));
    expect(trainingOrder(sorted, [' boy', ' girl'], 0)).toEqual(order);
    expect(trainingOrder(sorted, [' boy', ' girl'], 1)).not.toEqual(order);
  });

  it('puts the labels in turn, so any first N is as balanced as it can be', () => {
    const order = trainingOrder(sorted, [' boy', ' girl'], 0);
    for (const size of [2, 16, 64]) {
      const girls = order.slice(0, size).filter((index) => sorted[index] === ' girl').length;
      expect(girls).toBe(size / 2);
    }
    // three labels of unequal counts: each label takes its turn while it has examples
    const targets = [...Array(10).fill('a'), ...Array(3).fill('b'), ...Array(5).fill('c')] as string[];
    const first = trainingOrder(targets, ['a', 'b', 'c'], 0).map((index) => targets[index]);
    expect(first.slice(0, 9).sort().join('')).toBe('aaabbbccc');
    expect(first.slice(9).sort().join('')).toBe('aaaaaaacc');
  });

  it('shuffles a generation task, no label to balance', () => {
    const names = Array.from({ length: 50 }, (_, index) => ` name${index}`);
    const order = trainingOrder(names, undefined, 0);
    expect(order).not.toEqual(names.map((_, index) => index));
    expect(new Set(order).size).toBe(50);
  });
});
