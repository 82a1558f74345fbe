// Which training examples a comparison's smaller training sets hold: the first N of one seeded order,
// so each size holds the smaller ones (a learning curve, not unrelated draws). On a label task the labels
// take turns in that order (each label's examples shuffled), so 16 examples of three labels are 6, 5 and
// 5 whatever order the file lists them in: a file sorted by label gave 64 examples of one label before.
import { seededRandom } from '../engine/index.js';

/** A seeded order of the examples whose `targets` are given; labels in turn when `labels` are. */
export function trainingOrder(targets: string[], labels: string[] | undefined, seed: number): number[] {
  const random = seededRandom(seed);
  const shuffled = (indices: number[]) => {
    for (let i = indices.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [indices[i], indices[j]] = [indices[j], indices[i]];
    }
    return indices;
  };
  const all = targets.map((_, index) => index);
  if (!labels) return shuffled(all);
  // each label's examples in a seeded order, then one of each label in turn until all are placed
  const groups = labels.map((label) => shuffled(all.filter((index) => targets[index] === label)));
  const order: number[] = [];
  for (let round = 0; order.length < targets.length; round++)
    for (const group of groups) if (round < group.length) order.push(group[round]);
  return order;
}
