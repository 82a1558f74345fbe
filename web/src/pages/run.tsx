// One run, live while it runs: an evaluation's score and examples (filtered to failures or passes, each
// opened for its outputs, metrics and checks), an optimization's trajectory, trials, prompt diff and
// spend against its caps, a training's loss and dev accuracy curves, an audit's findings (audit-run.tsx),
// a closed-loop iteration's steps (loop-run.tsx).
import { useMemo, useState } from 'react';
import { ApiError, apiBlob, query } from '../api';
import { LineChart } from '../components/chart';
import { SectionDiffView } from '../components/diff-view';
import { ErrorBox, Loading, Status } from '../components/feedback';
import { RunRetirement } from '../components/run-retirement';
import { dollars, duration, score, shortId, text, time } from '../format';
import { href, navigate } from '../router';
import type { Page, Run, RunEntry } from '../types';
import { useApi } from '../use-api';
import { ComparisonRun } from './comparison-run';
import { useVersionNames } from '../version-names';
import { AuditRun } from './audit-run';
import { LoopRun } from './loop-run';
import { Progress } from './runs';
import { runKindText } from '../run-score';

const pageSize = 100;

function ExampleDetail({ data }: { data: Record<string, unknown> }) {
  const outputs = (data.outputs ?? []) as string[];
  const latencies = (data.latencyMs ?? []) as (number | null)[];
  return (
    <div className="detail">
      <h4>input</h4>
      <pre>{JSON.stringify(data.fields, null, 2)}</pre>
      <h4>expected</h4>
      <pre>{text(data.target)}</pre>
      {outputs.map((output, index) => (
        <div key={index}>
          <h4>
            output{outputs.length > 1 ? ` ${index + 1}` : ''} · score{' '}
            {score((data.scores as number[] | undefined)?.[index])} · {duration(latencies[index])}
          </h4>
          <pre>{output}</pre>
        </div>
      ))}
      <h4>metrics</h4>
      <pre>{JSON.stringify(data.byMetric, null, 2)}</pre>
      {Array.isArray(data.checks) &&
        data.checks.some((checks) => Array.isArray(checks) && checks.length > 0) && (
          <>
            <h4>checks</h4>
            <pre>{JSON.stringify(data.checks, null, 2)}</pre>
          </>
        )}
    </div>
  );
}

/** An evaluation's examples, a page at a time, filtered by pass or fail. */
export function ExampleTable({ run, filter }: { run: Run; filter: string }) {
  const [after, setAfter] = useState<number[]>([]);
  const [open, setOpen] = useState<number>();
  const passed = filter === 'failures' ? 'false' : filter === 'passes' ? 'true' : undefined;
  const entries = useApi<Page<RunEntry>>(
    `/v1/runs/${run.id}/entries${query({ kind: 'example', passed, after: after[after.length - 1], limit: pageSize })}`,
    run.status === 'running' ? 2000 : undefined,
  );
  if (entries.error) return <ErrorBox error={entries.error} />;
  if (!entries.data) return <Loading />;
  return (
    <>
      <table className="grid examples" data-testid="examples">
        <thead>
          <tr>
            <th className="number">#</th>
            <th>input</th>
            <th>expected</th>
            <th>output</th>
            <th>result</th>
            <th className="number">score</th>
          </tr>
        </thead>
        <tbody>
          {entries.data.data.map((entry) => [
            <tr
              key={entry.position}
              className="clickable"
              onClick={() => setOpen(open === entry.position ? undefined : entry.position)}
            >
              <td className="number muted">{entry.position + 1}</td>
              <td className="clip">
                {Object.values((entry.data.fields ?? {}) as Record<string, unknown>)
                  .map(text)
                  .join(' | ')}
              </td>
              <td>{text(entry.data.target)}</td>
              <td className="clip">{((entry.data.outputs ?? []) as string[])[0]}</td>
              <td>
                <Status value={entry.passed ? 'pass' : 'fail'} />
              </td>
              <td className="number">{score(entry.score)}</td>
            </tr>,
            open === entry.position && (
              <tr key={`${entry.position}-detail`}>
                <td colSpan={6}>
                  <ExampleDetail data={entry.data} />
                </td>
              </tr>
            ),
          ])}
        </tbody>
      </table>
      {entries.data.data.length === 0 && <p className="muted">No examples match.</p>}
      <div className="pager">
        <button disabled={after.length === 0} onClick={() => setAfter(after.slice(0, -1))}>
          Previous
        </button>
        <button
          disabled={entries.data.next === undefined}
          onClick={() => setAfter([...after, Number(entries.data!.next)])}
        >
          Next
        </button>
      </div>
    </>
  );
}

