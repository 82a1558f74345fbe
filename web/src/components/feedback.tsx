// What a page shows while loading, on failure, and when there is nothing yet.
import type { ReactNode } from 'react';
import type { ApiError } from '../api';

/** A failed request: the message, the code and the hint. */
export function ErrorBox({ error }: { error: ApiError | Error }) {
  const coded = error as ApiError;
  // the service ends a message with its hint in brackets (for OpenAI clients); shown once, below it
  const suffix = coded.hint ? ` (${coded.hint})` : '';
  const message =
    suffix && error.message.endsWith(suffix) ? error.message.slice(0, -suffix.length) : error.message;
  return (
    <div className="error" role="alert">
      <strong>{message}</strong>
      {coded.code && <code className="code">{coded.code}</code>}
      {coded.hint && <p>{coded.hint}</p>}
    </div>
  );
}

/** A quiet loading line. */
export function Loading() {
  return <p className="muted">Loading…</p>;
}

/** Nothing here yet, and what to do about it. */
export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <h3>{title}</h3>
      {children}
    </div>
  );
}

/** A run's or check's state as a coloured tag (`tone`: the colour of another state, e.g. error for a 404). */
export function Status({ value, tone = value }: { value: string; tone?: string }) {
  return <span className={`status status-${tone}`}>{value}</span>;
}
