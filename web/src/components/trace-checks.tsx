// A trace's guard verdicts as a table people read: each validator on the input or the output (and on
// each re-asked answer), whether it passed, what its policy did, and why it failed. The trace's
// `guard.<validator>` scores are the final verdicts: 1 when what was sent passed, or was fixed.
import { href } from '../router';
import { Status } from './feedback';

/** A verdict as a trace keeps it (src/guard/check-record.ts). */
interface Verdict {
  validator: string;
  stage?: 'input' | 'output';
  attempt?: number;
  passed?: boolean;
  action?: string;
  reason?: string;
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

/**
 * The verdicts table, or the raw value when it is not a list of verdicts; a failed validator links to
 * the task's other traces it failed on.
 */
export function TraceChecks({ checks, task }: { checks: unknown; task: string | null }) {
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
            <th>what its policy did</th>
            <th>why</th>
          </tr>
        </thead>
        <tbody>
          {verdicts.map((verdict, index) => (
            <tr key={index}>
              <td>{verdict.stage ?? '–'}</td>
              <td>
                {verdict.passed || !task ? (
                  verdict.validator
                ) : (
                  <a
                    href={href(['traces'], { task, guard: verdict.validator })}
                    title={`${task}'s traces where ${verdict.validator} failed`}
                  >
                    {verdict.validator}
                  </a>
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
              <td>{verdict.passed ? '–' : (done[verdict.action ?? ''] ?? verdict.action ?? '–')}</td>
              <td className="reason">{verdict.reason ?? '–'}</td>
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