function Evaluation({ run, filter }: { run: Run; filter: string }) {
  const summary = run.summary ?? {};
  const interval = summary.interval as [number, number] | undefined;
  const tokens = summary.tokens as { input: number; output: number } | undefined;
  const latency = summary.latencyMs as { p50?: number; p90?: number } | undefined;
  return (
    <>
      {run.summary && (
        <section className="cards">
          <div className="card" data-testid="score">
            <span>score</span>
            <b>{score(summary.score)}</b>
            {interval && (
              <em>
                95% CI [{score(interval[0])}, {score(interval[1])}]
              </em>
            )}
          </div>
          <div className="card">
            <span>examples</span>
            <b>{text(summary.n)}</b>
          </div>
          <div className="card">
            <span>tokens in / out</span>
            <b>{tokens ? `${tokens.input} / ${tokens.output}` : '–'}</b>
          </div>
          <div className="card">
            <span>cost</span>
            <b>{dollars(summary.cost)}</b>
          </div>
          <div className="card">
            <span>latency p50 / p90</span>
            <b>
              {duration(latency?.p50)} / {duration(latency?.p90)}
            </b>
          </div>
        </section>
      )}
      <div className="toolbar">
        {['all', 'failures', 'passes'].map((name) => (
          <button
            key={name}
            className={filter === name ? 'toggle on' : 'toggle'}
            onClick={() => navigate(['runs', run.id], { filter: name === 'all' ? undefined : name })}
          >
            {name}
          </button>
        ))}
      </div>
      <ExampleTable key={filter} run={run} filter={filter} />
    </>
  );
}

/**
 * A hard prompt as titled sections, diffed section by section: a demo added changes the demos alone
 * ("demos (0 → 4)"), not the whole prompt; one demo a line.
 */
const promptSections = (prompt: unknown): [string, string][] => {
  const value = (prompt ?? {}) as { system?: string; template?: string; demos?: Record<string, unknown>[] };
  const demos = value.demos ?? [];
  return [
    ...(value.system ? [['system', value.system] as [string, string]] : []),
    ['template', value.template ?? ''],
    [
      `demos (${demos.length})`,
      demos.map((demo, index) => `${index + 1}. ${Object.values(demo).map(text).join(' → ')}`).join('\n'),
    ],
  ];
};

/** What an optimization recorded for its report: the seed's and the final prompt's results on dev. */
interface OptimizationDetails {
  dev: { id: string; line: number; input: unknown; target: unknown }[];
  seed: { prompt: unknown; scores: number[]; outputs: string[] };
  final: { prompt: unknown; scores: number[]; outputs: string[] };
}

