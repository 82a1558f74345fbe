// Two evaluation runs side by side: the paired test over the examples both scored, and the examples
// whose results differ (improved or regressed), each with both outputs.
import { useMemo, useState } from 'react';
import { ErrorBox, Loading, Status } from '../components/feedback';
import { score, shortRunId, text } from '../format';
import { href } from '../router';
import type { Page, Run, RunEntry } from '../types';
import { useApi } from '../use-api';

interface Comparison {
  a: { model: string; score: number };
  b: { model: string; score: number };
  n: number;
  difference: number;
  interval: [number, number];
  pValue: number;
  significant: boolean;
  improved: { id: string; line: number }[];
  regressed: { id: string; line: number }[];
}

const examplesOf = (id: string) => `/v1/runs/${encodeURIComponent(id)}/entries?kind=example&limit=1000`;

/** Run `second` against run `first`. */
export function RunComparePage({ first, second }: { first: string; second: string }) {
  const [onlyDifferences, setOnlyDifferences] = useState(true);
  const comparison = useApi<Comparison>(
    `/v1/runs/${encodeURIComponent(first)}/compare/${encodeURIComponent(second)}`,
  );
  const runA = useApi<Run>(`/v1/runs/${encodeURIComponent(first)}`);
  const runB = useApi<Run>(`/v1/runs/${encodeURIComponent(second)}`);
  const entriesA = useApi<Page<RunEntry>>(examplesOf(first));
  const entriesB = useApi<Page<RunEntry>>(examplesOf(second));
  const rows = useMemo(() => {
    const byId = new Map((entriesB.data?.data ?? []).map((entry) => [String(entry.data.id), entry]));
    return (entriesA.data?.data ?? []).flatMap((entry) => {
      const other = byId.get(String(entry.data.id));
      return other ? [[entry, other] as const] : [];
    });
  }, [entriesA.data, entriesB.data]);
  const error = comparison.error ?? runA.error ?? runB.error ?? entriesA.error ?? entriesB.error;
  if (error) return <ErrorBox error={error} />;
  if (!comparison.data || !runA.data || !runB.data) return <Loading />;
  const result = comparison.data;
  const shown = onlyDifferences
    ? rows.filter(([a, b]) => a.passed !== b.passed || a.score !== b.score)
    : rows;
  return (
    <>
      <h1>
        <a href={href(['runs', first])}>{shortRunId(first)}</a> vs{' '}
        <a href={href(['runs', second])}>{shortRunId(second)}</a>
      </h1>
      <section className="cards">
        <div className="card">
          <span>A · {runA.data.config.model as string}</span>
          <b>{score(result.a.score)}</b>
        </div>
        <div className="card">
          <span>B · {runB.data.config.model as string}</span>
          <b>{score(result.b.score)}</b>
        </div>
        <div className="card" data-testid="paired-test">
          <span>B − A on {result.n} shared examples</span>
          <b>{(result.difference >= 0 ? '+' : '') + result.difference.toFixed(3)}</b>
          <em>
            95% CI [{result.interval[0].toFixed(3)}, {result.interval[1].toFixed(3)}], p ={' '}
            {result.pValue.toFixed(3)} {result.significant ? '(significant)' : '(not significant)'}
          </em>
        </div>
        <div className="card">
          <span>improved / regressed</span>
          <b>
            {result.improved.length} / {result.regressed.length}
          </b>
        </div>
      </section>
      <div className="toolbar">
        <label>
          <input
            type="checkbox"
            checked={onlyDifferences}
            onChange={(event) => setOnlyDifferences(event.target.checked)}
          />{' '}
          only differences
        </label>
        {(entriesA.data?.next !== undefined || entriesB.data?.next !== undefined) && (
          <span className="muted">the table shows the first 1,000 examples; the test uses all</span>
        )}
      </div>
      <table className="grid examples">
        <thead>
          <tr>
            <th>input</th>
            <th>expected</th>
            <th>A output</th>
            <th>A</th>
            <th>B output</th>
            <th>B</th>
          </tr>
        </thead>
        <tbody>
          {shown.map(([a, b]) => (
            <tr key={String(a.data.id)}>
              <td className="clip">
                {Object.values((a.data.fields ?? {}) as Record<string, unknown>)
                  .map(text)
                  .join(' | ')}
              </td>
              <td>{text(a.data.target)}</td>
              <td className="clip">{((a.data.outputs ?? []) as string[])[0]}</td>
              <td>
                <Status value={a.passed ? 'pass' : 'fail'} />
              </td>
              <td className="clip">{((b.data.outputs ?? []) as string[])[0]}</td>
              <td>
                <Status value={b.passed ? 'pass' : 'fail'} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {shown.length === 0 && <p className="muted">No example differs.</p>}
    </>
  );
}
