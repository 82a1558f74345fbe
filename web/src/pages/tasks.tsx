// The first page: every task with its versions and labels, or what to do on an empty registry.
import { Empty, ErrorBox, Loading } from '../components/feedback';
import { href } from '../router';
import type { TaskSummary } from '../types';
import { useApi } from '../use-api';

/** The task list. */
export function TasksPage() {
  const tasks = useApi<{ data: TaskSummary[] }>('/v1/tasks', 5000);
  if (tasks.error) return <ErrorBox error={tasks.error} />;
  if (!tasks.data) return <Loading />;
  return (
    <>
      <h1>Tasks</h1>
      {tasks.data.data.length === 0 ? (
        <Empty title="The registry has no tasks yet">
          <p>
            Register a task's prompt (and its data), then tune it; runs you record appear here as they go.
          </p>
          <ol>
            <li>
              <code>npx promptune registry push --task examples/name.yaml</code> registers the spec's prompt
              as version 1.
            </li>
            <li>
              <code>npx promptune eval --task examples/name.yaml --model local:&lt;model&gt; --push</code>{' '}
              records an evaluation run.
            </li>
            <li>
              <code>npx promptune optimize … --push</code> or <code>npx promptune soft train … --push</code>{' '}
              adds tuned versions.
            </li>
          </ol>
          <p className="muted">
            Use the same registry as this dashboard: <code>--db &lt;file&gt;</code> or{' '}
            <code>DATABASE_URL</code>.
          </p>
        </Empty>
      ) : (
        <table className="grid">
          <thead>
            <tr>
              <th>Task</th>
              <th>Description</th>
              <th className="number">Versions</th>
              <th>Labels</th>
            </tr>
          </thead>
          <tbody>
            {tasks.data.data.map((task) => (
              <tr key={task.name}>
                <td>
                  <a href={href(['tasks', task.name])}>{task.name}</a>
                </td>
                <td className="muted">{task.description}</td>
                <td className="number">{task.versions}</td>
                <td>
                  {Object.entries(task.labels).map(([label, number]) => (
                    <span key={label} className="tag">
                      {label} → v{number}
                    </span>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
