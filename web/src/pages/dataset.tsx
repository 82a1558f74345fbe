// One stored dataset: its statistics, and its rows searched and paged on the service.
import { useState } from 'react';
import { query } from '../api';
import { ErrorBox, Loading } from '../components/feedback';
import { shortId, text } from '../format';
import { href } from '../router';
import type { DatasetRow } from '../types';
import { useApi } from '../use-api';

interface Stats {
  size: number;
  labels?: Record<string, number>;
  inputWords: { min: number; mean: number; max: number };
  targetCharacters: { min: number; mean: number; max: number };
  duplicates: number;
  conflictingDuplicates: number;
}

const pageSize = 50;
const shownLabels = 12;

/** A dataset's rows and statistics. */
export function DatasetPage({ task, id }: { task: string; id: string }) {
  const [search, setSearch] = useState('');
  const [offset, setOffset] = useState(0);
  const base = `/v1/tasks/${encodeURIComponent(task)}/datasets/${encodeURIComponent(id)}`;
  const stats = useApi<Stats>(`${base}/stats`);
  const rows = useApi<{ total: number; matched: number; offset: number; data: DatasetRow[] }>(
    `${base}/rows${query({ q: search, offset, limit: pageSize })}`,
  );
  const error = stats.error ?? rows.error;
  const labels = Object.entries(stats.data?.labels ?? {}).sort((a, b) => b[1] - a[1]);
  return (
    <>
      <h1>
        <a href={href(['tasks', task])}>{task}</a> / dataset {shortId(id)}
      </h1>
      {error && <ErrorBox error={error} />}
      {stats.data && (
        <section className="panel stats">
          <div>
            <b>{stats.data.size}</b> rows
          </div>
          <div>
            input words {stats.data.inputWords.min}–{stats.data.inputWords.max} (mean{' '}
            {stats.data.inputWords.mean})
          </div>
          <div>
            {stats.data.duplicates} duplicates ({stats.data.conflictingDuplicates} conflicting)
          </div>
          {stats.data.labels && (
            <div className="bars">
              {/* the most frequent labels, scaled to the most frequent one */}
              {labels.slice(0, shownLabels).map(([label, count]) => (
                <div key={label} className="bar-row">
                  <span className="bar-label">{label}</span>
                  <span className="bar" style={{ width: `${(100 * count) / labels[0][1]}%` }} />
                  <span className="muted">{count}</span>
                </div>
              ))}
              {labels.length > shownLabels && (
                <p className="muted">and {labels.length - shownLabels} more labels</p>
              )}
            </div>
          )}
        </section>
      )}
      <div className="toolbar">
        <input
          type="search"
          placeholder="Search rows…"
          value={search}
          onChange={(event) => {
            setSearch(event.target.value);
            setOffset(0);
          }}
        />
        {rows.data && (
          <span className="muted">
            {rows.data.matched} of {rows.data.total} rows
          </span>
        )}
      </div>
      {!rows.data ? (
        <Loading />
      ) : (
        <>
          <table className="grid">
            <thead>
              <tr>
                <th className="number">line</th>
                <th>input</th>
                <th>target</th>
              </tr>
            </thead>
            <tbody>
              {rows.data.data.map((row) => (
                <tr key={row.index}>
                  <td className="number muted">{row.line}</td>
                  <td className="clip">
                    {Object.entries(row.fields)
                      .map(([field, value]) =>
                        Object.keys(row.fields).length > 1 ? `${field}: ${text(value)}` : text(value),
                      )
                      .join(' | ')}
                  </td>
                  <td>{text(row.target)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="pager">
            <button disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - pageSize))}>
              Previous
            </button>
            <span className="muted">
              {rows.data.matched === 0 ? 0 : offset + 1}–{Math.min(offset + pageSize, rows.data.matched)}
            </span>
            <button
              disabled={offset + pageSize >= rows.data.matched}
              onClick={() => setOffset(offset + pageSize)}
            >
              Next
            </button>
          </div>
        </>
      )}
    </>
  );
}
