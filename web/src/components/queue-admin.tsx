// An admin's two actions on a review queue, beside its agreement: queue the served traces its rules
// match (the last day or week), and write its agreed corrections as the task's next dataset version,
// with what that would add shown before the button. Both are the routes the CLI's `review feed` and
// `review dataset` call; reviewers never see this panel.
import { useState } from 'react';
import { api, type ApiError } from '../api';
import { href } from '../router';
import type { ReviewQueue } from '../types';
import { useApi } from '../use-api';
import { ErrorBox } from './feedback';

/** What writing the corrections now would add (GET …/dataset). */
interface PendingCorrections {
  base: number;
  added: Record<string, number>;
  duplicates: number;
  held: { item: string; reason: string }[];
}

/** What a write did (POST …/dataset). */
interface CorrectionsResult extends Omit<PendingCorrections, 'base'> {
  version: { number: number };
  created: boolean;
}

/** What a feed queued (POST …/feed). */
interface FeedResult {
  added: number;
  repeated: number;
  overLimit: number;
}

/** "1 to train, 0 to dev", or "no new rows". */
function rowsText(added: Record<string, number>): string {
  const entries = Object.entries(added);
  const total = entries.reduce((sum, [, count]) => sum + count, 0);
  return total === 0 ? 'no new rows' : entries.map(([split, count]) => `${count} to ${split}`).join(', ');
}

/** "2 held back (disagreement 1, conflict 1)", or nothing. */
function heldText(held: { reason: string }[]): string {
  if (held.length === 0) return '';
  const reasons = new Map<string, number>();
  for (const each of held) reasons.set(each.reason, (reasons.get(each.reason) ?? 0) + 1);
  return `; ${held.length} held back (${[...reasons].map(([reason, count]) => `${reason} ${count}`).join(', ')})`;
}

/** The admin panel of `queue`; `onChanged` reloads what the page shows of the queue. */
export function QueueAdmin({ queue, onChanged }: { queue: ReviewQueue; onChanged: () => void }) {
  const base = `/v1/review/queues/${encodeURIComponent(queue.name)}`;
  const pending = useApi<PendingCorrections>(`${base}/dataset`);
  const [since, setSince] = useState('24h');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const [fed, setFed] = useState<FeedResult>();
  const [written, setWritten] = useState<CorrectionsResult>();

  const act = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await work();
      pending.reload();
      onChanged();
    } catch (caught) {
      setError(caught as ApiError);
    } finally {
      setBusy(false);
    }
  };
  const feed = () =>
    act(async () => {
      setFed(await api<FeedResult>(`${base}/feed`, { method: 'POST', body: { since } }));
    });
  const write = () =>
    act(async () => {
      setWritten(await api<CorrectionsResult>(`${base}/dataset`, { method: 'POST', body: {} }));
    });
  const rows = pending.data ? Object.values(pending.data.added).reduce((sum, count) => sum + count, 0) : 0;

  return (
    <section className="panel" data-testid="queue-admin">
      <h2>Items in, corrections out</h2>
      {error && <ErrorBox error={error} />}
      {queue.rules.length === 0 ? (
        <p className="muted admin-action">
          This queue has no feeding rules: items come from <code>promptune review add</code> (traces, or an
          evaluation run’s failures) or POST {base}/items.
        </p>
      ) : (
        <div className="admin-action">
          <p>
            Queue the served traces of task {queue.task} that this queue’s{' '}
            {queue.rules.length === 1 ? 'rule matches' : `${queue.rules.length} rules match`} (as{' '}
            <code>promptune review feed {queue.name}</code>):
          </p>
          <label>
            from the last{' '}
            <select value={since} onChange={(event) => setSince(event.target.value)}>
              <option value="1h">hour</option>
              <option value="24h">day</option>
              <option value="7d">week</option>
            </select>
          </label>{' '}
          <button disabled={busy} onClick={() => void feed()}>
            Queue matching traces
          </button>
          {fed && (
            <p className="muted" data-testid="feed-result">
              queued {fed.added} {fed.added === 1 ? 'trace' : 'traces'}
              {fed.repeated > 0 && `; ${fed.repeated} already queued`}
              {fed.overLimit > 0 && `; ${fed.overLimit} past the limit, left for the next feed`}
            </p>
          )}
        </div>
      )}
      <div className="admin-action">
        {pending.error ? (
          <ErrorBox error={pending.error} />
        ) : pending.data ? (
          <p data-testid="corrections-pending">
            Writing the agreed corrections now adds {rowsText(pending.data.added)} to task {queue.task}’s
            dataset version {pending.data.base}
            {pending.data.duplicates > 0 && `; ${pending.data.duplicates} it already has`}
            {heldText(pending.data.held)}. The test split stays as curated.
          </p>
        ) : (
          <p className="muted">Reading what the corrections would add…</p>
        )}
        <button disabled={busy || rows === 0} onClick={() => void write()}>
          Write dataset version {pending.data ? pending.data.base + 1 : ''}
        </button>
        {written && (
          <p className="muted" data-testid="corrections-written">
            {written.created
              ? `wrote dataset version ${written.version.number}: ${rowsText(written.added)}`
              : `nothing new: version ${written.version.number} already holds these rows`}{' '}
            · <a href={href(['tasks', queue.task])}>its dataset versions</a>
          </p>
        )}
      </div>
    </section>
  );
}
