// Jobs, newest first, refreshed every two seconds: each command with its status, attempts and worker;
// a job's page follows its output while it runs, and an admin may cancel it.
import { useEffect, useRef, useState } from 'react';
import { api, query, type ApiError } from '../api';
import { CursorPager, useCursors } from '../components/controls';
import { Empty, ErrorBox, Loading, Status } from '../components/feedback';
import { ago, duration, time } from '../format';
import { href, navigate } from '../router';
import { can, useSession } from '../session';
import type { Job, JobSummary, Page, Run } from '../types';
import { useApi } from '../use-api';
import { Progress } from './runs';

const statuses = ['queued', 'running', 'completed', 'failed', 'cancelled'];

/**
 * A running job not heard from for a minute (its worker's heartbeat is every second): its worker may be
 * dead, until its lease lapses and another takes it or the job is ended.
 */
const silentMs = 60_000;

/** The job's status, and for a running job whose worker has gone quiet, for how long. */
function JobStatus({ job }: { job: JobSummary }) {
  const quiet =
    job.status === 'running' && job.heartbeatAt !== null && Date.now() - job.heartbeatAt > silentMs;
  return (
    <>
      <Status value={job.status} />
      {quiet && (
        <span className="tag tag-warn" title="its worker may be dead: the job moves on when its lease lapses">
          last heard {ago(job.heartbeatAt!)}
        </span>
      )}
    </>
  );
}
const took = (job: JobSummary) =>
  job.startedAt === null
    ? '–'
    : duration((job.finishedAt ?? job.heartbeatAt ?? job.startedAt) - job.startedAt);

/** The job list. Query: status. */
export function JobsPage({ query: route }: { query: URLSearchParams }) {
  const status = route.get('status') ?? undefined;
  const cursors = useCursors(status ?? '');
  const jobs = useApi<Page<JobSummary>>(
    `/v1/jobs${query({ status, after: cursors.after, limit: 50 })}`,
    2000,
  );
  return (
    <>
      <h1>Jobs</h1>
      <div className="toolbar">
        <select
          aria-label="status"
          value={status ?? ''}
          onChange={(event) => navigate(['jobs'], { status: event.target.value || undefined })}
        >
          <option value="">every status</option>
          {statuses.map((each) => (
            <option key={each}>{each}</option>
          ))}
        </select>
      </div>
      {jobs.error && <ErrorBox error={jobs.error} />}
      {!jobs.data ? (
        <Loading />
      ) : jobs.data.data.length === 0 ? (
        <Empty title="No jobs yet">
          <p>
            Queue long work for the workers (or this service):{' '}
            <code>promptune job submit -- optimize --task task.yaml --model … --push</code>; run workers with{' '}
            <code>promptune worker</code> (add <code>--redis</code> for BullMQ).
          </p>
        </Empty>
      ) : (
        <table className="grid" data-testid="jobs">
          <thead>
            <tr>
              <th>job</th>
              <th>kind</th>
              <th>status</th>
              <th className="number">attempt</th>
              <th>worker</th>
              <th>queued</th>
              <th>took</th>
              <th>command</th>
            </tr>
          </thead>
          <tbody>
            {jobs.data.data.map((job) => (
              <tr key={job.id}>
                <td className="nowrap">
                  <a href={href(['jobs', job.id])}>{job.id}</a>
                </td>
                <td>{job.kind}</td>
                <td className="nowrap">
                  <JobStatus job={job} />
                </td>
                <td className="number">
                  {job.attempts}/{job.maxAttempts}
                </td>
                <td>{job.worker ?? '–'}</td>
                <td className="nowrap" title={time(job.createdAt)}>
                  {ago(job.createdAt)}
                </td>
                <td className="nowrap">{took(job)}</td>
                <td className="reason">
                  <code>{job.args.join(' ')}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {jobs.data && (!cursors.first || jobs.data.next) && (
        <CursorPager cursors={cursors} next={jobs.data.next} />
      )}
    </>
  );
}

/** A run a job recorded: its status and progress, live while the job runs. */
function JobRun({ id, live }: { id: string; live: boolean }) {
  const run = useApi<Run>(`/v1/runs/${encodeURIComponent(id)}`, live ? 2000 : undefined);
  return (
    <li>
      <a href={href(['runs', id])}>{id}</a> {run.data && <Status value={run.data.status} />}{' '}
      {run.data && <Progress run={run.data} />}
    </li>
  );
}

/** One job, its output followed while it runs. */
export function JobPage({ id }: { id: string }) {
  const me = useSession();
  const job = useApi<Job>(`/v1/jobs/${encodeURIComponent(id)}`, 2000);
  const [error, setError] = useState<ApiError>();
  const output = useRef<HTMLPreElement>(null);
  const log = job.data?.log;
  useEffect(() => {
    const element = output.current;
    if (element) element.scrollTop = element.scrollHeight;
  }, [log]);
  if (job.error) return <ErrorBox error={job.error} />;
  if (!job.data) return <Loading />;
  const current = job.data;
  const live = current.status === 'queued' || current.status === 'running';
  // the runs the command recorded (with --push): noted as they start, or named in its output
  const runs = [
    ...new Set([
      ...(current.result?.runs ?? []),
      ...[...current.log.matchAll(/recorded as run (run-[0-9a-f-]+)/g)].map((match) => match[1]),
    ]),
  ];
  const cancel = async () => {
    setError(undefined);
    try {
      await api(`/v1/jobs/${encodeURIComponent(current.id)}/cancel`, { method: 'POST' });
      job.reload();
    } catch (caught) {
      setError(caught as ApiError);
    }
  };
  return (
    <>
      <h1>
        {current.id} <JobStatus job={current} />
      </h1>
      <p>
        <code>promptune {current.args.join(' ')}</code>
      </p>
      <p className="muted">
        in {current.cwd} · {current.queue} queue · attempt {current.attempts} of {current.maxAttempts}
        {current.worker && ` on ${current.worker}`} · queued {time(current.createdAt)} by {current.actor}
        {current.heartbeatAt !== null && ` · last heard ${ago(current.heartbeatAt)}`}
      </p>
      {current.error && <p className="reason">Error: {current.error}</p>}
      {runs.length > 0 && (
        <section className="panel">
          <h2>{runs.length === 1 ? 'Its run' : 'Its runs'}</h2>
          <ul className="plain" data-testid="job-runs">
            {runs.map((run) => (
              <JobRun key={run} id={run} live={live} />
            ))}
          </ul>
        </section>
      )}
      {live && can(me, 'admin') && (
        <div className="toolbar">
          <button disabled={current.cancelRequested} onClick={() => void cancel()}>
            {current.cancelRequested ? 'Stopping…' : 'Cancel job'}
          </button>
        </div>
      )}
      {error && <ErrorBox error={error} />}
      <section className="panel">
        <h2>Output{live && ' (live)'}</h2>
        <pre className="job-log" ref={output} data-testid="job-log">
          {current.log || '(nothing yet)'}
        </pre>
      </section>
    </>
  );
}
