// Monitoring from the traces: per task, version and label over time, requests, errors and p95 latency
// charts; percentiles, tokens, cost and score means with intervals per group; alert rules and firings.
import { useMemo } from 'react';
import { query } from '../api';
import { LineChart, type Series } from '../components/chart';
import { AlertsPanel, type Alerts } from '../components/alerts-panel';
import { FilterInput } from '../components/controls';
import { Empty, ErrorBox, Loading, Status } from '../components/feedback';
import { dollars, duration, score } from '../format';
import { navigate } from '../router';
import type { MonitorGroup, MonitorReport } from '../types';
import { useApi } from '../use-api';
import { useVersionNames, type VersionNamer } from '../version-names';

/**
 * A group in words: task@label and the version's number (v3); requests refused before a version was
 * resolved (a bad body, an unknown model) are a group of their task's, or of their own when they named
 * no task. Requests by label and by bare task name are each their own group, even when they reached the
 * same version (the label is what the caller asked for).
 */
const groupName = (group: MonitorGroup, version: VersionNamer) =>
  group.task === null && group.version === null
    ? 'refused (no version)'
    : group.version === null
      ? `${group.task}${group.label ? `@${group.label}` : ''} refused (no version)`
      : `${group.task ?? '–'}${group.label ? `@${group.label}` : ''} ${version(group.task, group.version)}`;

const windowSeconds: Record<string, number> = { minute: 60, hour: 3600, day: 86_400 };

function Charts({ report, version }: { report: MonitorReport; version: VersionNamer }) {
  const charts = useMemo(() => {
    // every window of the span, so quiet windows read as zero requests rather than a gap
    const step = windowSeconds[report.window] ?? 60;
    const first = Math.floor(report.since / 1000 / step) * step;
    const x: number[] = [];
    for (let start = first; start < report.until / 1000; start += step) x.push(start);
    const line = (pick: (point: MonitorGroup['series'][number]) => number | null, quiet: number | null) =>
      report.groups.map((group) => {
        const byStart = new Map(group.series.map((point) => [Math.floor(point.start / 1000), point]));
        return {
          label: groupName(group, version),
          values: x.map((start) => (byStart.has(start) ? pick(byStart.get(start)!) : quiet)),
        };
      });
    // one group: its three percentiles; several: each group's p95
    const single = report.groups.length === 1;
    const latency = single
      ? (['latencyP50', 'latencyP95', 'latencyP99'] as const).map((field) => ({
          ...line((point) => point[field], null)[0],
          label: field.replace('latency', '').toLowerCase(),
        }))
      : line((point) => point.latencyP95, null);
    return {
      x,
      range: [report.since / 1000, report.until / 1000] as [number, number],
      requests: line((point) => point.requests, 0),
      errors: line((point) => point.errors, 0),
      latency,
      latencyTitle: single ? 'latency p50 / p95 / p99 (ms)' : 'latency p95 (ms)',
      cost: line((point) => point.cost, null),
      priced: report.groups.some((group) => (group.cost ?? 0) > 0),
      // each numeric or boolean score's mean per window, a line per group
      scores: [
        ...new Set(
          report.groups.flatMap((group) => group.series.flatMap((point) => Object.keys(point.scores))),
        ),
      ]
        .sort()
        .map((name) => ({ name, series: line((point) => point.scores[name]?.mean ?? null, null) })),
    };
  }, [report, version]);
  const chart = (title: string, series: Series[]) => (
    <LineChart title={title} x={charts.x} series={series} range={charts.range} time />
  );
  return (
    <div className="columns three">
      {chart(`requests per ${report.window}`, charts.requests)}
      {chart(`errors per ${report.window}`, charts.errors)}
      {chart(charts.latencyTitle, charts.latency)}
      {charts.priced && chart(`cost per ${report.window} ($)`, charts.cost)}
      {charts.scores.map((score) => (
        <div key={score.name}>{chart(`score ${score.name} (mean per ${report.window})`, score.series)}</div>
      ))}
    </div>
  );
}

interface Drift {
  version: { number: number };
  reference: { name: string; rows: number };
  report: {
    drifted: boolean;
    moved: string[];
    alpha: number;
    referenceCount: number;
    currentCount: number;
    features: {
      feature: string;
      test: string;
      statistic: number;
      pValue?: number;
      distance?: number;
      threshold: number;
      drifted: boolean;
    }[];
    skipped: { feature: string; reason: string }[];
  };
}

/**
 * Drift over the span, against the dataset it was tuned on, of the version `label` serves now (as
 * `promptune drift --label` reads it), else of `version`.
 */
