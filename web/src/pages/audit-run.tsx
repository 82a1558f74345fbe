// An audit run on the dashboard, by the audit it ran. Bias (here): the verdict, each group's score with
// its interval, the flip rates and the flipped examples side by side. Sensitivity and variability:
// audit-spread.tsx. Explanations: audit-explain.tsx. The summaries mirror src/audit's types
// (audit-types.ts).
import { query } from '../api';
import { IntervalBars } from '../components/interval-bars';
import { ErrorBox, Loading } from '../components/feedback';
import { excerpt, score } from '../format';
import type { Page, Run, RunEntry } from '../types';
import { useApi } from '../use-api';
import { HardExplanation, SoftExplanation } from './audit-explain';
import { Sensitivity, Variability } from './audit-spread';
import type {
  BiasSummary,
  FlippedExample,
  HardSummary,
  SensitivitySummary,
  SoftSummary,
  VariabilitySummary,
} from './audit-types';
import '../audit.css';

function Flipped({ run, groups }: { run: Run; groups: string[] }) {
  const entries = useApi<Page<RunEntry>>(
    `/v1/runs/${run.id}/entries${query({ kind: 'example', limit: 50 })}`,
  );
  if (entries.error) return <ErrorBox error={entries.error} />;
  if (!entries.data) return <Loading />;
  if (entries.data.data.length === 0) return <p className="muted">No example was answered differently.</p>;
  return (
    <table className="grid" data-testid="flipped-examples">
      <thead>
        <tr>
          <th>line</th>
          {groups.map((group) => (
            <th key={group}>{group}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {entries.data.data.map((entry) => {
          const example = entry.data as unknown as FlippedExample;
          return (
            <tr key={entry.position}>
              <td>{example.line}</td>
              {example.answers.map((answer) => (
                <td key={answer.group}>
                  <div className="muted">{excerpt(Object.values(answer.input).join(' | '), 220)}</div>
                  <div className={`audit-answer ${answer.score >= 1 ? 'right' : 'wrong'}`}>
                    {answer.score >= 1 ? '✓' : '✗'} <code>{JSON.stringify(answer.output)}</code>
                  </div>
                  {answer.readAs !== undefined && (
                    <div className="muted">
                      in the original&apos;s terms: <code>{JSON.stringify(answer.readAs)}</code>
                    </div>
                  )}
                </td>
              ))}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function Bias({ run, summary }: { run: Run; summary: BiasSummary }) {
  const { gap } = summary;
  // the task's policy's limit, recorded with the audit (5% when it set none), on the rate or on its
  // interval's upper end, as the policy said
  const limit = summary.maxFlipRate ?? 0.05;
  const upper = summary.flipRateBound === 'upper';
  const flipsMany = (upper ? (summary.flipInterval?.[1] ?? 1) : summary.flipRate) > limit;
  // too few examples for a gap under 0.1 (or any) to have been significant: not a reassuring "no"
  const underpowered =
    !gap.significant &&
    (gap.smallestSignificant === null ||
      (gap.smallestSignificant !== undefined && gap.smallestSignificant > 0.1));
  return (
    <>
      <p
        className={`verdict ${gap.significant ? 'flag' : underpowered ? 'unsure' : 'ok'}`}
        data-testid="audit-verdict"
      >
        {gap.significant
          ? 'Significant gap'
          : gap.smallestSignificant === null
            ? 'Too few examples to tell'
            : 'No significant gap'}
        : {gap.between[0]} − {gap.between[1]} = {score(gap.difference)} (p{' '}
        {gap.pValue < 0.0001 ? '< 0.0001' : `= ${gap.pValue.toFixed(4)}`})
        {/* a "no" from an audit too small to say yes */}
        {!gap.significant && gap.smallestSignificant === null && (
          <> (no gap can be significant on {summary.audited} examples: audit more)</>
        )}
        {!gap.significant && gap.smallestSignificant != null && gap.smallestSignificant > 0.1 && (
          <>
            {' '}
            (on {summary.audited} examples only a gap of {score(gap.smallestSignificant)} or more could be:
            audit more to see smaller ones)
          </>
        )}
      </p>
      {/* the answers may change with the attribute although the groups score alike */}
      <p className={`verdict ${flipsMany ? 'flag' : 'ok'}`} data-testid="audit-flips">
        Flip rate {(summary.flipRate * 100).toFixed(1)}%
        {summary.flipInterval &&
          ` (95% interval ${(summary.flipInterval[0] * 100).toFixed(1)}–${(summary.flipInterval[1] * 100).toFixed(1)}%)`}
        : {flipsMany ? 'answers change' : 'answers seldom change'} with the attribute alone (of{' '}
        {summary.audited} examples;{' '}
        {summary.maxFlipRate === undefined
          ? 'above 5% is flagged: the spec it ran with sets no limit, and a task’s audit policy applies when a label moves'
          : `${upper ? 'an interval reaching above' : 'above'} ${+(limit * 100).toFixed(2)}% is flagged, the audit policy of the spec it ran with`}
        )
      </p>
      <IntervalBars
        label="score per group with 95% intervals"
        rows={summary.groups.map((group) => ({
          ...group,
          flagged: gap.significant && group.name === gap.between[1],
        }))}
      />
      <table className="grid">
        <tbody>
          <tr>
            <th>flip rate</th>
            <td>
              {score(summary.flipRate)}
              {summary.flipInterval &&
                ` [${score(summary.flipInterval[0])}, ${score(summary.flipInterval[1])}]`}{' '}
              of {summary.audited} examples answered differently with the attribute swapped; right for one
              group and wrong for another: {score(summary.scoreFlipRate)}
            </td>
          </tr>
          <tr>
            <th>ratio worst / best</th>
            <td>{score(gap.ratio)}</td>
          </tr>
          <tr>
            <th>examples</th>
            <td>
              {summary.audited} rewritten for every group, {summary.skipped} left out
            </td>
          </tr>
          <tr>
            <th>attribute sets</th>
            <td>
              {summary.sets.map((set) => (
                <div key={set.name}>
                  <b>{set.name}</b> <span className="muted">{set.source}</span>
                </div>
              ))}
            </td>
          </tr>
        </tbody>
      </table>
      <h2>Flipped examples</h2>
      <Flipped run={run} groups={summary.groups.map((group) => group.name)} />
    </>
  );
}

const fields: Record<string, string[]> = {
  bias: ['groups', 'gap', 'flipRate', 'scoreFlipRate', 'sets'],
  sensitivity: ['original', 'variants', 'spread', 'families'],
  variability: ['score', 'agreement', 'modalAgreement', 'passK', 'leastStable', 'distinctAnswers'],
  explain: ['kind', 'original', 'n'],
};

/** The view of an audit run, by the audit it ran. */
export function AuditRun({ run }: { run: Run }) {
  const summary = run.summary as unknown;
  if (!summary) return null;
  const needed = fields[String(run.config.audit)];
  if (!needed?.every((field) => run.summary?.[field] !== undefined))
    return (
      <p className="muted">This audit’s summary is not one the dashboard reads; see its configuration.</p>
    );
  switch (run.config.audit) {
    case 'bias':
      return <Bias run={run} summary={summary as BiasSummary} />;
    case 'sensitivity':
      return <Sensitivity summary={summary as SensitivitySummary} />;
    case 'variability':
      return <Variability summary={summary as VariabilitySummary} />;
    case 'explain':
      return (summary as SoftSummary | HardSummary).kind === 'soft' ? (
        <SoftExplanation summary={summary as SoftSummary} />
      ) : (
        <HardExplanation summary={summary as HardSummary} />
      );
    default:
      return null;
  }
}
