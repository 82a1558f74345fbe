// What a page shows while loading, on failure, and when there is nothing yet.
import type { ReactNode } from 'react';
import type { ApiError } from '../api';

/** A failed request: the message, the code and the hint. */
export function ErrorBox({ error }: { error: ApiError | Error }) {
  const coded = error as ApiError;
  return (
    <div className="error" role="alert">
      <strong>{error.message}</strong>
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

/** A run's or check's state as a coloured tag. */
export function Status({ value }: { value: string }) {
  return <span className={`status status-${value}`}>{value}</span>;
}