/** The dev examples the final prompt fixed or broke. */
function Flips({ details }: { details: OptimizationDetails }) {
  const flips = details.dev
    .map((example, index) => ({
      example,
      index,
      before: details.seed.scores[index],
      after: details.final.scores[index],
    }))
    .filter((row) => row.before !== row.after);
  if (flips.length === 0) return <p className="muted">No dev example changed its score.</p>;
  return (
    <>
      <h3>
        Dev examples that changed: {flips.filter((row) => row.after > row.before).length} fixed,{' '}
        {flips.filter((row) => row.after < row.before).length} broken
      </h3>
      <table className="grid examples">
        <thead>
          <tr>
            <th className="number">line</th>
            <th>input</th>
            <th>expected</th>
            <th>seed</th>
            <th>final</th>
          </tr>
        </thead>
        <tbody>
          {flips.map(({ example, index, before, after }) => (
            <tr key={example.id}>
              <td className="number muted">{example.line}</td>
              <td className="clip">{text(example.input)}</td>
              <td>{text(example.target)}</td>
              <td className="clip">
                <Status value={before >= 1 ? 'pass' : 'fail'} /> {details.seed.outputs[index]}
              </td>
              <td className="clip">
                <Status value={after >= 1 ? 'pass' : 'fail'} /> {details.final.outputs[index]}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function Optimization({ run }: { run: Run }) {
  const trials = useApi<Page<RunEntry>>(
    `/v1/runs/${run.id}/entries?kind=trial&limit=1000`,
    run.status === 'running' ? 2000 : undefined,
  );
  const list = trials.data?.data ?? [];
  const chart = useMemo(() => {
    let best = -Infinity;
    const bestSoFar = list.map((trial) => {
      if (trial.passed || best === -Infinity) best = Math.max(best, trial.score ?? -Infinity);
      return best === -Infinity ? null : best;
    });
    return {
      x: list.map((trial) => trial.position),
      series: [
        { label: 'trial score', values: list.map((trial) => trial.score), points: true },
        { label: 'incumbent', values: bestSoFar },
      ],
    };
  }, [list]);
  const summary = run.summary ?? {};
  const details = (summary.result as { details?: OptimizationDetails } | undefined)?.details;
  const roles = summary.roles as
    Record<string, { calls: number; tokens: { input: number; output: number }; cost?: number }> | undefined;
  const budget = (run.config.budget ?? {}) as Record<
    string,
    { calls?: number; tokens?: number; dollars?: number } | number | undefined
  >;
  return (
    <>
      {run.summary && (
        <section className="cards">
          <div className="card">
            <span>dev score</span>
            <b>
              {score(summary.seedScore)} → {score(summary.score)}
            </b>
            <em>{summary.improved ? 'improved' : 'seed kept'}</em>
          </div>
          <div className="card">
            <span>candidates</span>
            <b>{text(summary.candidates)}</b>
            <em>stopped: {text(summary.stopped)}</em>
          </div>
          <div className="card">
            <span>cost</span>
            <b>{dollars(summary.cost)}</b>
          </div>
        </section>
      )}
      {trials.error && <ErrorBox error={trials.error} />}
      {list.length > 0 && (
        <LineChart
          title="score trajectory"
          x={chart.x}
          series={chart.series}
          yLabel="dev score"
          xLabel="trial"
        />
      )}
      {roles && (
        <section className="panel">
          <h2>Spend per role</h2>
          <table className="grid">
            <thead>
              <tr>
                <th>role</th>
                <th className="number">calls</th>
                <th className="number">tokens in / out</th>
                <th className="number">cost</th>
                <th>cap</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(roles).map(([role, usage]) => {
                const cap = budget[role];
                const capCalls = typeof cap === 'object' ? cap?.calls : undefined;
                return (
                  <tr key={role}>
                    <td>{role}</td>
                    <td className="number">{usage.calls}</td>
                    <td className="number">
                      {usage.tokens.input} / {usage.tokens.output}
                    </td>
                    <td className="number">{dollars(usage.cost)}</td>
                    <td>
                      {capCalls ? (
                        <span className="progress" title={`${usage.calls} of ${capCalls} calls`}>
                          <span style={{ width: `${Math.min(100, (100 * usage.calls) / capCalls)}%` }} />
                          <em>
                            {usage.calls}/{capCalls} calls
                          </em>
                        </span>
                      ) : (
                        <span className="muted">no cap</span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </section>
      )}
      {details && (
        <section className="panel">
          <h2>Final prompt against the seed</h2>
          <SectionDiffView
            before={promptSections(details.seed.prompt)}
            after={promptSections(details.final.prompt)}
          />
          <Flips details={details} />
        </section>
      )}
      <section className="panel">
        <h2>Trials</h2>
        <table className="grid" data-testid="trials">
          <thead>
            <tr>
              <th className="number">#</th>
              <th>candidate</th>
              <th className="number">score</th>
              <th>accepted</th>
              <th className="number">calls</th>
            </tr>
          </thead>
          <tbody>
            {list.map((trial) => (
              <tr key={trial.position}>
                <td className="number">{trial.position}</td>
                <td>{text(trial.data.description)}</td>
                <td className="number">{score(trial.score)}</td>
                <td>{trial.passed ? <Status value="accepted" /> : ''}</td>
                <td className="number">{text(trial.data.calls)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}

function Training({ run }: { run: Run }) {
  const steps = useApi<Page<RunEntry>>(
    `/v1/runs/${run.id}/entries?kind=step&limit=1000`,
    run.status === 'running' ? 2000 : undefined,
  );
  const list = steps.data?.data ?? [];
  const loss = useMemo(
    () => ({
      x: list.map((step) => Number(step.data.step ?? step.position)),
      series: [
        {
          label: 'train loss',
          values: list.map((step) => (typeof step.data.loss === 'number' ? step.data.loss : null)),
        },
      ],
    }),
    [list],
  );
  const accuracy = useMemo(() => {
    const evaluated = list.filter((step) => typeof step.data.devAccuracy === 'number');
    return {
      x: evaluated.map((step) => Number(step.data.step ?? step.position)),
      series: [{ label: 'dev accuracy', values: evaluated.map((step) => step.data.devAccuracy as number) }],
    };
  }, [list]);
  const summary = run.summary ?? {};
  return (
    <>
      {run.summary && (
        <section className="cards">
          {trainingCards(run.summary?.servedUnconstrained === true)
            .filter(([name]) => typeof summary[name] === 'number')
            .map(([name, title]) => (
              <div key={name} className="card">
                <span>{title}</span>
                <b>
                  {name === 'bestStep' || name === 'steps' ? String(summary[name]) : score(summary[name])}
                </b>
              </div>
            ))}
        </section>
      )}
      {steps.error && <ErrorBox error={steps.error} />}
      {list.length > 0 ? (
        <div className="columns">
          <LineChart title="train loss" x={loss.x} series={loss.series} yLabel="loss" />
          {accuracy.x.length > 0 && (
            <LineChart title="dev accuracy" x={accuracy.x} series={accuracy.series} yLabel="accuracy" />
          )}
        </div>
      ) : (
        <p className="muted">No steps recorded yet.</p>
      )}
    </>
  );
}

/** Downloads the run's HTML report (rendered by the service from the same records). */
function ReportButton({ id }: { id: string }) {
  const [error, setError] = useState<ApiError>();
  const download = async () => {
    try {
      const link = document.createElement('a');
      link.href = URL.createObjectURL(await apiBlob(`/v1/runs/${encodeURIComponent(id)}/report`));
      link.download = `${id}.html`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    } catch (caught) {
      setError(caught as ApiError);
    }
  };
  return (
    <p>
      <button className="toggle" onClick={() => void download()}>
        Download the HTML report
      </button>
      {error && <ErrorBox error={error} />}
    </p>
  );
}

/**
 * The numbers a training's summary cards show, in words, in this order (the rest is its configuration).
 * Label accuracy is measured among the labels: as served only when the spec constrains decoding to them.
 */
const trainingCards = (servedUnconstrained: boolean): [string, string][] => [
  ['testExactMatch', 'test exact match'],
  [
    'testLabelAccuracy',
    servedUnconstrained
      ? 'test label accuracy (among its labels; its spec serves it unconstrained)'
      : 'test label accuracy (as served)',
  ],
  ['baselineTestExactMatch', 'hand-written prompt, test'],
  ['devExactMatch', 'dev exact match, best'],
  ['bestStep', 'best step'],
  ['steps', 'steps'],
  ['testLoss', 'test loss'],
];

/** A run. Query: filter (failures, passes) for an evaluation's examples. */
export function RunPage({ id, query: route }: { id: string; query: URLSearchParams }) {
  const loaded = useApi<Run>(`/v1/runs/${encodeURIComponent(id)}`, 2000);
  const version = useVersionNames(loaded.data ? [loaded.data] : []);
  if (loaded.error) return <ErrorBox error={loaded.error} />;
  const run = loaded.data;
  if (!run) return <Loading />;
  return (
    <>
      <h1>
        {runKindText(run)} <code>{run.id}</code> <Status value={run.status} />
      </h1>
      <p className="actions">
        task <a href={href(['tasks', run.task])}>{run.task}</a>
        {run.version && (
          <>
            {' '}
            · version{' '}
            <a href={href(['tasks', run.task], { v: run.version })} title={run.version}>
              {version(run.task, run.version)}
            </a>
          </>
        )}
        {/* the model the run measured (an audit's counts for the policy only on the models it names) */}
        {typeof run.config.model === 'string' && (
          <>
            {' '}
            · on <code>{run.config.model}</code>
          </>
        )}{' '}
        · started {time(run.startedAt)} by {run.actor}
        {run.finishedAt && <> · took {duration(run.finishedAt - run.startedAt)}</>}{' '}
        {run.status === 'running' && <Progress run={run} />}
        {typeof run.config.traces === 'string' && (
          <>
            {' · '}
            <a href={href(['traces'], { run: run.config.traces })}>its calls</a>
          </>
        )}
      </p>
      {run.datasets.length > 0 && (
        <p className="actions">
          data read:{' '}
          {run.datasets.map((id) => (
            <a key={id} className="tag" href={href(['tasks', run.task, 'datasets', id])} title={id}>
              dataset {shortId(id)}
            </a>
          ))}
        </p>
      )}
      {run.status === 'completed' && !['soft-training', 'loop', 'comparison'].includes(run.kind) && (
        <ReportButton id={run.id} />
      )}
      <RunRetirement run={run} reload={loaded.reload} />
      {run.error && <div className="error">{run.error}</div>}
      {run.status === 'interrupted' && (
        <div className="error">
          The run stopped sending heartbeats: its process was killed or lost. What it recorded is kept.
        </div>
      )}
      <details className="panel">
        <summary>configuration</summary>
        <pre>{JSON.stringify(run.config, null, 2)}</pre>
      </details>
      {run.kind === 'evaluation' && <Evaluation run={run} filter={route.get('filter') ?? 'all'} />}
      {run.kind === 'optimization' && <Optimization run={run} />}
      {run.kind === 'soft-training' && <Training run={run} />}
      {run.kind === 'audit' && <AuditRun run={run} />}
      {run.kind === 'loop' && <LoopRun run={run} />}
      {run.kind === 'comparison' && <ComparisonRun run={run} />}
    </>
  );
}
