// A task's numbered dataset versions: each with where it came from (pushed files, or a review queue's
// corrections), its splits' files and row counts, what it added and who made it. It reads
// GET /v1/tasks/{task}/dataset-versions and the stored datasets; it writes nothing.
import type { Dataset, DatasetVersion } from '../types';
import { time } from '../format';
import { href } from '../router';
import { useApi } from '../use-api';
import { ErrorBox, Loading } from './feedback';

/** What a version added over its parent, in words. */
function added(details: DatasetVersion['details']): string {
  const rows = details.added
    ? Object.entries(details.added).map(([split, count]) => `${count} to ${split}`)
    : [];
  const parts = [
    rows.length ? `added ${rows.join(', ')}` : '',
    details.duplicates ? `${details.duplicates} duplicate(s) left out` : '',
    details.held ? `${details.held} held back` : '',
  ];
  return parts.filter(Boolean).join('; ');
}

/** The dataset versions panel of a task page. */
export function DatasetVersions({ task }: { task: string }) {
  const path = `/v1/tasks/${encodeURIComponent(task)}`;
  const versions = useApi<{ data: DatasetVersion[] }>(`${path}/dataset-versions`);
  const datasets = useApi<{ data: Dataset[] }>(`${path}/datasets`);
  if (versions.error) return <ErrorBox error={versions.error} />;
  if (!versions.data || !datasets.data) return <Loading />;
  if (versions.data.data.length === 0) return null;
  const byId = new Map(datasets.data.data.map((dataset) => [dataset.id, dataset]));
  return (
    <section className="panel">
      <h2>Dataset versions</h2>
      <table className="grid">
        <thead>
          <tr>
            <th className="number">version</th>
            <th>source</th>
            <th>splits (rows)</th>
            <th>what changed</th>
            <th>by</th>
            <th>made</th>
          </tr>
        </thead>
        <tbody>
          {[...versions.data.data].reverse().map((version) => {
            const queue = version.source.startsWith('review:') ? version.source.slice(7) : undefined;
            return (
              <tr key={version.number}>
                <td className="number">
                  {version.number}
                  {version.parent !== null && <span className="muted"> ← {version.parent}</span>}
                </td>
                <td>
                  {queue ? (
                    <>
                      review <a href={href(['review', queue, 'agreement'])}>{queue}</a>
                    </>
                  ) : (
                    version.source
                  )}
                </td>
                <td>
                  {Object.entries(version.splits).map(([split, id]) => (
                    <a key={split} className="tag" href={href(['tasks', task, 'datasets', id])}>
                      {split} {byId.get(id)?.rows ?? '?'}
                    </a>
                  ))}
                </td>
                <td className="muted">{added(version.details) || version.message}</td>
                <td>{version.actor}</td>
                <td className="muted">{time(version.createdAt)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
