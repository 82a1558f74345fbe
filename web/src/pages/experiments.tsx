// Experiments, newest first, refreshed every five seconds: each label's canary with its status, the
// treatment's share of traffic now, and why it is where it is.
import { query } from '../api';
import { Empty, ErrorBox, Loading, Status } from '../components/feedback';
import { ago } from '../format';
import { href, navigate } from '../router';
import type { Experiment } from '../types';
import { useApi } from '../use-api';
import { armsText, experimentArms } from '../experiment-arms';
import { useVersionNames } from '../version-names';

const statuses = ['running', 'promoted', 'rolled-back', 'stopped', 'inconclusive'];

/** The treatment's share as a bar. */
export function Share({ weight }: { weight: number }) {
  return (
    <span className="progress" title={`the treatment gets ${(weight * 100).toFixed(1)}% of the traffic`}>
      <span style={{ width: `${weight * 100}%` }} />
      <em>{Math.round(weight * 1000) / 10}%</em>
    </span>
  );
}

/** The experiment list. Query: task, status. */
export function ExperimentsPage({ query: route }: { query: URLSearchParams }) {
  const filter = { task: route.get('task') ?? undefined, status: route.get('status') ?? undefined };
  const experiments = useApi<{ data: Experiment[] }>(`/v1/experiments${query(filter)}`, 5000);
  // which versions each compared: after a few loop iterations a label has had several canaries
  const version = useVersionNames((experiments.data?.data ?? []).flatMap(experimentArms));
  return (
    <>
      <h1>Experiments</h1>
      <div className="toolbar">
        <select
          aria-label="status"
          value={filter.status ?? ''}
          onChange={(event) =>
            navigate(['experiments'], { ...filter, status: event.target.value || undefined })
          }
        >
          <option value="">every status</option>
          {statuses.map((status) => (
            <option key={status}>{status}</option>
          ))}
        </select>
      </div>
      {experiments.error && <ErrorBox error={experiments.error} />}
      {!experiments.data ? (
        <Loading />
      ) : experiments.data.data.length === 0 ? (
        <Empty title="No experiments yet">
          <p>
            Start a canary of a version against what production serves:{' '}
            <code>
              promptune experiment start &lt;task&gt; --treatment &lt;version&gt; --primary &lt;score&gt;
              --admin
            </code>
            . The service splits the traffic per user and promotes or rolls back on its own.
          </p>
        </Empty>
      ) : (
        <table className="grid" data-testid="experiments">
          <thead>
            <tr>
              <th>experiment</th>
              <th>task@label</th>
              <th>versions</th>
              <th>status</th>
              <th>treatment share</th>
              <th>primary</th>
              <th>started</th>
              <th>why</th>
            </tr>
          </thead>
          <tbody>
            {experiments.data.data.map((experiment) => (
              <tr key={experiment.id}>
                <td className="nowrap">
                  <a href={href(['experiments', experiment.id])}>{experiment.id}</a>
                </td>
                <td>
                  <a href={href(['tasks', experiment.task])}>{experiment.task}</a>@{experiment.label}
                </td>
                <td className="nowrap">{armsText(experiment, version)}</td>
                <td>
                  <Status value={experiment.status} />
                </td>
                <td>
                  <Share weight={experiment.weight} />
                </td>
                <td>{experiment.config.primary}</td>
                <td title={new Date(experiment.createdAt).toISOString()}>{ago(experiment.createdAt)}</td>
                <td className="reason">{experiment.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
