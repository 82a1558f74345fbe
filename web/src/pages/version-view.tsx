// One version of a task on its page: what made it (with the run), its scores and audits, how to call
// it (or why this service cannot), its parent and data, and its prompt or adapter in sections.
import { makingRun } from '../making-run';
import { query } from '../api';
import { shortId, shortRunId, time } from '../format';
import { VersionScores } from '../components/version-scores';
import { href } from '../router';
import { runScore } from '../run-score';
import { useEffect, useRef } from 'react';
import { useServingSpec } from '../serving-spec';
import type { Run, TaskDetail, Version } from '../types';
import { useApi } from '../use-api';
import { versionMethod, versionSections } from '../version-text';

const madeBy: Record<string, string> = {
  manual: 'a push (registry push)',
  optimize: 'an optimization (optimize --push)',
  'soft-train': 'training (soft train --push)',
  adapter: 'an adapter folder (registry push --adapter)',
};

/**
 * What made a version, from its lineage: a training names its method ("LoRA training"), a multitask
 * training the tasks it trained at once.
 */
function madeByText(run: Record<string, unknown>, version: Version): string {
  const training = (run.training ?? {}) as { data?: unknown };
  if (run.kind === 'soft-train' && Array.isArray(training.data) && training.data.length > 1)
    return `multitask training of ${training.data.length} tasks at once (soft train-multitask --push): ${training.data.join(', ')}`;
  if (run.kind === 'soft-train') return `${versionMethod(version)} ${madeBy['soft-train']}`;
  return madeBy[String(run.kind)] ?? 'a push';
}

/**
 * Whether each label an audit policy guards may move to this version, as the gate would judge it now,
 * with the audits it counted or the criteria it misses.
 */
function PolicyVerdicts({ version, labels }: { version: Version; labels: TaskDetail['labels'] }) {
  const one = useApi<Version>(`/v1/tasks/${encodeURIComponent(version.task)}/versions/${version.number}`);
  // a label moved (here, or away from the version whose policy held it): the verdicts change
  const moved = JSON.stringify(labels.map((label) => [label.label, label.version]));
  const seen = useRef(moved);
  const { reload } = one;
  useEffect(() => {
    if (seen.current === moved) return;
    seen.current = moved;
    reload();
  }, [moved, reload]);
  const verdicts = one.data?.auditPolicy ?? [];
  if (verdicts.length === 0) return null;
  return (
    <>
      <dt>audit policy</dt>
      <dd data-testid="version-policy">
        {verdicts.map((verdict) => (
          <div key={verdict.label} className={verdict.met ? 'policy-met' : 'policy-failed'}>
            <strong>{verdict.label}</strong>: {verdict.current && 'points here; '}
            {verdict.met ? (
              <>
                {verdict.current ? 'its audits meet the policy' : 'may move here'}
                {verdict.counted.length > 0 && <> (met by {verdict.counted.map(shortRunId).join(', ')})</>}
              </>
            ) : (
              <>
                {verdict.current
                  ? 'moved here by an override, the policy is not met'
                  : 'a move here is refused'}
                : {verdict.failures.join('; ')}
                {verdict.heldByIncumbent && (
                  <span className="muted">
                    {' '}
                    (only the policy of the version {verdict.label} serves holds it)
                  </span>
                )}
              </>
            )}
            {verdict.notCounted.map((reason) => (
              <span key={reason} className="muted">
                {' '}
                · not counted: {reason}
              </span>
            ))}
          </div>
        ))}
      </dd>
    </>
  );
}

/** A version's panel. */
export function VersionView({
  version,
  versions,
  labels,
}: {
  version: Version;
  versions: Version[];
  labels: TaskDetail['labels'];
}) {
  const parent = versions.find((candidate) => candidate.id === version.parent);
  const spec = useServingSpec(version);
  const run = version.run ?? {};
  // the recorded run that produced this version (the first optimization or training pushed with --push
  // that registered it): not an audit of it, nor the loop iteration that registered it through its training
  // the version's own runs, however many the task has (its maker is the first of them)
  const runs = useApi<{ data: Run[] }>(
    `/v1/runs${query({ task: version.task, version: version.id, limit: 500 })}`,
  );
  const made = runs.data ? makingRun(runs.data.data, version.id) : undefined;
  const evaluations =
    runs.data?.data.filter(
      (candidate) =>
        candidate.version === version.id &&
        candidate.kind === 'evaluation' &&
        candidate.status === 'completed',
    ) ?? [];
  // the audits of this version (what a task's audit policy reads), newest first
  const audits =
    runs.data?.data.filter(
      (candidate) =>
        candidate.version === version.id && candidate.kind === 'audit' && candidate.status === 'completed',
    ) ?? [];
  return (
    <section className="panel" data-testid="version">
      <h2>
        Version {version.number} <span className="tag">{versionMethod(version)}</span>
      </h2>
      <p className="muted">
        {version.message} · {version.actor} · {time(version.createdAt)} · <code>{shortId(version.id)}</code>
      </p>
      <dl className="lineage">
        <dt>made by</dt>
        <dd>
          {madeByText(run, version)}
          {made && (
            <>
              {' '}
              (<a href={href(['runs', made.id])}>run {shortRunId(made.id)}</a>)
            </>
          )}
        </dd>
        <VersionScores version={version} made={made} evaluations={evaluations} />
        {audits.length > 0 && (
          <>
            <dt>audits</dt>
            <dd data-testid="version-audits">
              {audits.slice(0, 8).map((audit, index) => (
                <span key={audit.id}>
                  {index > 0 && ' · '}
                  <a href={href(['runs', audit.id])}>
                    {String(audit.config.audit)} {shortRunId(audit.id)}
                  </a>{' '}
                  {runScore(audit)}
                  {audit.retired && <span className="muted"> (retired: {audit.retired.reason})</span>}
                </span>
              ))}
              {audits.length > 8 && <span className="muted"> · {audits.length - 8} more in Runs</span>}
            </dd>
          </>
        )}
        <PolicyVerdicts version={version} labels={labels} />
        <dt>call it</dt>
        {version.notServed ? (
          <dd className="not-served" data-testid="not-served">
            not on this service: {version.notServed}. Serve it with <code>promptune serve --model</code> the
            model it was trained on.
          </dd>
        ) : (
          <dd>
            <code>{`"model": "${version.task}@${version.number}"`}</code>{' '}
            <span className="muted">
              in POST /v1/chat/completions, or POST /v1/tasks/{version.task}@{version.number}/run with the
              input fields
            </span>
          </dd>
        )}
        <dt>parent</dt>
        <dd>
          {parent ? <a href={href(['tasks', version.task], { v: parent.number })}>v{parent.number}</a> : '–'}
        </dd>
        {typeof run.datasets === 'object' && run.datasets !== null && (
          <>
            <dt>datasets</dt>
            <dd>
              {Object.entries(run.datasets as Record<string, string>).map(([split, id]) => (
                <a key={split} className="tag" href={href(['tasks', version.task, 'datasets', id])}>
                  {split} {shortId(id)}
                </a>
              ))}
            </dd>
          </>
        )}
      </dl>
      {versionSections(version, spec).map(([title, body]) => (
        <div key={title} className="prompt-part">
          <h3>{title}</h3>
          <pre>{body || '–'}</pre>
        </div>
      ))}
    </section>
  );
}
