// How the loop iterations that made a task's versions ended, for the versions table's tags: the
// candidates the gate or a canary turned away, and the ones promoted, each with its iteration's run.
// An iteration that ended `unchanged` made no version (it names the one production already served).
import type { Run } from './types';

/** A version's latest loop iteration: how it ended and the run to open. */
export interface VersionLoopOutcome {
  outcome: string;
  run: string;
}

/** By version id, the latest loop iteration that made the version (runs in any order). */
export function loopOutcomesByVersion(runs: readonly Run[]): Map<string, VersionLoopOutcome> {
  const latest = new Map<string, Run>();
  for (const run of runs) {
    const outcome = run.summary?.outcome;
    if (run.kind !== 'loop' || !run.version || typeof outcome !== 'string' || outcome === 'unchanged')
      continue;
    const seen = latest.get(run.version);
    if (!seen || run.startedAt > seen.startedAt) latest.set(run.version, run);
  }
  return new Map(
    [...latest].map(([version, run]) => [version, { outcome: String(run.summary?.outcome), run: run.id }]),
  );
}

/** Whether an outcome turned its candidate away (shown as a warning rather than a plain tag). */
export function turnedAway(outcome: string): boolean {
  return outcome !== 'promoted';
}
