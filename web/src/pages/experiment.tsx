// One experiment, refreshed every five seconds while it runs: the arms side by side (versions, share,
// requests, the primary metric and each guardrail), what a look would decide now and why (or, once it
// ended, the arms as they stood then), and the test's state
// over time from every stored look: the treatment's share, the difference in the primary metric with
// its always-valid confidence sequence, and the always-valid p-values against alpha. An admin may stop it.
import { useMemo, useState } from 'react';
import { api, type ApiError } from '../api';
import { LineChart, type Series } from '../components/chart';
import { ErrorBox, Loading, Status } from '../components/feedback';
import { time } from '../format';
import { href } from '../router';
import { can, useSession } from '../session';
import type { Experiment, ExperimentEvent, ExperimentStatistics, ExperimentTest, Version } from '../types';
import { useApi } from '../use-api';
import { Share } from './experiments';

interface Detail {
  experiment: Experiment;
  events: ExperimentEvent[];
  /** A running experiment's arms now, and what a look would decide on them. */
  now?: ExperimentStatistics;
  decision?: { action: string; reason: string };
}

/** A guardrail is higher-is-worse: the test's "treatment-better" (higher) is the treatment doing worse. */
const guardrailDecisions: Record<string, string> = {
  'treatment-better': 'treatment worse',
  'treatment-worse': 'treatment better',
};

const signed = (value: number, unit = '', digits = 3) =>
  `${value >= 0 ? '+' : ''}${value.toFixed(digits)}${unit}`;
const bound = (value: number | null, infinite: string, unit = '', digits = 3) =>
  value === null ? infinite : `${value.toFixed(digits)}${unit}`;
/** A latency (stored in seconds) in milliseconds, as the monitor and traces show it. */
const milliseconds = (seconds: number) => seconds * 1000;

function TestRow({
  name,
  test,
  alpha,
  guardrail = false,
  ended = false,
  latency = false,
}: {
  name: string;
  test: ExperimentTest;
  alpha: number;
  guardrail?: boolean;
  /** The experiment has ended: a test that never crossed alpha showed nothing, it is not still waiting. */
  ended?: boolean;
  /** The latency guardrail: seconds stored, milliseconds shown. */
  latency?: boolean;
}) {
  const decided = test.pValue < alpha;
  const decision = (guardrail && guardrailDecisions[test.decision]) || test.decision;
  const [scale, unit, digits] = latency ? [milliseconds, ' ms', 1] : [(value: number) => value, '', 3];
  const end = (value: number | null) => (value === null ? null : scale(value));
  return (
    <tr>
      <td>{name}</td>
      <td className="number">{signed(scale(test.difference), unit, digits)}</td>
      <td className="number">
        [{bound(end(test.interval[0]), '−∞', unit, digits)}, {bound(end(test.interval[1]), '∞', unit, digits)}
        ]
      </td>
      <td className="number">{test.pValue.toFixed(4)}</td>
      <td>
        {decided ? (
          <Status value={decision} tone={decision.endsWith('worse') ? 'fail' : 'pass'} />
        ) : (
          <span className="muted">{ended ? 'none shown by the end' : 'not yet'}</span>
        )}
      </td>
    </tr>
  );
}

/** The charts of the test over time, from the stored looks (and the live one). */
function History({
  looks,
  alpha,
  noHarmMargin,
  running,
}: {
  looks: { at: number; weight: number; statistics: ExperimentStatistics }[];
  alpha: number;
  /** A no-harm experiment's margin: it promotes once the lower bound is above −margin. */
  noHarmMargin: number | undefined;
  running: boolean;
}) {
  const charts = useMemo(() => {
    const x = looks.map((look) => look.at / 1000);
    const share: Series[] = [{ label: 'treatment share %', values: looks.map((look) => look.weight * 100) }];
    const difference: Series[] = [
      { label: 'difference', values: looks.map((look) => look.statistics.primary.difference) },
      { label: 'lower bound', values: looks.map((look) => look.statistics.primary.interval[0]) },
      { label: 'upper bound', values: looks.map((look) => look.statistics.primary.interval[1]) },
      ...(noHarmMargin === undefined
        ? []
        : [{ label: `no-harm margin (−${noHarmMargin})`, values: looks.map(() => -noHarmMargin) }]),
    ];
    const guardrails = Object.keys(looks.at(-1)?.statistics.guardrails ?? {});
    const pValues: Series[] = [
      { label: 'primary', values: looks.map((look) => look.statistics.primary.pValue) },
      ...guardrails.map((name) => ({
        label: name,
        values: looks.map((look) => look.statistics.guardrails[name]?.pValue ?? null),
      })),
      { label: `alpha ${alpha}`, values: looks.map(() => alpha) },
    ];
    return { x, share, difference, pValues };
  }, [looks, alpha, noHarmMargin]);
  if (looks.length < 2)
    return (
      <p className="muted">
        {running
          ? 'The charts fill in as the experiment is looked at.'
          : 'It ended before enough looks were stored to chart.'}
      </p>
    );
  return (
    <div className="charts">
      <LineChart
        title="Treatment share of traffic (%)"
        x={charts.x}
        series={charts.share}
        time
        height={180}
      />
      <LineChart
        title="Primary metric: treatment − control, with its always-valid 95% confidence sequence"
        x={charts.x}
        series={charts.difference}
        time
      />
      <LineChart
        title="Always-valid p-values (a decision when one falls below alpha)"
        x={charts.x}
        series={charts.pValues}
        time
      />
    </div>
  );
}

