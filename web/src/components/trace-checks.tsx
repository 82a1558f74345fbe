// A trace's guard verdicts as a table people read: each validator on the input or the output (and on
// each re-asked answer), whether it passed, its policy and what the policy did, and why it failed. The
// trace's `guard.<validator>` scores are the final verdicts: 1 when what was sent passed, or was fixed.
import { Status } from './feedback';

interface Verdict {
  validator: string;
  kind?: string;
  stage?: 'input' | 'output';
  attempt?: number;
  passed?: boolean;
  policy?: string;
  action?: string;
  issues?: { reason?: string }[];
  latencyMs?: number;
}

/** What each policy's action did, in words. */
const done: Record<string, string> = {
  none: '–',
  recorded: 'recorded only',
  fixed: 'repaired before it was sent',
  filtered: 'the offending part was dropped',
  refrained: 'answered with the refrain text instead',
  refused: 'refused the request (an error)',
  reask: 'asked the model again',
  exhausted: 'stood failing: the re-asks ran out',
  unrepaired: 'stood failing: no repair, no re-ask allowed',
};

/** The verdicts table, or the raw value when it is not a list of verdicts (a trace of another release). */
export function TraceChecks({ checks }: { checks: unknown }) {
  if (!Array.isArray(checks)) return <pre>{JSON.stringify(checks, null, 2)}</pre>;
  const verdicts = checks as Verdict[];
  return (
    <>
      <table className="grid" data-testid="trace-checks">
        <thead>
          <tr>
            <th>stage</th>
            <th>validator</th>
            <th>answer</th>
            <th>verdict</th>
            <th>policy</th>
            <th>what it did</th>
            <th>why</th>
            <th className="number">ms</th>
          </tr>
        </thead>
        <tbody>
          {verdicts.map((verdict, index) => (
            <tr key={index}>
              <td>{verdict.stage ?? '–'}</td>
              <td>
                {verdict.validator}
                {verdict.kind && verdict.kind !== verdict.validator && (
                  <span className="muted"> ({verdict.kind})</span>
                )}
              </td>
              <td>
                {verdict.stage === 'output' ? (verdict.attempt ? `re-ask ${verdict.attempt}` : 'first') : '–'}
              </td>
              <td>
                <Status
                  value={verdict.passed ? 'passed' : 'failed'}
                  tone={verdict.passed ? 'pass' : 'fail'}
                />
              </td>
              <td>{verdict.policy ?? '–'}</td>
              <td>{verdict.passed ? '–' : (done[verdict.action ?? ''] ?? verdict.action ?? '–')}</td>
              <td className="reason">
                {(verdict.issues ?? []).map((issue) => issue.reason).join('; ') || '–'}
              </td>
              <td className="number">
                {verdict.latencyMs === undefined ? '–' : verdict.latencyMs.toFixed(1)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted">
        The scores guard.&lt;validator&gt; below are the final verdicts: 1 when what was sent passed that
        validator, or was repaired or filtered until it did; 0 when it did not.
      </p>
    </>
  );
}
