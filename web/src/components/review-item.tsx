// What the review screen shows of an item: its input fields, what it was queued with (the trace's
// latency, label and checks, or the context an item added by hand carries) and the prompt version that
// answered it. Read-only panels: deciding is the page's, past decisions are similar-decisions.tsx's.
import type { ReactNode } from 'react';
import { Status } from './feedback';
import { dollars, duration, shortId, text, time } from '../format';
import { href } from '../router';
import { can, useSession } from '../session';
import type { ReviewItemView } from '../types';

/** An item's input as named fields: a plain string is the one field `input`. */
export function inputFields(input: unknown): [string, string][] {
  if (input !== null && typeof input === 'object' && !Array.isArray(input))
    return Object.entries(input as Record<string, unknown>).map(([name, value]) => [name, text(value)]);
  return [['input', text(input)]];
}

/** The item's input, field by field (a lone field without its name). */
export function ItemInput({ input }: { input: unknown }) {
  const fields = inputFields(input);
  return (
    <section className="panel" data-testid="review-input">
      <h2>Input</h2>
      {fields.map(([name, value]) => (
        <div key={name} className="prompt-part">
          {fields.length > 1 && <h3>{name}</h3>}
          <pre className="prose">{value || '–'}</pre>
        </div>
      ))}
    </section>
  );
}

/** Output checks as pass/fail tags when they are a list of named results, else as JSON. */
function Checks({ checks }: { checks: unknown }) {
  const named = Array.isArray(checks)
    ? (checks as Record<string, unknown>[]).filter(
        (check) => check !== null && typeof check === 'object' && typeof check.passed === 'boolean',
      )
    : [];
  if (Array.isArray(checks) && named.length === checks.length)
    return (
      <>
        {named.map((check, index) => (
          <span key={index} className="check">
            {text(check.validator ?? check.name ?? `check ${index + 1}`)}{' '}
            <Status value={check.passed ? 'pass' : 'fail'} />
          </span>
        ))}
      </>
    );
  return <code>{JSON.stringify(checks)}</code>;
}

/** A term and its description, left out when there is nothing to say. */
function Entry({ term, children }: { term: string; children: ReactNode }) {
  if (children === null || children === undefined || children === '') return null;
  return (
    <>
      <dt>{term}</dt>
      <dd>{children}</dd>
    </>
  );
}

// context fields shown by name, or in the version panel
const knownContext = new Set([
  'version',
  'label',
  'checks',
  'at',
  'run',
  'reference',
  'score',
  'finishReason',
]);

/** The trace the item came from, or the context it was added with. */
export function TracePanel({ view }: { view: ReviewItemView }) {
  const me = useSession();
  const { item, trace } = view;
  const context = item.context;
  const checks = trace?.checks ?? context.checks;
  const label = trace?.label ?? context.label;
  // the trace's own confidence is shown above: the item's copy of it is not repeated
  const extra = Object.entries(context).filter(
    ([name]) => !knownContext.has(name) && !(trace && name === 'confidence'),
  );
  return (
    <section className="panel" data-testid="review-trace">
      <h2>
        Trace{' '}
        {trace && can(me, 'read') && (
          <a className="small-title" href={href(['traces', trace.id])}>
            <code>{shortId(trace.id)}</code>
          </a>
        )}
      </h2>
      {!trace && (
        <p className="muted">
          {item.traceId?.startsWith('run:')
            ? 'From an evaluation run: no trace.'
            : item.traceId
              ? 'The trace is gone (retention).'
              : 'Added by hand: no trace.'}
        </p>
      )}
      <dl className="lineage">
        {trace && (
          <>
            <Entry term="when">{time(trace.at)}</Entry>
            <Entry term="latency">
              {duration(trace.latencyMs)}
              {trace.firstTokenMs !== null && ` (first token ${duration(trace.firstTokenMs)})`}
            </Entry>
            <Entry term="tokens">
              {trace.inputTokens} in / {trace.outputTokens} out · {dollars(trace.cost)}
            </Entry>
            <Entry term="model">{trace.model}</Entry>
            <Entry term="confidence">
              {trace.confidence !== null && trace.confidence !== undefined
                ? `margin ${trace.confidence.toFixed(2)} nats`
                : null}
            </Entry>
            <Entry term="error">{trace.errorCode && <code>{trace.errorCode}</code>}</Entry>
          </>
        )}
        <Entry term="version">
          {(trace?.version ?? context.version) ? (
            <code>{shortId(text(trace?.version ?? context.version))}</code>
          ) : null}
        </Entry>
        <Entry term="label">{label ? <span className="tag">{text(label)}</span> : null}</Entry>
        <Entry term="checks">{checks ? <Checks checks={checks} /> : null}</Entry>
        <Entry term="run">{context.run ? <code>{text(context.run)}</code> : null}</Entry>
        <Entry term="reference">{context.reference !== undefined ? text(context.reference) : null}</Entry>
        <Entry term="score">{typeof context.score === 'number' ? context.score.toFixed(3) : null}</Entry>
        {extra.map(([name, value]) => (
          <Entry key={name} term={name}>
            {text(value)}
          </Entry>
        ))}
      </dl>
    </section>
  );
}

/** The prompt version that answered: its number and kind, and a hard prompt's system text and template. */
export function VersionPanel({ view }: { view: ReviewItemView }) {
  const { version } = view;
  if (!version)
    return (
      <section className="panel" data-testid="review-version">
        <h2>Prompt version</h2>
        <p className="muted">No version recorded with this item.</p>
      </section>
    );
  const content = version.content;
  return (
    <section className="panel" data-testid="review-version">
      <h2>
        Prompt version {version.number} <span className="tag">{version.kind}</span>
      </h2>
      <p className="muted">
        {version.message} · <code>{shortId(version.id)}</code>
      </p>
      {version.kind === 'hard' ? (
        <>
          {Boolean(content.system) && (
            <div className="prompt-part">
              <h3>system</h3>
              <pre>{text(content.system)}</pre>
            </div>
          )}
          <div className="prompt-part">
            <h3>template</h3>
            <pre>{text(content.template) || '–'}</pre>
          </div>
        </>
      ) : (
        <p className="muted">A soft prompt: trained virtual tokens, not text.</p>
      )}
    </section>
  );
}
