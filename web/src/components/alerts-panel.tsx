// The alert rules as on-call reads them, first on the monitor page: what fires now (red, at the top),
// each rule's condition, current value with its unit and since when, the states of rules other services
// on the registry evaluate, and the firing/resolution history with the threshold each crossed.
import type { ApiError } from '../api';
import { ago, time } from '../format';
import { ErrorBox, Status } from './feedback';

/** A stored state of a rule (the registry's). */
interface AlertState {
  rule: string;
  state: string;
  since: number;
  value?: number | null;
  count: number;
  evaluatedAt: number;
  error?: string;
}

/** What GET /v1/alerts answers. */
export interface Alerts {
  rules: {
    name: string;
    metric: string;
    score?: string;
    task?: string;
    label?: string;
    version?: string;
    comparison: string;
    threshold: number;
    window: number;
    for: number;
    severity: string;
    status: AlertState | null;
  }[];
  /** States of rules this service does not evaluate (another service's, or all for the dashboard's). */
  elsewhere?: AlertState[];
  history: {
    rule: string;
    state: string;
    at: number | string;
    value?: number | null;
    threshold: number;
    count: number;
    severity: string;
    detail?: Record<string, unknown>;
  }[];
}

/** A metric's value with its unit: ms for latencies, % for the error rate, $ for cost. */
export function alertValue(value: number | null | undefined, metric: string | undefined): string {
  if (value === null || value === undefined) return '–';
  const readable = (number: number) => String(Number(number.toPrecision(4)));
  if (metric === 'error_rate') return `${readable(value * 100)}%`;
  if (metric === 'cost') return `$${readable(value)}`;
  if (metric?.startsWith('latency_') || metric === 'ttft_p95') return `${readable(value)} ms`;
  return readable(value);
}

const seconds = (ms: number) => (ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`);

const tone = (state: string) => (state === 'firing' ? 'fail' : state === 'pending' ? 'warn' : 'pass');

/** The panel; `data` is GET /v1/alerts (undefined while it loads). */
export function AlertsPanel({ data, error }: { data: Alerts | undefined; error: ApiError | undefined }) {
  if (error) return <ErrorBox error={error} />;
  if (!data) return null;
  const elsewhere = data.elsewhere ?? [];
  if (data.rules.length === 0 && elsewhere.length === 0 && data.history.length === 0)
    return (
      <p className="muted">
        No alert rules have been evaluated (<code>promptune serve --alerts rules.yaml</code>; drift rules
        included).
      </p>
    );
  const metricOf = (rule: string) => data.rules.find((candidate) => candidate.name === rule)?.metric;
  const firing = [...data.rules.map((rule) => rule.status), ...elsewhere].filter(
    (status) => status?.state === 'firing',
  );
  return (
    <section className={`panel${firing.length ? ' alert-firing' : ''}`} data-testid="alerts">
      <h2>
        Alerts{' '}
        {firing.length ? (
          <Status value={`${firing.length} firing`} tone="fail" />
        ) : (
          <Status value="none firing" tone="pass" />
        )}
      </h2>
      {(data.rules.length > 0 || elsewhere.length > 0) && (
        <table className="grid" data-testid="alert-rules">
          <thead>
            <tr>
              <th>rule</th>
              <th>state</th>
              <th>condition</th>
              <th className="number">value now</th>
              <th>since</th>
            </tr>
          </thead>
          <tbody>
            {data.rules.map((rule) => (
              <tr key={rule.name}>
                <td>
                  <b>{rule.name}</b> <span className="muted">{rule.severity}</span>
                </td>
                <td>
                  <Status
                    value={rule.status?.state ?? 'not evaluated'}
                    tone={tone(rule.status?.state ?? '')}
                  />
                </td>
                <td>
                  {rule.metric}
                  {rule.score ? ` (${rule.score})` : ''} {rule.comparison}{' '}
                  {alertValue(rule.threshold, rule.metric)}{' '}
                  <span className="muted">
                    over {seconds(rule.window)}
                    {rule.for ? `, for ${seconds(rule.for)}` : ''} · {rule.task ?? 'all tasks'}
                    {rule.label ? `@${rule.label}` : ''}
                  </span>
                </td>
                <td className="number">
                  {alertValue(rule.status?.value, rule.metric)}{' '}
                  <span className="muted">n={rule.status?.count ?? 0}</span>
                </td>
                <td className="muted" title={rule.status ? time(rule.status.since) : undefined}>
                  {rule.status ? ago(rule.status.since) : '–'}
                  {rule.status?.error ? <span className="error-code"> {rule.status.error}</span> : null}
                </td>
              </tr>
            ))}
            {elsewhere.map((status) => (
              <tr key={status.rule}>
                <td>
                  <b>{status.rule}</b>
                </td>
                <td>
                  <Status value={status.state} tone={tone(status.state)} />
                </td>
                <td className="muted">evaluated by another service (its rules file)</td>
                <td className="number">
                  {alertValue(status.value, undefined)} <span className="muted">n={status.count}</span>
                </td>
                <td className="muted" title={time(status.since)}>
                  {ago(status.since)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {data.history.length > 0 && (
        <>
          <h3>Firings and resolutions, newest first</h3>
          <table className="grid" data-testid="alert-history">
            <thead>
              <tr>
                <th>when</th>
                <th>rule</th>
                <th>event</th>
                <th className="number">value</th>
                <th className="number">threshold</th>
                <th className="number">n</th>
                <th>note</th>
              </tr>
            </thead>
            <tbody>
              {data.history.map((event, index) => (
                <tr key={index}>
                  <td className="nowrap">{time(event.at)}</td>
                  <td>{event.rule}</td>
                  <td>
                    <Status value={event.state} tone={event.state === 'firing' ? 'fail' : 'pass'} />
                  </td>
                  <td className="number">{alertValue(event.value, metricOf(event.rule))}</td>
                  <td className="number">{alertValue(event.threshold, metricOf(event.rule))}</td>
                  <td className="number">{event.count}</td>
                  <td className="muted">
                    {typeof event.detail?.reason === 'string' ? event.detail.reason : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
