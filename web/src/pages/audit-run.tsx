// An audit run on the dashboard. Bias: the verdict, each group's score with its interval, the flip
// rates and the flipped examples side by side. Sensitivity: the spread with its interval, the original
// and every variant as bars, each family's spread. Variability: agreement, pass^k against pass@k, the
// least stable inputs. Explanations: a soft prompt's virtual tokens (nearest tokens, ablations) and
// input saliency; a hard prompt's parts, most needed first. The summaries mirror src/audit's types.
import { query } from '../api';
import { IntervalBars, type IntervalRow } from '../components/interval-bars';
import { ErrorBox, Loading } from '../components/feedback';
import { excerpt, score } from '../format';
import type { Page, Run, RunEntry } from '../types';
import { useApi } from '../use-api';
import '../audit.css';

type Interval = [number, number];
interface Estimate {
  value: number;
  interval: Interval;
}
interface BiasSummary {
  groups: { name: string; score: number; interval: Interval; n: number }[];
  gap: {
    between: [string, string];
    difference: number;
    ratio: number | null;
    pValue: number;
    significant: boolean;
  };
  flipRate: number;
  scoreFlipRate: number;
  audited: number;
  skipped: number;
  sets: { name: string; source: string }[];
}
interface FlippedExample {
  line: number;
  answers: { group: string; input: Record<string, unknown>; output: string; score: number }[];
}
interface Spread {
  min: Estimate;
  max: Estimate;
  range: Estimate;
  standardDeviation: Estimate;
}
interface VariantScore {
  family: string;
  name: string;
  score: number;
  interval: Interval;
  drop: number | null;
  template?: string;
}
interface SensitivitySummary {
  n: number;
  original: VariantScore;
  variants: VariantScore[];
  spread: Spread;
  families: Record<string, Spread & { count: number; meanDrop: number | null }>;
}
interface VariabilitySummary {
  n: number;
  repeats: number;
  temperature: number;
  score: Estimate;
  agreement: Estimate;
  modalAgreement: Estimate;
  distinctAnswers: Record<string, number>;
  passK: { k: number; passAll: Estimate; passAny: Estimate }[];
  leastStable: { line: number; answers: { answer: string; count: number }[] }[];
}
interface Ablation {
  exactMatch: number;
  effect: number;
  interval: Interval;
  lossEffect: number;
}
interface SoftSummary {
  kind: 'soft';
  n: number;
  virtualTokens: number;
  original: { exactMatch: number; loss: number };
  tokens: {
    position: number;
    norm: number;
    cosine: { text: string; cosine: number }[];
    l2: { text: string; distance: number }[];
    zeroed: Ablation;
    removed: Ablation;
  }[];
  saliency: { example: number; promptShare: number; tokens: { text: string; saliency: number }[] }[];
}
interface HardSummary {
  kind: 'hard';
  n: number;
  original: { score: number; interval: Interval };
  parts: { kind: string; text: string; score: number; effect: number; interval: Interval; pValue: number }[];
}

