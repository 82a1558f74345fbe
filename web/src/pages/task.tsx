// A task: its versions (the prompt, lineage), a word diff between any two, labels with their history
// (moved and rolled back by admin keys only), its dataset versions and its datasets.
import { useState } from 'react';
import { api, ApiError, query } from '../api';
import { DatasetVersions } from '../components/dataset-versions';
import { VersionDiff } from '../components/version-diff';
import { Empty, ErrorBox, Loading } from '../components/feedback';
import { time } from '../format';
import { trainingTestScore } from '../components/version-scores';
import { href, navigate } from '../router';
import { can, useSession } from '../session';
import { loopOutcomesByVersion, turnedAway, type VersionLoopOutcome } from '../loop-outcomes';
import type { Dataset, Experiment, LabelEvent, Run, TaskDetail, Version } from '../types';
import { useApi } from '../use-api';
import { methodDetail, versionMethod } from '../version-text';
import { VersionView } from './version-view';

/** How the loop iteration that made a version ended, linking its run (nothing for a version no loop made). */
function LoopOutcomeTag({ made }: { made: VersionLoopOutcome | undefined }) {
  if (!made) return null;
  return (
    <a
      className={turnedAway(made.outcome) ? 'tag tag-warn' : 'tag'}
      href={href(['runs', made.run])}
      title="how the loop iteration that made this version ended"
      data-testid="loop-outcome-tag"
    >
      loop: {made.outcome}
    </a>
  );
}

/**
 * The experiments splitting this task's labels now: what share goes to which version, and that moving
 * or rolling back the label stops it.
 */
function RunningExperiments({
  task,
  numberOf,
}: {
  task: string;
  numberOf: (version: string) => number | undefined;
}) {
  const running = useApi<{ data: Experiment[] }>(
    `/v1/experiments${query({ task, status: 'running' })}`,
    10_000,
  );
  return (
    <>
      {running.data?.data.map((experiment) => (
        <p key={experiment.id} className="canary" data-testid="running-experiment">
          <b>{experiment.label}</b> is split by{' '}
          <a href={href(['experiments', experiment.id])}>experiment {experiment.id}</a>:{' '}
          {Math.round(experiment.weight * 1000) / 10}% of its traffic goes to v
          {numberOf(experiment.treatment)}. Moving or rolling back {experiment.label} stops it.
        </p>
      ))}
    </>
  );
}

