// The steps of a closed-loop iteration, as its run's entries record them (an entry's position is its
// step's index), shared by the iteration and the gate, and how a step finds a run it may reuse.
import type { Registry, RunRecord } from '../registry/index.js';

/** The steps of an iteration, in order. */
export const loopSteps = ['trigger', 'dataset', 'retune', 'gate', 'canary', 'outcome'] as const;

/** A step as the loop run's entry records it: what it did, or (not done) what it is doing. */
export type LoopStepData = Record<string, unknown> & { step: (typeof loopSteps)[number]; done: boolean };

/** A step's run from an earlier attempt, when it completed (a resumed iteration does not run it again). */
export async function completedRun(registry: Registry, id: unknown): Promise<RunRecord | undefined> {
  if (typeof id !== 'string') return undefined;
  const run = await registry.runs.get(id).catch(() => undefined);
  return run?.status === 'completed' ? run : undefined;
}