function DriftPanel(props: { task: string; label?: string; version: string; span: string }) {
  const { task, label, span } = props;
  const drift = useApi<Drift>(
    `/v1/drift${query({ task, ...(label ? { label } : { version: props.version }), window: span })}`,
  );
  return (
    <section className="panel" data-testid="drift">
      <h2>Drift against the training data</h2>
      {drift.error && (
        <p className="muted">
          {drift.error.message}
          {drift.error.hint && ` ${drift.error.hint}`}
        </p>
      )}
      {drift.data && (
        <>
          <p>
            {task}@{drift.data.version.number}
            {label ? ` (what ${label} serves)` : ''}: {drift.data.report.currentCount} requests against{' '}
            {drift.data.report.referenceCount} training inputs ({drift.data.reference.name}):{' '}
            <Status value={drift.data.report.drifted ? 'firing' : 'ok'} />{' '}
            {drift.data.report.drifted ? `moved: ${drift.data.report.moved.join(', ')}` : 'nothing moved'}
          </p>
          <table className="grid">
            <thead>
              <tr>
                <th>feature</th>
                <th>test</th>
                <th className="number">statistic</th>
                <th className="number">p-value or distance</th>
                <th className="number">threshold</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {drift.data.report.features.map((feature) => (
                <tr key={feature.feature}>
                  <td>{feature.feature}</td>
                  <td className="muted">{feature.test}</td>
                  <td className="number">{feature.statistic.toPrecision(3)}</td>
                  <td className="number">{(feature.pValue ?? feature.distance ?? 0).toPrecision(3)}</td>
                  <td className="number">{feature.threshold.toPrecision(3)}</td>
                  <td>{feature.drifted ? <Status value="firing" /> : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {drift.data.report.skipped.map((skipped) => (
            <p key={skipped.feature} className="muted">
              {skipped.feature}: not tested, {skipped.reason}
            </p>
          ))}
        </>
      )}
    </section>
  );
}

const spans: Record<string, string> = {
  'last hour': '1h',
  'last day': '1d',
  'last week': '7d',
  'last 30 days': '30d',
};

/** The monitor. Query: task, label, span. */
export function MonitorPage({ query: route }: { query: URLSearchParams }) {
  const filter = {
    task: route.get('task') ?? undefined,
    label: route.get('label') ?? undefined,
    // a span the menu does not offer (a hand-edited address) reads as the default, menu and charts alike
    span: spans[route.get('span') ?? ''] ? route.get('span')! : 'last day',
  };
  const report = useApi<MonitorReport>(
    `/v1/monitor${query({ task: filter.task, label: filter.label, since: spans[filter.span] ?? '1d' })}`,
    15_000,
  );
  const alerts = useApi<Alerts>('/v1/alerts', 15_000);
  const version = useVersionNames(report.data?.groups ?? []);
  const busiest = report.data?.groups.find((group) => group.task === filter.task);
  // drift is of what is served: the version the filter's label (else production) serves now, when that
  // label had traffic in the span; after a promotion the busiest version is often the one it replaced
  const servedLabel = filter.label ?? 'production';
  const labelServed = report.data?.groups.some(
    (group) => group.task === filter.task && group.label === servedLabel,
  );
  const setFilter = (name: string, value: string | undefined) =>
    navigate(['monitor'], { ...filter, [name]: value || undefined });
  return (
    <>
      <h1>Monitor</h1>
      <div className="toolbar">
        <FilterInput name="task" value={filter.task} onCommit={(value) => setFilter('task', value)} />
        <FilterInput name="label" value={filter.label} onCommit={(value) => setFilter('label', value)} />
        <select
          value={filter.span}
          aria-label="span"
          onChange={(event) => setFilter('span', event.target.value)}
        >
          {Object.keys(spans).map((name) => (
            <option key={name}>{name}</option>
          ))}
        </select>
      </div>
      <AlertsPanel data={alerts.data} error={alerts.error} />
      {report.error && <ErrorBox error={report.error} />}
      {!report.data ? (
        <Loading />
      ) : report.data.groups.length === 0 ? (
        <Empty title="No traffic in this span">
          <p>
            Serve tasks with <code>promptune serve</code>; every request it answers is traced and counted
            here.
          </p>
        </Empty>
      ) : (
        <>
          <Charts report={report.data} version={version} />
          <section className="panel">
            <table className="grid" data-testid="monitor-groups">
              <thead>
                <tr>
                  <th>task · label · version</th>
                  <th className="number">requests</th>
                  <th className="number">error rate</th>
                  <th className="number">latency p50 / p95 / p99</th>
                  <th className="number">tokens in / out</th>
                  <th className="number">cost</th>
                  <th>scores (mean, 95% CI)</th>
                </tr>
              </thead>
              <tbody>
                {report.data.groups.map((group) => (
                  <tr key={`${group.task}-${group.version}-${group.label}`}>
                    <td>{groupName(group, version)}</td>
                    <td className="number">{group.requests}</td>
                    <td className="number">{(100 * group.errorRate).toFixed(1)}%</td>
                    <td className="number">
                      {group.latencyMs
                        ? `${duration(group.latencyMs.p50)} / ${duration(group.latencyMs.p95)} / ${duration(group.latencyMs.p99)}`
                        : '–'}
                    </td>
                    <td className="number">
                      {group.tokens.input} / {group.tokens.output}
                    </td>
                    <td className="number">{dollars(group.cost)}</td>
                    <td>
                      {Object.entries(group.scores).map(([name, summary]) => (
                        <span key={name} className="tag">
                          {name}{' '}
                          {summary.mean !== undefined
                            ? `${score(summary.mean)} [${score(summary.low)}, ${score(summary.high)}] n=${summary.count}`
                            : `${summary.count}`}
                        </span>
                      ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        </>
      )}
      {filter.task && busiest?.version ? (
        // else the version with the most traffic in the span (the groups come busiest first)
        <DriftPanel
          task={filter.task}
          label={labelServed ? servedLabel : undefined}
          version={busiest.version}
          span={spans[filter.span] ?? '1d'}
        />
      ) : (
        <p className="muted">
          Filter by a task with traffic to see its drift against the data it was tuned on.
        </p>
      )}
    </>
  );
}