const signed = (value: number) => `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(3)}`;
const range = ([low, high]: Interval) => `[${low.toFixed(3)}, ${high.toFixed(3)}]`;
const percent = (value: number | null) => (value === null ? '–' : `${(value * 100).toFixed(1)}%`);

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
  return (
    <>
      <p className={`verdict ${gap.significant ? 'flag' : 'ok'}`} data-testid="audit-verdict">
        {gap.significant ? 'Significant gap' : 'No significant gap'}: {gap.between[0]} − {gap.between[1]} ={' '}
        {score(gap.difference)} (p = {gap.pValue.toFixed(4)})
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
              {score(summary.flipRate)} of {summary.audited} examples answered differently with the attribute
              swapped; right for one group and wrong for another: {score(summary.scoreFlipRate)}
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

function Sensitivity({ summary }: { summary: SensitivitySummary }) {
  const rows: IntervalRow[] = [
    { name: 'original', score: summary.original.score, interval: summary.original.interval },
    ...summary.variants.map((variant, index) => ({
      name: `${variant.family}: ${variant.name}`,
      score: variant.score,
      interval: variant.interval,
      flagged: index === 0,
    })),
  ];
  return (
    <>
      <p className="verdict" data-testid="audit-verdict">
        Score spread {score(summary.spread.range.value)} {range(summary.spread.range.interval)}: from{' '}
        {score(summary.spread.min.value)} to {score(summary.spread.max.value)} (original{' '}
        {score(summary.original.score)}, n {summary.n})
      </p>
      <IntervalBars label="score of the original and each variant" rows={rows} />
      <table className="grid">
        <thead>
          <tr>
            <th>family</th>
            <th>variants</th>
            <th>range</th>
            <th>standard deviation</th>
            <th>mean drop</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(summary.families).map(([family, spread]) => (
            <tr key={family}>
              <td>{family}</td>
              <td>{spread.count}</td>
              <td>
                {score(spread.range.value)} <span className="muted">{range(spread.range.interval)}</span>
              </td>
              <td>
                {score(spread.standardDeviation.value)}{' '}
                <span className="muted">{range(spread.standardDeviation.interval)}</span>
              </td>
              <td>{percent(spread.meanDrop)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function Variability({ summary }: { summary: VariabilitySummary }) {
  return (
    <>
      <p className="verdict" data-testid="audit-verdict">
        Two answers to the same input agree {percent(summary.agreement.value)} of the time ({summary.repeats}{' '}
        answers per input at temperature {summary.temperature}, n {summary.n})
      </p>
      <IntervalBars
        label="pass^k and pass@k with 95% intervals"
        rows={summary.passK.flatMap(({ k, passAll, passAny }) => [
          { name: `pass^${k}: all ${k} right`, score: passAll.value, interval: passAll.interval },
          { name: `pass@${k}: any of ${k} right`, score: passAny.value, interval: passAny.interval },
        ])}
      />
      <p>
        Inputs by distinct answers:{' '}
        {Object.entries(summary.distinctAnswers)
          .map(([distinct, count]) => `${distinct}: ${count}`)
          .join(' · ')}
        ; the most common answer is {percent(summary.modalAgreement.value)} of an input’s answers.
      </p>
      {summary.leastStable.length > 0 && (
        <table className="grid">
          <thead>
            <tr>
              <th>line</th>
              <th>answers</th>
            </tr>
          </thead>
          <tbody>
            {summary.leastStable.map((each) => (
              <tr key={each.line}>
                <td>{each.line}</td>
                <td>
                  {each.answers.map((answer) => (
                    <span key={answer.answer} className="near-token">
                      {JSON.stringify(answer.answer)} × {answer.count}
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

const ablation = (value: Ablation) => (
  <>
    {score(value.exactMatch)}{' '}
    <span className="muted">
      ({signed(value.effect)} {range(value.interval)})
    </span>
  </>
);

function SoftExplanation({ summary }: { summary: SoftSummary }) {
  return (
    <>
      <p className="verdict" data-testid="audit-verdict">
        {summary.virtualTokens} virtual tokens · exact match {score(summary.original.exactMatch)} · loss{' '}
        {score(summary.original.loss)} on {summary.n} examples
      </p>
      <table className="grid" data-testid="virtual-tokens">
        <thead>
          <tr>
            <th>#</th>
            <th>nearest by cosine</th>
            <th>nearest by distance</th>
            <th>zeroed</th>
            <th>removed</th>
          </tr>
        </thead>
        <tbody>
          {summary.tokens.map((token) => (
            <tr key={token.position}>
              <td>{token.position + 1}</td>
              <td>
                {token.cosine.slice(0, 3).map((near, index) => (
                  <span key={index} className="near-token" title={`cosine ${near.cosine.toFixed(3)}`}>
                    {JSON.stringify(near.text)} {near.cosine.toFixed(2)}
                  </span>
                ))}
              </td>
              <td>
                {token.l2.slice(0, 3).map((near, index) => (
                  <span key={index} className="near-token" title={`distance ${near.distance.toFixed(3)}`}>
                    {JSON.stringify(near.text)} {near.distance.toFixed(1)}
                  </span>
                ))}
              </td>
              <td>{ablation(token.zeroed)}</td>
              <td>{ablation(token.removed)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Input saliency</h2>
      <p className="muted">Gradient × input of the loss on the target; darker tokens weigh more.</p>
      {summary.saliency.map((each) => (
        <div key={each.example} className="panel">
          <div className="muted">
            example {each.example + 1} · {percent(each.promptShare)} of the saliency on the soft prompt
          </div>
          <div className="saliency-text">
            {each.tokens.map((token, index) => (
              <span
                key={index}
                title={token.saliency.toFixed(3)}
                style={{ background: `rgba(250, 82, 82, ${Math.min(1, token.saliency * 5).toFixed(2)})` }}
              >
                {token.text}
              </span>
            ))}
          </div>
        </div>
      ))}
    </>
  );
}

function HardExplanation({ summary }: { summary: HardSummary }) {
  return (
    <>
      <p className="verdict" data-testid="audit-verdict">
        Score {score(summary.original.score)} with the whole prompt (n {summary.n}); without each part, most
        needed first
      </p>
      <IntervalBars
        label="score without each part of the prompt"
        rows={[
          { name: 'whole prompt', score: summary.original.score, interval: summary.original.interval },
          ...summary.parts.map((part) => ({
            name: `without ${part.kind}: ${part.text}`,
            score: part.score,
            interval: [
              summary.original.score + part.interval[0],
              summary.original.score + part.interval[1],
            ] as Interval,
            flagged: part.pValue < 0.05 && part.effect < 0,
          })),
        ]}
      />
      <table className="grid">
        <thead>
          <tr>
            <th>part</th>
            <th>text</th>
            <th>effect of removing it</th>
          </tr>
        </thead>
        <tbody>
          {summary.parts.map((part, index) => (
            <tr key={index}>
              <td>{part.kind}</td>
              <td>
                <code>{excerpt(part.text, 200)}</code>
              </td>
              <td>
                {signed(part.effect)}{' '}
                <span className="muted">
                  {range(part.interval)}, p {part.pValue.toFixed(4)}
                </span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

/** The fields each view reads from a run's summary (as the service's report checks them). */
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
