// Recorded runs, newest first, refreshed every two seconds so runs started from the CLI appear and
// move while they run; filters by task, kind and status; two evaluations picked for a comparison.
import { useState } from 'react';
import { query } from '../api';
import { CursorPager, FilterInput, useCursors } from '../components/controls';
import { Empty, ErrorBox, Loading, Status } from '../components/feedback';
import { ago, duration, shortRunId } from '../format';
import { runKindText, runScore } from '../run-score';
import { href, navigate } from '../router';
import type { Page, Run } from '../types';
import { useApi } from '../use-api';
import { useVersionNames } from '../version-names';

/** A run's progress as a bar (or a count when the total is unknown). */
export function Progress({ run }: { run: Run }) {
  if (!run.progress) return null;
  const { done, total } = run.progress;
  if (!total) return <span className="muted">{done} done</span>;
  return (
    <span className="progress" title={`${done} of ${total}`}>
      <span style={{ width: `${(100 * done) / total}%` }} />
      <em>
        {done}/{total}
      </em>
    </span>
  );
}

/** The run list. Query: task, kind, status. */
export function RunsPage({ query: route }: { query: URLSearchParams }) {
  const filter = {
    task: route.get('task') ?? undefined,
    kind: route.get('kind') ?? undefined,
    status: route.get('status') ?? undefined,
  };
  const cursors = useCursors(JSON.stringify(filter));
  const [picked, setPicked] = useState<string[]>([]);
  const runs = useApi<Page<Run>>(`/v1/runs${query({ ...filter, after: cursors.after, limit: 50 })}`, 2000);
  const version = useVersionNames(runs.data?.data ?? []);
  const setFilter = (name: string, value: string) => {
    navigate(['runs'], { ...filter, [name]: value || undefined });
  };
  const toggle = (id: string) =>
    setPicked((current) => (current.includes(id) ? current.filter((each) => each !== id) : [...current, id]));
  return (
    <>
      <h1>Runs</h1>
      <div className="toolbar">
        <FilterInput name="task" value={filter.task} onCommit={(value) => setFilter('task', value)} />
        <select
          value={filter.kind ?? ''}
          onChange={(event) => setFilter('kind', event.target.value)}
          aria-label="kind"
        >
          <option value="">every kind</option>
          <option value="evaluation">evaluation</option>
          <option value="optimization">optimization</option>
          <option value="soft-training">soft-training</option>
          <option value="audit">audit</option>
          <option value="loop">loop</option>
          <option value="comparison">method comparison</option>
        </select>
        <select
          value={filter.status ?? ''}
          onChange={(event) => setFilter('status', event.target.value)}
          aria-label="status"
        >
          <option value="">every status</option>
          {['running', 'completed', 'failed', 'interrupted', 'cancelled'].map((status) => (
            <option key={status}>{status}</option>
          ))}
        </select>
        <button
          disabled={picked.length < 2}
          title="Pick two or more evaluations (the first picked is the baseline)"
          onClick={() => navigate(['compare'], { runs: picked.join(',') })}
        >
          Compare {picked.length >= 2 ? picked.length : ''} evaluations
        </button>
      </div>
      {runs.error && <ErrorBox error={runs.error} />}
      {!runs.data ? (
        <Loading />
      ) : runs.data.data.length === 0 && cursors.first ? (
        filter.task || filter.status ? (
          <Empty title="No runs match">
            <p>No run matches these filters: widen them above.</p>
          </Empty>
        ) : filter.kind === 'audit' ? (
          <Empty title="No audits recorded yet">
            <p>
              Add <code>--push</code> to <code>promptune audit bias</code>, <code>sensitivity</code>,{' '}
              <code>variability</code> or <code>explain</code> (with this dashboard's registry): the audit
              shows here, and a task's <code>audit.policy</code> then gates moving production to a version.
            </p>
          </Empty>
        ) : (
          <Empty
            title={filter.task || filter.kind || filter.status ? 'No runs match' : 'No runs recorded yet'}
          >
            <p>
              Add <code>--push</code> to <code>promptune eval</code>, <code>optimize</code> or{' '}
              <code>soft train</code> (with this dashboard's registry): the run shows here while it runs.
            </p>
          </Empty>
        )
      ) : (
        <>
          <table className="grid" data-testid="runs">
            <thead>
              <tr>
                <th />
                <th>run</th>
                <th>kind</th>
                <th>task</th>
                <th>status</th>
                <th>progress</th>
                <th className="number">score</th>
                <th>started</th>
                <th>took</th>
                <th>by</th>
              </tr>
            </thead>
            <tbody>
              {runs.data.data.map((run) => (
                <tr key={run.id}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`pick ${run.id}`}
                      checked={picked.includes(run.id)}
                      onChange={() => toggle(run.id)}
                    />
                  </td>
                  <td>
                    <a href={href(['runs', run.id])} title={run.id}>
                      {shortRunId(run.id)}
                    </a>
                  </td>
                  <td>{runKindText(run)}</td>
                  <td>
                    <a href={href(['tasks', run.task])}>{run.task}</a>
                    {run.version && (
                      <>
                        {' '}
                        <a
                          className="muted"
                          href={href(['tasks', run.task], { v: run.version })}
                          title={run.version}
                        >
                          {version(run.task, run.version)}
                        </a>
                      </>
                    )}
                  </td>
                  <td>
                    <Status value={run.status} />
                    {run.retired && (
                      <span className="tag" title={`retired by ${run.retired.actor}: ${run.retired.reason}`}>
                        retired
                      </span>
                    )}
                  </td>
                  <td>
                    <Progress run={run} />
                  </td>
                  <td className="number">{runScore(run)}</td>
                  <td className="muted">{ago(run.startedAt)}</td>
                  <td className="muted">{duration((run.finishedAt ?? run.heartbeatAt) - run.startedAt)}</td>
                  <td className="muted">{run.actor}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <CursorPager cursors={cursors} next={runs.data.next} />
        </>
      )}
    </>
  );
}
