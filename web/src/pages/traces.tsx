// Traces, newest first, a page of 100 at a time from the service (the service pages by cursor, so
// 100,000 traces cost what 100 do), with filters by task, label, version (an experiment's arm), run,
// errors, a failed guard check (of any validator or of one) and time.
import { query } from '../api';
import { CursorPager, FilterInput, useCursors } from '../components/controls';
import { Empty, ErrorBox, Loading, Status } from '../components/feedback';
import { dollars, duration, shortRunId, time } from '../format';
import { href, navigate } from '../router';
import { traceInput, traceStatus } from '../trace-text';
import type { Page, Trace } from '../types';
import { useApi } from '../use-api';
import { useVersionNames } from '../version-names';

const ranges: Record<string, string | undefined> = {
  'last hour': '1h',
  'last day': '1d',
  'last week': '7d',
  'any time': undefined,
};

/** The trace list. Query: task, label, version, run, error (true), guard (any or a validator), range. */
export function TracesPage({ query: route }: { query: URLSearchParams }) {
  const filter = {
    task: route.get('task') ?? undefined,
    label: route.get('label') ?? undefined,
    version: route.get('version') ?? undefined,
    run: route.get('run') ?? undefined,
    error: route.get('error') ?? undefined,
    guard: route.get('guard') ?? undefined,
    range: route.get('range') ?? undefined,
  };
  const cursors = useCursors(JSON.stringify(filter));
  const traces = useApi<Page<Trace>>(
    `/v1/traces${query({
      task: filter.task,
      label: filter.label,
      version: filter.version,
      run: filter.run,
      error: filter.error,
      guard: filter.guard,
      since: filter.range ? ranges[filter.range] : undefined,
      after: cursors.after,
      limit: 100,
    })}`,
  );
  const version = useVersionNames(traces.data?.data ?? []);
  const setFilter = (name: string, value: string | undefined) => {
    navigate(['traces'], { ...filter, [name]: value || undefined });
  };
  return (
    <>
      <h1>Traces</h1>
      <div className="toolbar">
        <FilterInput name="task" value={filter.task} onCommit={(value) => setFilter('task', value)} />
        <FilterInput name="label" value={filter.label} onCommit={(value) => setFilter('label', value)} />
        <FilterInput
          name="version"
          value={filter.version}
          onCommit={(value) => setFilter('version', value)}
        />
        <select
          value={filter.range ?? 'any time'}
          aria-label="time"
          onChange={(event) =>
            setFilter('range', event.target.value === 'any time' ? undefined : event.target.value)
          }
        >
          {Object.keys(ranges).map((name) => (
            <option key={name}>{name}</option>
          ))}
        </select>
        <label>
          <input
            type="checkbox"
            checked={filter.error === 'true'}
            onChange={(event) => setFilter('error', event.target.checked ? 'true' : undefined)}
          />{' '}
          errors only
        </label>
        <label title="a guard found something: fixed, re-asked, refused, refrained or only recorded">
          <input
            type="checkbox"
            checked={filter.guard !== undefined}
            onChange={(event) => setFilter('guard', event.target.checked ? 'any' : undefined)}
          />{' '}
          a guard failed{filter.guard && filter.guard !== 'any' ? <code> {filter.guard}</code> : null}
        </label>
        {filter.run && (
          <span className="tag">
            run {shortRunId(filter.run)}{' '}
            <button className="link" onClick={() => setFilter('run', undefined)}>
              ×
            </button>
          </span>
        )}
      </div>
      {traces.error && <ErrorBox error={traces.error} />}
      {!traces.data ? (
        <Loading />
      ) : traces.data.data.length === 0 && cursors.first ? (
        <Empty title="No traces match">
          <p>
            The service traces every request it serves (<code>promptune serve</code>);{' '}
            <code>eval --trace</code> traces an evaluation's calls. Keys without admin see the traces of their
            own requests.
          </p>
        </Empty>
      ) : (
        <>
          <table className="grid" data-testid="traces">
            <thead>
              <tr>
                <th>when</th>
                <th>task</th>
                <th>label · version</th>
                <th>input</th>
                <th>output</th>
                <th>status</th>
                <th className="number">tokens</th>
                <th className="number">latency</th>
                <th className="number">cost</th>
              </tr>
            </thead>
            <tbody>
              {traces.data.data.map((trace) => (
                <tr key={trace.id} className="clickable" onClick={() => navigate(['traces', trace.id])}>
                  <td className="nowrap muted">{time(trace.at)}</td>
                  <td>{trace.task ?? trace.model}</td>
                  <td className="nowrap">
                    {trace.label}
                    {trace.label && trace.version ? ' ' : null}
                    {trace.version && (
                      <code className="muted" title={trace.version}>
                        {version(trace.task, trace.version)}
                      </code>
                    )}
                  </td>
                  <td className="clip">
                    {trace.input === null ? <span className="muted">not read</span> : traceInput(trace.input)}
                  </td>
                  <td className="clip">
                    {trace.errorCode && <code className="error-code">{trace.errorCode}</code>}
                    {trace.errorCode && trace.output ? ' ' : null}
                    {trace.output}
                  </td>
                  <td>
                    <Status {...traceStatus(trace)} />
                  </td>
                  <td className="number">{trace.inputTokens + trace.outputTokens}</td>
                  <td className="number">{duration(trace.latencyMs)}</td>
                  <td className="number">{dollars(trace.cost)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <CursorPager cursors={cursors} next={traces.data.next} />
        </>
      )}
      <p className="muted">
        <a href={href(['monitor'], { task: filter.task })}>Charts of these traces</a>
      </p>
    </>
  );
}
