// A closed-loop iteration's run page: why it started, the dataset version it wrote, the re-tune that made
// the candidate, the gate's evaluations and criteria, the canary experiment, and the outcome — each step
// linking to the runs, versions and experiment it produced, so "why did production change?" is one page.
import type { ReactNode } from 'react';
import { ErrorBox, Status } from '../components/feedback';
import { score } from '../format';
import { href } from '../router';
import type { Page, Run, RunEntry } from '../types';
import { useApi } from '../use-api';

type Step = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- the loop's own step records

const names: Record<string, string> = {
  trigger: 'Trigger',
  dataset: 'Dataset',
  retune: 'Re-tune',
  gate: 'Gate',
  canary: 'Canary',
  outcome: 'Outcome',
};

const runLink = (id: unknown, label: string) =>
  typeof id === 'string' ? (
    <a href={href(['runs', id])} title={id}>
      {label}
    </a>
  ) : null;

function versionLink(task: string, version: Step | undefined) {
  if (!version) return null;
  return <a href={href(['tasks', task], { v: version.id })}>version {version.number}</a>;
}

/**
 * Whether the iteration wrote its dataset version: one newer than the latest its trigger counted the
 * queue's corrections on. Otherwise (no new corrections: an alert, the schedule, --force) it trained on
 * the latest version as it was, whose rows an earlier iteration or `review dataset` added.
 */
function wroteDataset(dataset: Step, trigger: Step | undefined): boolean {
  const base: unknown = trigger?.corrections?.base;
  return typeof base === 'number' && typeof dataset.version === 'number' && dataset.version > base;
}

/** What one step did, in a sentence or two with its links. */
function StepBody({ task, step, trigger }: { task: string; step: Step; trigger?: Step }): ReactNode {
  switch (step.step) {
    case 'trigger':
      return (
        <ul>
          {(step.reasons as string[] | undefined)?.map((reason) => (
            <li key={reason}>{reason}</li>
          ))}
        </ul>
      );
    case 'dataset':
      return (
        <p>
          <a href={href(['tasks', task])}>dataset version {step.version}</a> ({step.source}
          {step.parent ? `, on version ${step.parent}` : ''})
          {!wroteDataset(step, trigger) ? (
            <>: the latest version as it was, with no new corrections to write</>
          ) : (
            step.details?.added && (
              <>
                : added{' '}
                {Object.entries(step.details.added as Record<string, number>)
                  .map(([split, rows]) => `${rows} to ${split}`)
                  .join(', ')}
              </>
            )
          )}
        </p>
      );
    case 'retune':
      if (typeof step.reusedFrom === 'string')
        return (
          <p>
            not trained again: {versionLink(task, step.candidate)}, which{' '}
            {runLink(step.reusedFrom, 'an earlier iteration')} re-tuned from this dataset version with the
            same settings
          </p>
        );
      return (
        <p>
          {runLink(step.run, step.method === 'optimize' ? 'optimize' : 'soft train')} on the dataset
          {typeof step.job === 'string' && (
            <>
              {' '}
              (<a href={href(['jobs', step.job])}>its job</a>)
            </>
          )}
          {step.candidate && <> registered {versionLink(task, step.candidate)}</>}
          {!step.done && <> (running)</>}
        </p>
      );
    case 'gate':
      return (
        <>
          <p>
            {runLink(step.runs?.candidate, 'the candidate’s evaluation')} against{' '}
            {runLink(step.runs?.production, 'the evaluation')} of {versionLink(task, step.production)}, which
            served it
            {Object.entries((step.runs ?? {}) as Record<string, string>)
              .filter(([name]) => name !== 'candidate' && name !== 'production')
              .map(([name, id]) => (
                <span key={name}> · {runLink(id, `${name} audit`)}</span>
              ))}
          </p>
          {step.comparison && (
            <section className="cards">
              <div className="card">
                <span>candidate</span>
                <b>{score(step.scores?.candidate)}</b>
              </div>
              <div className="card">
                <span>production</span>
                <b>{score(step.scores?.production)}</b>
              </div>
              <div className="card">
                <span>difference</span>
                <b>{score(step.comparison.difference)}</b>
                <em>
                  [{score(step.comparison.interval?.[0])}, {score(step.comparison.interval?.[1])}]
                </em>
              </div>
              <div className="card">
                <span>flipped</span>
                <b>
                  +{step.comparison.improved} / −{step.comparison.regressed}
                </b>
              </div>
            </section>
          )}
          <ul className="criteria">
            {(step.criteria as { met: boolean; text: string }[] | undefined)?.map((criterion) => (
              <li key={criterion.text} className={criterion.met ? 'met' : 'unmet'}>
                {criterion.met ? '✓' : '✗'} {criterion.text}
              </li>
            ))}
          </ul>
        </>
      );
    case 'canary':
      // a canary that could not start (the treatment is production's own version, say) names no experiment
      if (typeof step.experiment !== 'string')
        return (
          <p className="muted">
            no experiment started
            {step.status ? (
              <>
                {' '}
                · <Status value={String(step.status)} />
              </>
            ) : (
              ''
            )}
          </p>
        );
      return (
        <p>
          <a href={href(['experiments', step.experiment])}>experiment {step.experiment}</a>
          {step.status ? (
            <>
              {' '}
              ended <Status value={String(step.status)} />
            </>
          ) : (
            ' running'
          )}
        </p>
      );
    case 'outcome':
      return (
        <p>
          <Status value={String(step.outcome)} /> {step.reason}
        </p>
      );
    default:
      return <pre>{JSON.stringify(step, null, 2)}</pre>;
  }
}

/** Outcomes of an iteration that did not put a better version in place. */
const failedOutcomes = new Set(['failed', 'gate-failed', 'rolled-back', 'stopped', 'timed-out']);

/** A finished step that went against the candidate: a gate not passed, a canary not promoted, a failed outcome. */
function stepFailed(step: Step): boolean {
  if (!step.done) return false;
  if (step.step === 'gate') return step.passed === false;
  if (step.step === 'canary') return step.status !== undefined && step.status !== 'promoted';
  if (step.step === 'outcome') return failedOutcomes.has(String(step.outcome));
  return false;
}

/** The iteration's steps as a timeline, live while it runs. */
export function LoopRun({ run }: { run: Run }) {
  const entries = useApi<Page<RunEntry>>(
    `/v1/runs/${run.id}/entries?kind=step&limit=100`,
    run.status === 'running' ? 2000 : undefined,
  );
  const steps = (entries.data?.data ?? []).map((entry) => entry.data as Step);
  const outcome = run.summary?.outcome;
  return (
    <>
      {typeof outcome === 'string' && (
        <p className="loop-outcome" data-testid="loop-outcome">
          <Status value={outcome} /> {String(run.summary?.reason ?? '')}
        </p>
      )}
      {entries.error && <ErrorBox error={entries.error} />}
      <ol className="loop-steps" data-testid="loop-steps">
        {steps.map((step) => (
          <li key={step.step} className={stepFailed(step) ? 'failed' : step.done ? 'done' : 'active'}>
            <h3>{names[step.step] ?? step.step}</h3>
            <StepBody task={run.task} step={step} trigger={steps.find((each) => each.step === 'trigger')} />
          </li>
        ))}
      </ol>
    </>
  );
}
