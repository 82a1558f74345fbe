// A version's scores in one line, for its page: what its training measured and what ran on it since; and
// its training's test score alone, for the versions table.
import { score, shortRunId } from '../format';
import { href } from '../router';
import { runScore } from '../run-score';
import type { Run, Version } from '../types';

/**
 * The test score a version's training recorded (an adapter's), for the versions table: a label task's
 * label accuracy (how it is served when its spec constrains decoding), said so, else exact match (what
 * eval and the loop's gate compare); '–' without one.
 */
export function trainingTestScore(version: Version): string {
  const metrics = ((version.content.promptune ?? {}) as { metrics?: Record<string, unknown> }).metrics;
  if (typeof metrics?.testLabelAccuracy === 'number') return `${score(metrics.testLabelAccuracy)} (labels)`;
  return typeof metrics?.testExactMatch === 'number' ? score(metrics.testExactMatch) : '–';
}

/**
 * How good a version is, in one line: the test and dev exact match its training recorded (on the data it
 * trained with), the hand-written prompt's beside them when --baseline scored it, and the evaluations run
 * on the version since, each linked.
 */
export function VersionScores({
  version,
  made,
  evaluations,
}: {
  version: Version;
  made?: Run;
  evaluations: Run[];
}) {
  const recorded = (version.content.promptune ?? {}) as { metrics?: Record<string, unknown> };
  const metrics = recorded.metrics ?? {};
  // an adapter pushed for another task (--other-task) carries the scores of the task it trained for
  const elsewhere = typeof version.run?.trainedFor === 'string' ? version.run.trainedFor : undefined;
  const baseline = made?.summary?.baselineTestExactMatch;
  const parts = [
    typeof metrics.testExactMatch === 'number' && `test ${score(metrics.testExactMatch)}`,
    // a label task's answers as served, constrained to its labels
    typeof metrics.testLabelAccuracy === 'number' &&
      `test among its labels ${score(metrics.testLabelAccuracy)}`,
    typeof metrics.devExactMatch === 'number' && `dev ${score(metrics.devExactMatch)}`,
    typeof baseline === 'number' && `hand-written prompt ${score(baseline)}`,
  ].filter(Boolean);
  if (parts.length === 0 && evaluations.length === 0) return null;
  return (
    <>
      <dt>scores</dt>
      <dd data-testid="version-scores">
        {parts.length > 0 && (
          <span>
            {parts.join(' · ')} (
            {typeof metrics.testLabelAccuracy === 'number' ? 'exact match unless said' : 'exact match'}, at
            training
            {elsewhere ? (
              <strong>
                , on task {elsewhere}'s data, not {version.task}'s
              </strong>
            ) : version.run?.kind === 'adapter' ? (
              // pushed from a folder: its scores are of the data it trained with, which the registry
              // has not seen; the datasets beside it are the spec's
              <span title="registry push --adapter records the spec's datasets, not the ones the adapter was trained and scored on">
                , on the data it trained with, which may not be the datasets below
              </span>
            ) : (
              ''
            )}
            )
          </span>
        )}
        {evaluations.slice(0, 5).map((run) => (
          <span key={run.id}>
            {' '}
            · <a href={href(['runs', run.id])}>eval {shortRunId(run.id)}</a> {runScore(run)}
            {typeof run.summary?.n === 'number' && <span className="muted"> (n {run.summary.n})</span>}
          </span>
        ))}
      </dd>
    </>
  );
}
