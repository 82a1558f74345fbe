// One trace: the request and response, tokens, latency and cost, the guards' verdicts and scores.
import { ErrorBox, Loading, Status } from '../components/feedback';
import { TraceChecks } from '../components/trace-checks';
import { dollars, duration, shortId, text, time } from '../format';
import { href } from '../router';
import { traceStatus } from '../trace-text';
import type { Trace } from '../types';
import { useApi } from '../use-api';
import { useVersionNames } from '../version-names';

/** A trace with its scores. */
export function TracePage({ id }: { id: string }) {
  const trace = useApi<Trace>(`/v1/traces/${encodeURIComponent(id)}`);
  const version = useVersionNames(trace.data ? [trace.data] : []);
  if (trace.error) return <ErrorBox error={trace.error} />;
  if (!trace.data) return <Loading />;
  const value = trace.data;
  return (
    <>
      <h1>
        Trace <code>{value.id}</code> <Status {...traceStatus(value)} />
      </h1>
      <dl className="lineage">
        <dt>when</dt>
        <dd>{time(value.at)}</dd>
        <dt>task</dt>
        <dd>
          {value.task ? (
            <a href={href(['tasks', value.task])}>{value.task}</a>
          ) : value.model ? (
            <>
              {value.model}{' '}
              <span className="muted">(asked for; the request ended before it was resolved)</span>
            </>
          ) : (
            '–'
          )}
        </dd>
        <dt>version</dt>
        <dd>
          {value.task && value.version ? (
            <a href={href(['tasks', value.task], { v: value.version })} title={value.version}>
              <code>{version(value.task, value.version)}</code>
            </a>
          ) : (
            <code>{shortId(value.version)}</code>
          )}{' '}
          {value.label && <span className="tag">{value.label}</span>}
        </dd>
        <dt>operation</dt>
        <dd>
          {value.operation} ({value.source}) {value.finishReason && `· finished: ${value.finishReason}`}
        </dd>
        <dt>tokens</dt>
        <dd>
          {value.inputTokens} in / {value.outputTokens} out · {dollars(value.cost)}
        </dd>
        <dt>latency</dt>
        <dd>
          {duration(value.latencyMs)}
          {value.firstTokenMs !== null && ` (first token ${duration(value.firstTokenMs)})`}
        </dd>
        {value.confidence !== null && (
          <>
            <dt>confidence</dt>
            <dd title="The engine's first-token log-probability margin over the runner-up">
              margin {value.confidence.toFixed(2)} nats
            </dd>
          </>
        )}
        {value.sampling && (
          <>
            <dt>sampling</dt>
            <dd
              data-testid="trace-sampling"
              title="Sent again with the same input to the same version, these give the same answer"
            >
              temperature {value.sampling.temperature}
              {value.sampling.topP !== null && ` · top_p ${value.sampling.topP}`}
              {value.sampling.topK !== null && ` · top_k ${value.sampling.topK}`} · max_tokens{' '}
              {value.sampling.maxTokens} · seed <code>{value.sampling.seed}</code>
            </dd>
          </>
        )}
        {value.errorCode && (
          <>
            <dt>error</dt>
            <dd>
              <code className="error-code">{value.errorCode}</code>
              {value.errorMessage && <> {value.errorMessage}</>}
            </dd>
          </>
        )}
        {value.user && (
          <>
            <dt>user</dt>
            <dd>{value.user}</dd>
          </>
        )}
        {value.keyId && (
          <>
            <dt>key</dt>
            <dd title="The API key that sent the request (promptune keys ls names it)">
              <code>{value.keyId}</code>
            </dd>
          </>
        )}
      </dl>
      <div className="columns">
        <section className="panel">
          <h2>Input</h2>
          <pre>
            {value.input === null
              ? '– (not read: the request was refused before its input was)'
              : typeof value.input === 'string'
                ? value.input
                : JSON.stringify(value.input, null, 2)}
          </pre>
        </section>
        <section className="panel">
          <h2>Output</h2>
          <pre>{value.output ?? (value.errorCode ? `– (none: ${value.errorCode})` : '–')}</pre>
        </section>
      </div>
      {Boolean(value.checks) && (
        <section className="panel">
          <h2>Checks</h2>
          <TraceChecks checks={value.checks} task={value.task} />
        </section>
      )}
      <section className="panel">
        <h2>Scores</h2>
        {value.scores?.length ? (
          <table className="grid">
            <tbody>
              {value.scores.map((entry, index) => (
                <tr key={index}>
                  <td>{entry.name}</td>
                  <td>{entry.category ?? text(entry.value)}</td>
                  <td className="muted">{entry.source}</td>
                  <td className="muted">{entry.comment}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p className="muted">No scores (send feedback with POST /v1/feedback).</p>
        )}
      </section>
    </>
  );
}
