// The steps of a closed-loop iteration, as its run's entries record them (an entry's position is its
// step's index), shared by the iteration and the gate.

/** The steps of an iteration, in order. */
export const loopSteps = ['trigger', 'dataset', 'retune', 'gate', 'canary', 'outcome'] as const;

/** A step as the loop run's entry records it: what it did, or (not done) what it is doing. */
export type LoopStepData = Record<string, unknown> & { step: (typeof loopSteps)[number]; done: boolean };
