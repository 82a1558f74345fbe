// A run set aside by an admin: who retired it and why (no audit policy counts it). An admin sees, on an
// ended audit not yet retired, a form to retire it with a reason.
import { useState } from 'react';
import { api, ApiError } from '../api';
import { time } from '../format';
import { can, useSession } from '../session';
import type { Run } from '../types';
import { ErrorBox } from './feedback';

/** The retirement notice, or (admins, ended audits) the form that retires the run. */
export function RunRetirement({ run, reload }: { run: Run; reload: () => void }) {
  const admin = can(useSession(), 'admin');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<ApiError>();
  if (run.retired)
    return (
      <div className="retired" data-testid="run-retired">
        Retired by {run.retired.actor} at {time(run.retired.at)}: {run.retired.reason}. No audit policy counts
        it.
      </div>
    );
  if (!admin || run.kind !== 'audit' || run.status === 'running') return null;
  return (
    <form
      className="inline"
      data-testid="retire-run"
      onSubmit={(event) => {
        event.preventDefault();
        api(`/v1/runs/${encodeURIComponent(run.id)}/retire`, { method: 'POST', body: { reason } }).then(
          () => {
            setError(undefined);
            reload();
          },
          (caught: unknown) => setError(caught as ApiError),
        );
      }}
    >
      <input
        placeholder="why this audit should no longer count"
        value={reason}
        onChange={(event) => setReason(event.target.value)}
        aria-label="reason to retire"
      />
      <button type="submit" disabled={reason.trim() === ''}>
        Retire this audit
      </button>
      {error && <ErrorBox error={error} />}
    </form>
  );
}