/** The experiment page. */
export function ExperimentPage({ id }: { id: string }) {
  const me = useSession();
  const detail = useApi<Detail>(`/v1/experiments/${encodeURIComponent(id)}`, 5000);
  const task = detail.data?.experiment.task;
  const versions = useApi<{ data: Version[] }>(
    task ? `/v1/tasks/${encodeURIComponent(task)}/versions` : null,
  );
  const [error, setError] = useState<ApiError>();
  if (detail.error) return <ErrorBox error={detail.error} />;
  if (!detail.data) return <Loading />;
  const { experiment, events, now, decision } = detail.data;
  const running = experiment.status === 'running';
  const numberOf = (version: string) => versions.data?.data.find((entry) => entry.id === version)?.number;
  const versionLink = (version: string) => (
    <a href={href(['tasks', experiment.task], { v: numberOf(version) })}>
      version {numberOf(version) ?? version.slice(0, 8)}
    </a>
  );
  const looks = [
    ...events.flatMap((event) =>
      event.statistics ? [{ at: event.at, weight: event.weight, statistics: event.statistics }] : [],
    ),
    ...(now ? [{ at: Date.now(), weight: experiment.weight, statistics: now }] : []),
  ];
  const latest = looks.at(-1)?.statistics;
  const latestAt = looks.at(-1)?.at;
  const stop = async () => {
    if (!window.confirm(`Stop ${experiment.id}? All traffic goes back to the control.`)) return;
    setError(undefined);
    try {
      await api(`/v1/experiments/${encodeURIComponent(experiment.id)}/stop`, {
        method: 'POST',
        body: { reason: 'stopped from the dashboard' },
      });
      detail.reload();
    } catch (caught) {
      setError(caught as ApiError);
    }
  };
  const shares = { control: 1 - experiment.weight, treatment: experiment.weight };
  // an experiment the closed loop started names its loop run in its start reason
  const loopRun = /^loop (\S+):/.exec(events.find((event) => event.action === 'start')?.reason ?? '')?.[1];
  return (
    <>
      <h1>
        {experiment.id} <Status value={experiment.status} />
      </h1>
      <p>
        <a href={href(['tasks', experiment.task])}>{experiment.task}</a>@{experiment.label}:{' '}
        {versionLink(experiment.treatment)} against {versionLink(experiment.control)} on{' '}
        <b>{experiment.config.primary}</b> (promote when{' '}
        {experiment.config.promoteWhen === 'better'
          ? 'significantly better'
          : `shown at most ${experiment.config.margin ?? 0.05} worse by the schedule’s end`}
        ), started {time(experiment.createdAt)} by {experiment.actor}
        {loopRun && (
          <>
            {' '}
            for the closed loop (<a href={href(['runs', loopRun])}>its run</a>)
          </>
        )}
        .
      </p>
      <p className="reason" data-testid="experiment-reason">
        {running && decision ? (
          <>
            <b>Now: {decision.action}</b> — {decision.reason}
          </>
        ) : (
          <>Ended: {experiment.reason}</>
        )}
      </p>
      <div className="toolbar">
        <span>Treatment share now</span> <Share weight={experiment.weight} />
        <span className="muted">
          schedule{' '}
          {experiment.config.schedule.map((step) => `${Math.round(step.weight * 1000) / 10}%`).join(' → ')} →
          promotion
        </span>
        {experiment.status === 'running' && can(me, 'admin') && (
          <button onClick={() => void stop()}>Stop experiment</button>
        )}
      </div>
      {error && <ErrorBox error={error} />}
      {latest && (
        <section className="panel">
          <h2>
            {running ? 'Arms now' : 'Arms when it ended'}{' '}
            {!running && latestAt && <span className="muted">(as of {time(latestAt)})</span>}
          </h2>
          <table className="grid" data-testid="arms">
            <thead>
              <tr>
                <th>arm</th>
                <th>version</th>
                <th className="number">share now</th>
                <th className="number">requests</th>
                <th
                  className="number"
                  title="requests since the step began (the step's minimum counts the treatment's)"
                >
                  this step
                </th>
                <th className="number">{experiment.config.primary} (mean, n)</th>
                {Object.keys(latest.arms.control.guardrails).map((name) => (
                  <th key={name} className="number">
                    {name}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {(['control', 'treatment'] as const).map((arm) => {
                const entry = latest.arms[arm];
                return (
                  <tr key={arm}>
                    <td>{arm}</td>
                    <td>{versionLink(entry.version)}</td>
                    <td className="number">{(shares[arm] * 100).toFixed(1)}%</td>
                    <td className="number">
                      <a
                        href={href(['traces'], {
                          task: experiment.task,
                          label: experiment.label,
                          version: entry.version,
                        })}
                        title={`this arm's traces (${experiment.label} served by this version)`}
                      >
                        {entry.requests}
                      </a>
                    </td>
                    <td className="number">{entry.stepRequests ?? '–'}</td>
                    <td className="number">
                      {entry.primary.mean.toFixed(3)} <span className="muted">({entry.primary.n})</span>
                    </td>
                    {Object.entries(entry.guardrails).map(([name, value]) => (
                      <td key={name} className="number">
                        {name === 'latency'
                          ? `${milliseconds(value.mean).toFixed(0)} ms`
                          : value.mean.toFixed(4)}
                      </td>
                    ))}
                  </tr>
                );
              })}
            </tbody>
          </table>
          <h3>Always-valid tests (mixture SPRT), alpha {experiment.config.alpha}</h3>
          <table className="grid" data-testid="tests">
            <thead>
              <tr>
                <th>metric</th>
                <th className="number">treatment − control</th>
                <th className="number">confidence sequence</th>
                <th className="number">p</th>
                <th>decision</th>
              </tr>
            </thead>
            <tbody>
              <TestRow
                name={`${experiment.config.primary} (primary)`}
                test={latest.primary}
                alpha={experiment.config.alpha}
                ended={!running}
              />
              {Object.entries(latest.guardrails).map(([name, test]) => (
                <TestRow
                  key={name}
                  name={`${name} (guardrail)`}
                  test={test}
                  alpha={experiment.config.alpha}
                  guardrail
                  ended={!running}
                  latency={name === 'latency'}
                />
              ))}
            </tbody>
          </table>
          <p className="muted">
            Sample ratio of the step's users: χ² {latest.sampleRatio.chiSquare.toFixed(2)}, p{' '}
            {latest.sampleRatio.pValue.toFixed(4)} (a mismatch is p below 0.001)
            {latest.sampleRatio.mismatch && <b> — mismatch: the rollout holds until the split is fixed</b>}
          </p>
        </section>
      )}
      <section className="panel">
        <h2>The test over time</h2>
        <History
          looks={looks}
          alpha={experiment.config.alpha}
          noHarmMargin={
            experiment.config.promoteWhen === 'no-harm' ? (experiment.config.margin ?? 0.05) : undefined
          }
          running={running}
        />
      </section>
      <section className="panel">
        <h2>Steps</h2>
        <table className="grid" data-testid="steps">
          <thead>
            <tr>
              <th>when</th>
              <th>action</th>
              <th className="number">share after</th>
              <th>why</th>
            </tr>
          </thead>
          <tbody>
            {events
              .filter((event) => event.action !== 'hold')
              .map((event) => (
                <tr key={event.id}>
                  <td>{time(event.at)}</td>
                  <td>
                    <Status value={event.action} />
                  </td>
                  <td className="number">{(event.weight * 100).toFixed(1)}%</td>
                  <td className="reason">{event.reason}</td>
                </tr>
              ))}
          </tbody>
        </table>
      </section>
    </>
  );
}