function LabelPanel({
  task,
  detail,
  versions,
  reload,
}: {
  task: string;
  detail: TaskDetail;
  versions: Version[];
  reload: () => void;
}) {
  const me = useSession();
  const admin = can(me, 'admin');
  const [shown, setShown] = useState<string>();
  const [label, setLabel] = useState('');
  const [target, setTarget] = useState('');
  const [reason, setReason] = useState('');
  const [override, setOverride] = useState('');
  const [error, setError] = useState<ApiError>();
  // the move the audit policy refused: an admin may make that one anyway, with a reason the history
  // keeps (another label or version is asked plainly first, and its own refusal shown)
  const [refused, setRefused] = useState<{ label: string; target: string }>();
  const refusedByPolicy = refused?.label === label && refused.target === target;
  const history = useApi<{ data: LabelEvent[] }>(
    shown ? `/v1/tasks/${encodeURIComponent(task)}/labels/${encodeURIComponent(shown)}/history` : null,
  );
  const numberOf = (id: string | null) => versions.find((version) => version.id === id)?.number;
  const act = async (work: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await work();
      setReason(''); // a reason is one move's or rollback's: never sent again with the next
      reload();
      history.reload();
    } catch (caught) {
      setError(caught as ApiError);
    }
  };
  return (
    <section className="panel">
      <h2>Labels</h2>
      {detail.labels.length === 0 && <p className="muted">No labels yet.</p>}
      <RunningExperiments task={task} numberOf={numberOf} />
      <table className="grid">
        <tbody>
          {detail.labels.map((entry) => (
            <tr key={entry.label}>
              <td>
                <button className="link" onClick={() => setShown(entry.label)}>
                  {entry.label}
                </button>
                {entry.protected && <span className="tag">protected</span>}
              </td>
              <td>
                <a href={href(['tasks', task], { v: numberOf(entry.version) })}>v{numberOf(entry.version)}</a>
              </td>
              <td className="muted">{time(entry.updatedAt)}</td>
              {admin && (
                <td>
                  <button
                    className="small"
                    onClick={() =>
                      act(() =>
                        api(
                          `/v1/tasks/${encodeURIComponent(task)}/labels/${encodeURIComponent(entry.label)}/rollback`,
                          // the reason typed below goes with a rollback as with a move
                          { method: 'POST', ...(reason.trim() && { body: { reason: reason.trim() } }) },
                        ),
                      )
                    }
                  >
                    Roll back
                  </button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {admin && (
        <form
          className="inline"
          data-testid="move-label"
          onSubmit={(event) => {
            event.preventDefault();
            const overridePolicy = refusedByPolicy ? override.trim() : '';
            void act(() =>
              api(`/v1/tasks/${encodeURIComponent(task)}/labels/${encodeURIComponent(label)}`, {
                method: 'PUT',
                body: {
                  version: Number(target),
                  ...(reason && { reason }),
                  ...(overridePolicy && { overridePolicy }),
                },
              }).then(
                () => {
                  setOverride('');
                  setRefused(undefined);
                },
                (caught: unknown) => {
                  if ((caught as ApiError).code === 'REGISTRY_AUDIT_POLICY') setRefused({ label, target });
                  throw caught;
                },
              ),
            );
          }}
        >
          <input
            placeholder="label"
            value={label}
            onChange={(event) => setLabel(event.target.value)}
            aria-label="label"
          />
          <select value={target} onChange={(event) => setTarget(event.target.value)} aria-label="version">
            <option value="">version…</option>
            {versions.map((version) => (
              <option key={version.id} value={version.number}>
                v{version.number}
              </option>
            ))}
          </select>
          <input
            placeholder="reason (of a move or a roll back)"
            value={reason}
            onChange={(event) => setReason(event.target.value)}
            aria-label="reason"
          />
          {refusedByPolicy && (
            <input
              placeholder="why move it anyway (kept in the history)"
              value={override}
              onChange={(event) => setOverride(event.target.value)}
              aria-label="override the audit policy"
              className="whole-row"
            />
          )}
          <button type="submit" disabled={!label || !target || (refusedByPolicy && !override.trim())}>
            {refusedByPolicy ? 'Override the policy and move' : 'Move label'}
          </button>
        </form>
      )}
      {error && <ErrorBox error={error} />}
      {shown && (
        <>
          <h3>History of {shown}</h3>
          {history.error && <ErrorBox error={history.error} />}
          <table className="grid" data-testid="label-history">
            <thead>
              <tr>
                <th>when</th>
                <th>from</th>
                <th>to</th>
                <th>who</th>
                <th>why</th>
              </tr>
            </thead>
            <tbody>
              {history.data?.data.map((event) => (
                <tr key={event.id}>
                  <td>{time(event.at)}</td>
                  <td>{event.from ? `v${numberOf(event.from)}` : '–'}</td>
                  <td>v{numberOf(event.to)}</td>
                  <td>
                    {/* a move an experiment made links to it (and it to the loop that started it) */}
                    {event.actor.startsWith('experiment:') ? (
                      <a href={href(['experiments', event.actor.slice('experiment:'.length)])}>
                        {event.actor}
                      </a>
                    ) : (
                      event.actor
                    )}
                  </td>
                  <td>{event.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

function Datasets({ task }: { task: string }) {
  const datasets = useApi<{ data: Dataset[] }>(`/v1/tasks/${encodeURIComponent(task)}/datasets`);
  if (datasets.error) return <ErrorBox error={datasets.error} />;
  if (!datasets.data) return <Loading />;
  return (
    <section className="panel">
      <h2>Datasets</h2>
      {datasets.data.data.length === 0 ? (
        <p className="muted">
          No datasets stored: pushes with data (registry push, soft train --push) store them.
        </p>
      ) : (
        <table className="grid">
          <thead>
            <tr>
              <th>split</th>
              <th>file</th>
              <th>id</th>
              <th className="number">rows</th>
              <th>stored</th>
            </tr>
          </thead>
          <tbody>
            {datasets.data.data.map((dataset) => (
              <tr key={dataset.id}>
                <td>{dataset.split}</td>
                <td>
                  <a href={href(['tasks', task, 'datasets', dataset.id])}>{dataset.name}</a>
                </td>
                {/* one file stored twice (a queue's corrections, grown) is told apart by its id */}
                <td>
                  <code>{dataset.id.slice(0, 8)}</code>
                </td>
                <td className="number">{dataset.rows}</td>
                <td className="muted">{time(dataset.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** One task. Query: v (the version shown), a and b (two versions diffed). */
export function TaskPage({ name, query }: { name: string; query: URLSearchParams }) {
  const path = `/v1/tasks/${encodeURIComponent(name)}`;
  const detail = useApi<TaskDetail>(path);
  const versions = useApi<{ data: Version[] }>(`${path}/versions`, 4000);
  // the loop iterations that made versions: the versions table tags what the gate or a canary turned away
  const loops = useApi<{ data: Run[] }>(
    `/v1/runs?task=${encodeURIComponent(name)}&kind=loop&limit=500`,
    4000,
  );
  if (detail.error) return <ErrorBox error={detail.error} />;
  if (versions.error) return <ErrorBox error={versions.error} />;
  if (!detail.data || !versions.data) return <Loading />;
  const list = [...versions.data.data].sort((a, b) => b.number - a.number);
  const reload = () => {
    detail.reload();
    versions.reload();
  };
  // ?v= is a version number or an id (prefix), as runs link to the version they made; a number is
  // always the version of that number (an id may start with its digits: v3 is not the id 3bf5…)
  const wanted = query.get('v');
  const shown =
    (wanted &&
      (list.find((version) => String(version.number) === wanted) ??
        list.find((version) => version.id.startsWith(wanted)))) ||
    list[0];
  const a = list.find((version) => String(version.number) === query.get('a'));
  const b = list.find((version) => String(version.number) === query.get('b'));
  const loopOutcomes = loopOutcomesByVersion(loops.data?.data ?? []);
  const labelsOf = (id: string) =>
    detail.data!.labels.filter((label) => label.version === id).map((label) => label.label);
  const pick = (side: 'a' | 'b', number: number) =>
    navigate(['tasks', name], {
      v: query.get('v') ?? undefined,
      a: side === 'a' ? number : (query.get('a') ?? undefined),
      b: side === 'b' ? number : (query.get('b') ?? undefined),
    });
  return (
    <>
      <h1>
        {name} <span className="muted small-title">{detail.data.spec.description}</span>
      </h1>
      <p className="actions">
        <a href={href(['runs'], { task: name })}>Runs</a> ·{' '}
        <a href={href(['traces'], { task: name })}>Traces</a> ·{' '}
        <a href={href(['monitor'], { task: name })}>Monitor</a> ·{' '}
        <a href={href(['playground'], { task: name })}>Playground</a>
      </p>
      {list.length === 0 ? (
        <Empty title="No versions yet">
          <p>
            <code>npx promptune registry push --task &lt;spec&gt;</code> registers the first.
          </p>
        </Empty>
      ) : (
        <div className="columns wide-first">
          <section className="panel">
            <h2>Versions</h2>
            <table className="grid" data-testid="versions">
              <thead>
                <tr>
                  <th>#</th>
                  <th>method</th>
                  <th
                    className="number"
                    title="the test score its training recorded: a label task's label accuracy (among its labels, as served when its spec constrains decoding), else exact match"
                  >
                    test
                  </th>
                  <th>message</th>
                  <th>labels</th>
                  <th title="diff: first and second version">diff</th>
                </tr>
              </thead>
              <tbody>
                {list.map((version) => (
                  <tr key={version.id} className={version === shown ? 'selected' : undefined}>
                    <td>
                      <a
                        href={href(['tasks', name], {
                          v: version.number,
                          a: query.get('a') ?? undefined,
                          b: query.get('b') ?? undefined,
                        })}
                      >
                        v{version.number}
                      </a>
                    </td>
                    <td>
                      {versionMethod(version)}
                      {methodDetail(version) && (
                        <div className="muted method-detail">{methodDetail(version)}</div>
                      )}
                      {version.notServed && (
                        <span className="tag tag-warn" title={version.notServed}>
                          not served here
                        </span>
                      )}
                    </td>
                    <td className="number">{trainingTestScore(version)}</td>
                    <td className="muted clip narrow" title={version.message}>
                      {version.message}
                    </td>
                    <td>
                      {labelsOf(version.id).map((label) => (
                        <span key={label} className="tag">
                          {label}
                        </span>
                      ))}
                      <LoopOutcomeTag made={loopOutcomes.get(version.id)} />
                    </td>
                    <td className="nowrap">
                      <input
                        type="radio"
                        name="a"
                        aria-label={`diff from v${version.number}`}
                        checked={a === version}
                        onChange={() => pick('a', version.number)}
                      />
                      <input
                        type="radio"
                        name="b"
                        aria-label={`diff to v${version.number}`}
                        checked={b === version}
                        onChange={() => pick('b', version.number)}
                      />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <LabelPanel task={name} detail={detail.data} versions={list} reload={reload} />
        </div>
      )}
      {a && b && <VersionDiff a={a} b={b} />}
      {shown && <VersionView version={shown} versions={list} labels={detail.data.labels} />}
      <DatasetVersions task={name} />
      <Datasets task={name} />
    </>
  );
}
