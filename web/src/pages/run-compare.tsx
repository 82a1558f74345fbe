// Evaluation runs side by side: the example x run matrix (input, expected, each run's output and
// pass/fail), filtered to the examples whose results differ, failures or passes, and each run's paired
// test against the first (the baseline) over the examples both scored.
import { useMemo, useState } from 'react';
import { Empty, ErrorBox, Loading, Status } from '../components/feedback';
import { score, shortRunId, text } from '../format';
import { href, navigate } from '../router';
import type { Page, Run, RunEntry } from '../types';
import { useApiAll } from '../use-api';
import { useVersionNames } from '../version-names';

interface Comparison {
  n: number;
  difference: number;
  interval: [number, number];
  pValue: number;
  significant: boolean;
  improved: { id: string; line: number }[];
  regressed: { id: string; line: number }[];
}

const filters: Record<string, string> = {
  differences: 'results differ',
  failures: 'a run failed',
  passes: 'every run passed',
  all: 'all',
};

/** Runs `ids` (two or more evaluations), the first the baseline. Query: filter. */
export function RunComparePage({ ids, filter }: { ids: string[]; filter: string }) {
  const [limit] = useState(1000);
  const runs = useApiAll<Run>(ids.map((id) => `/v1/runs/${encodeURIComponent(id)}`));
  const entries = useApiAll<Page<RunEntry>>(
    ids.map((id) => `/v1/runs/${encodeURIComponent(id)}/entries?kind=example&limit=${limit}`),
  );
  const tests = useApiAll<Comparison>(
    ids.slice(1).map((id) => `/v1/runs/${encodeURIComponent(ids[0])}/compare/${encodeURIComponent(id)}`),
  );
  const version = useVersionNames(runs.data ?? []);
  // a run as its column and card name it: which it is, and the version it evaluated (name v3)
  const runName = (run: Run, index: number) =>
    `${index === 0 ? 'baseline' : `run ${index + 1}`}${run.version ? ` · ${run.task} ${version(run.task, run.version)}` : ''}`;
  // one row per example of the baseline that every run scored, matched by content id
  const rows = useMemo(() => {
    if (!entries.data) return [];
    const byId = entries.data.map(
      (page) => new Map(page.data.map((entry) => [String(entry.data.id), entry])),
    );
    return entries.data[0].data.flatMap((entry) => {
      const cells = byId.map((map) => map.get(String(entry.data.id)));
      return cells.every(Boolean) ? [cells as RunEntry[]] : [];
    });
  }, [entries.data]);
  const error = runs.error ?? entries.error ?? tests.error;
  if (ids.length < 2)
    return (
      <Empty title="Pick two or more evaluations to compare">
        <p>
          On the <a href={href(['runs'], { kind: 'evaluation' })}>runs page</a>, tick the evaluations (the
          first ticked is the baseline), then Compare.
        </p>
      </Empty>
    );
  if (error) return <ErrorBox error={error} />;
  if (!runs.data || !entries.data || !tests.data) return <Loading />;
  const shown = rows.filter((cells) => {
    if (filter === 'all') return true;
    if (filter === 'failures') return cells.some((cell) => !cell.passed);
    if (filter === 'passes') return cells.every((cell) => cell.passed);
    return cells.some((cell) => cell.passed !== cells[0].passed || cell.score !== cells[0].score);
  });
  return (
    <>
      <h1>Comparing {ids.length} evaluations</h1>
      <section className="cards">
        {runs.data.map((run, index) => {
          const test = index > 0 ? tests.data![index - 1] : undefined;
          return (
            <div className="card" key={run.id} data-testid={index > 0 ? 'paired-test' : 'baseline'}>
              <span>
                {runName(run, index)} · <a href={href(['runs', run.id])}>{shortRunId(run.id)}</a> ·{' '}
                {String(run.config.model ?? '')}
              </span>
              <b>{score(run.summary?.score)}</b>
              {test && (
                <em>
                  {(test.difference >= 0 ? '+' : '') + test.difference.toFixed(3)} vs baseline on {test.n},
                  95% CI [{test.interval[0].toFixed(3)}, {test.interval[1].toFixed(3)}], p ={' '}
                  {test.pValue.toFixed(3)} {test.significant ? '(significant)' : '(not significant)'};{' '}
                  {test.improved.length} improved, {test.regressed.length} regressed
                </em>
              )}
            </div>
          );
        })}
      </section>
      <div className="toolbar">
        {Object.entries(filters).map(([name, title]) => (
          <button
            key={name}
            className={filter === name ? 'toggle on' : 'toggle'}
            onClick={() => navigate(['compare'], { runs: ids.join(','), filter: name })}
          >
            {title}
          </button>
        ))}
        <span className="muted">
          {shown.length} of {rows.length} examples
          {entries.data.some((page) => page.next !== undefined) && ` (the first ${limit}; the tests use all)`}
        </span>
      </div>
      <table className="grid examples" data-testid="matrix">
        <thead>
          <tr>
            <th>input</th>
            <th>expected</th>
            {runs.data.map((run, index) => (
              <th key={run.id}>{runName(run, index)}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {shown.map((cells) => (
            <tr key={String(cells[0].data.id)}>
              <td className="clip">
                {Object.values((cells[0].data.fields ?? {}) as Record<string, unknown>)
                  .map(text)
                  .join(' | ')}
              </td>
              <td>{text(cells[0].data.target)}</td>
              {cells.map((cell, index) => (
                <td key={index} className="clip">
                  <Status value={cell.passed ? 'pass' : 'fail'} />{' '}
                  {((cell.data.outputs ?? []) as string[])[0]}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {shown.length === 0 && <p className="muted">No example matches.</p>}
    </>
  );
}
