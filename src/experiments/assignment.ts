// Which arm of an experiment a unit (a user, or a key) is in: a hash of the experiment's id and the
// unit, placed on the arms' cumulative weights. The same on every replica and every request, so a user
// stays in one arm; changing the weights moves only the units between the old and new boundaries.
import { createHash } from 'node:crypto';
import { ValidationError } from '../errors/index.js';

/** An arm of an experiment: a version and its share of the traffic. */
export interface Arm {
  name: string;
  /** Non-negative; arms' weights need not sum to 1 (they are normalized). */
  weight: number;
}

/** A number in [0, 1) fixed by the experiment and the unit. */
export function unitPosition(experiment: string, unit: string): number {
  const digest = createHash('sha256').update(`${experiment}\u0000${unit}`).digest();
  // 48 bits: uniform enough, and exact in a double
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

/** The arm `unit` is in. */
export function armOf(experiment: string, arms: Arm[], unit: string): string {
  const total = arms.reduce((sum, arm) => sum + arm.weight, 0);
  if (arms.length === 0 || !(total > 0) || arms.some((arm) => !(arm.weight >= 0)))
    throw new ValidationError(`experiment ${experiment} has no arm with traffic`, {
      code: 'EXPERIMENT_INVALID_ARMS',
      hint: 'Give at least one arm a positive weight, and none a negative one.',
    });
  const position = unitPosition(experiment, unit) * total;
  let upper = 0;
  for (const arm of arms) {
    upper += arm.weight;
    if (position < upper) return arm.name;
  }
  return [...arms].reverse().find((arm) => arm.weight > 0)!.name; // rounding at the very top
}
