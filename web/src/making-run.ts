// The run that made a version, for its page's "made by": the first training or optimization that
// registered it. A later run of the same data and settings (a loop iteration that re-tuned to the very
// version production serves, ending `unchanged`) names the version too, without having made it.
import type { Run } from './types';

/** The first recorded training or optimization whose registered version is `versionId`, if any. */
export function makingRun(runs: readonly Run[], versionId: string): Run | undefined {
  let first: Run | undefined;
  for (const run of runs)
    if (
      run.version === versionId &&
      (run.kind === 'optimization' || run.kind === 'soft-training') &&
      (!first || run.startedAt < first.startedAt)
    )
      first = run;
  return first;
}
