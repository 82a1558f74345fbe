// The review queues the key sees (a reviewer only those assigned to them, an admin every one): each
// queue's task, how far it is, how many reviewers each item needs, and links to review it and to its
// agreement. Creating queues and adding items is an admin's, through the API; this page does not.
import { Empty, ErrorBox, Loading } from '../components/feedback';
import { href } from '../router';
import { can, useSession } from '../session';
import type { ReviewQueue } from '../types';
import { useApi } from '../use-api';

/** Reviewed items of a queue as a bar. */
function QueueProgress({ queue }: { queue: ReviewQueue }) {
  const { items, reviewed } = queue.progress;
  // how items get in, where a person first looks for them
  if (items === 0)
    return (
      <span
        className="muted"
        title={`promptune review feed ${queue.name} queues the served traces its rules match (also POST /v1/review/queues/${queue.name}/feed); review add takes traces or an eval run's failures`}
      >
        no items yet: <code>promptune review feed {queue.name}</code>
      </span>
    );
  return (
    <span className="progress" title={`${reviewed} of ${items} items fully reviewed`}>
      <span style={{ width: `${(100 * reviewed) / items}%` }} />
      <em>
        {reviewed}/{items}
      </em>
    </span>
  );
}

/** The queue list. */
export function ReviewQueuesPage() {
  const me = useSession();
  const queues = useApi<{ data: ReviewQueue[] }>('/v1/review/queues', 10_000);
  if (queues.error) return <ErrorBox error={queues.error} />;
  if (!queues.data) return <Loading />;
  return (
    <>
      <h1>Review</h1>
      {queues.data.data.length === 0 ? (
        <Empty title="No review queues for this key">
          <p>
            {can(me, 'admin')
              ? 'Create one for a task with POST /v1/review/queues, then add items to it (by hand, from traces, or from an evaluation run’s failures).'
              : 'A reviewer sees the queues an admin assigned to them; ask an admin to add your key’s name to a queue’s reviewers.'}
          </p>
        </Empty>
      ) : (
        <table className="grid" data-testid="review-queues">
          <thead>
            <tr>
              <th>Queue</th>
              <th>Task</th>
              <th>Reviewed</th>
              <th className="number">Items</th>
              <th className="number">By you</th>
              <th className="number">Reviewers per item</th>
              <th>Reviewers</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {queues.data.data.map((queue) => (
              <tr key={queue.name}>
                <td>
                  <a href={href(['review', queue.name])}>{queue.name}</a>
                </td>
                <td>
                  {can(me, 'read') ? <a href={href(['tasks', queue.task])}>{queue.task}</a> : queue.task}
                </td>
                <td>
                  <QueueProgress queue={queue} />
                </td>
                <td className="number">{queue.progress.items}</td>
                <td className="number">{queue.progress.mine}</td>
                <td className="number">{queue.reviewsPerItem}</td>
                <td className="muted">
                  {queue.reviewers.length ? queue.reviewers.join(', ') : 'any reviewer'}
                </td>
                <td className="nowrap">
                  <a href={href(['review', queue.name])}>Review</a> ·{' '}
                  <a href={href(['review', queue.name, 'agreement'])}>Agreement</a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
