// The playground: any version of a task (a label, a number, latest) run on an input through
// POST /v1/tasks/{task@version}/run, with the output, tokens and latency.
import { useState } from 'react';
import { api, ApiError } from '../api';
import { Empty, ErrorBox, Loading } from '../components/feedback';
import { duration } from '../format';
import { href, navigate } from '../router';
import { can, useSession } from '../session';
import type { TaskDetail, TaskSummary, Version } from '../types';
import { useApi } from '../use-api';
import { versionMethod } from '../version-text';

interface RunAnswer {
  id: string;
  version: { id: string; number: number; kind: string };
  output: unknown;
  text: string;
  refrained?: boolean;
  usage: { input_tokens: number; output_tokens: number };
}

function Runner({ task }: { task: string }) {
  const detail = useApi<TaskDetail>(`/v1/tasks/${encodeURIComponent(task)}`);
  const versions = useApi<{ data: Version[] }>(`/v1/tasks/${encodeURIComponent(task)}/versions`);
  // unchosen: what `"model": "<task>"` serves, the production label, else the latest version
  const [picked, setReference] = useState<string>();
  const [fields, setFields] = useState<Record<string, string>>({});
  const [answer, setAnswer] = useState<RunAnswer & { ms: number }>();
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  if (detail.error) return <ErrorBox error={detail.error} />;
  if (!detail.data || !versions.data) return <Loading />;
  if (versions.data.data.length === 0)
    return (
      <Empty title={`${task} has no versions yet`}>
        <p>
          Register one to run it here: <code>npx promptune registry push --task spec.yaml</code> (the spec's
          prompt), or <code>--push</code> on <code>optimize</code> or <code>soft train</code>.
        </p>
      </Empty>
    );
  const inputFields = detail.data.spec.input.fields;
  const reference =
    picked ?? (detail.data.labels.some((label) => label.label === 'production') ? 'production' : 'latest');
  const latest = versions.data.data.reduce<Version | undefined>(
    (last, version) => (last && last.number > version.number ? last : version),
    undefined,
  );
  // a version this service cannot run (trained on other weights) is marked, and its reason shown below
  const notHere = (version: Version | undefined) => (version?.notServed ? ' · not served here' : '');
  const chosen =
    reference === 'latest'
      ? latest
      : versions.data.data.find(
          (version) =>
            String(version.number) === reference ||
            version.id === detail.data!.labels.find((label) => label.label === reference)?.version,
        );
  /** The method of the version an answer came from (one pushed since the list loaded: its kind). */
  const methodOf = (id: string) => {
    const version = versions.data!.data.find((each) => each.id === id);
    return version && versionMethod(version);
  };
  const run = async () => {
    setBusy(true);
    setError(undefined);
    const started = performance.now();
    try {
      const input = inputFields.length === 1 ? (fields[inputFields[0]] ?? '') : fields;
      const result = await api<RunAnswer>(`/v1/tasks/${encodeURIComponent(`${task}@${reference}`)}/run`, {
        method: 'POST',
        body: { input },
      });
      setAnswer({ ...result, ms: performance.now() - started });
    } catch (caught) {
      setError(caught as ApiError);
      setAnswer(undefined);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="panel playground"
      onSubmit={(event) => {
        event.preventDefault();
        void run();
      }}
    >
      <label>
        Version
        <select value={reference} onChange={(event) => setReference(event.target.value)} aria-label="version">
          <option value="latest">latest{notHere(latest)}</option>
          {detail.data.labels.map((label) => (
            <option key={label.label} value={label.label}>
              {label.label}
              {notHere(versions.data!.data.find((version) => version.id === label.version))}
            </option>
          ))}
          {[...versions.data.data].reverse().map((version) => (
            <option key={version.id} value={version.number}>
              v{version.number} ({versionMethod(version)}){notHere(version)}
            </option>
          ))}
        </select>
      </label>
      {chosen?.notServed && (
        <p className="not-served" data-testid="not-served">
          v{chosen.number} cannot run on this service: {chosen.notServed}.
        </p>
      )}
      {inputFields.map((field) => (
        <label key={field}>
          {field}
          <textarea
            rows={4}
            value={fields[field] ?? ''}
            aria-label={field}
            onChange={(event) => setFields({ ...fields, [field]: event.target.value })}
          />
        </label>
      ))}
      <button type="submit" disabled={busy}>
        {busy ? 'Running…' : 'Run'}
      </button>
      {error && <ErrorBox error={error} />}
      {answer && (
        <div className="answer" data-testid="answer">
          <h3>
            Output{' '}
            <span className="muted">
              v{answer.version.number} ({methodOf(answer.version.id) ?? answer.version.kind})
            </span>
          </h3>
          {typeof answer.output === 'string' && answer.output.trim() !== answer.text.trim() ? (
            // a label task's answer (or an output cut at its end) first, then what the model wrote; an
            // answer that differs only by its spaces is shown once
            <>
              <pre data-testid="parsed-output">{answer.output}</pre>
              <p className="muted">the model wrote:</p>
              <pre className="muted">{answer.text}</pre>
            </>
          ) : (
            <pre>{answer.text}</pre>
          )}
          {answer.output !== null && typeof answer.output !== 'string' && (
            <pre>{JSON.stringify(answer.output, null, 2)}</pre>
          )}
          <p className="muted">
            {answer.usage.input_tokens} tokens in / {answer.usage.output_tokens} out · {duration(answer.ms)} ·{' '}
            <a href={href(['traces', answer.id])}>trace</a>
          </p>
        </div>
      )}
    </form>
  );
}

/** The playground. Query: task. */
export function PlaygroundPage({ query: route }: { query: URLSearchParams }) {
  const me = useSession();
  const tasks = useApi<{ data: TaskSummary[] }>('/v1/tasks');
  const task = route.get('task') ?? undefined;
  if (!can(me, 'run'))
    return (
      <>
        <h1>Playground</h1>
        <p className="muted">
          This key has no run scope: the playground needs one (promptune keys create --scopes read,run).
        </p>
      </>
    );
  if (tasks.error) return <ErrorBox error={tasks.error} />;
  if (!tasks.data) return <Loading />;
  return (
    <>
      <h1>Playground</h1>
      <div className="toolbar">
        <select
          value={task ?? ''}
          aria-label="task"
          onChange={(event) => navigate(['playground'], { task: event.target.value || undefined })}
        >
          <option value="">choose a task…</option>
          {tasks.data.data.map((entry) => (
            <option key={entry.name}>{entry.name}</option>
          ))}
        </select>
      </div>
      {tasks.data.data.length === 0 ? (
        <Empty title="The registry has no tasks yet">
          <p>
            Register a task's prompt to try it here:{' '}
            <code>npx promptune registry push --task examples/name.yaml</code>.
          </p>
        </Empty>
      ) : task ? (
        <Runner key={task} task={task} />
      ) : (
        <p className="muted" data-testid="playground-hint">
          Choose a task: run any of its versions (a label, a number, the latest) on an input you type, and see
          the output, its tokens and time, and the trace it left.
        </p>
      )}
    </>
  );
}
