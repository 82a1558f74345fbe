// The views of a sensitivity audit (how far the score moves over formats, demo orders, paraphrases and
// input noise) and of a variability audit (how far repeated answers to one input agree).
import { IntervalBars, type IntervalRow } from '../components/interval-bars';
import { excerpt, score } from '../format';
import { percent, range, type SensitivitySummary, type VariabilitySummary } from './audit-types';

/** A sensitivity audit: the spread, the original and every variant, each family's spread. */
export function Sensitivity({ summary }: { summary: SensitivitySummary }) {
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

/** A variability audit: agreement, pass^k against pass@k, the least stable inputs. */
export function Variability({ summary }: { summary: VariabilitySummary }) {
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
              <th>input</th>
              <th>target</th>
              <th>answers (times given)</th>
            </tr>
          </thead>
          <tbody>
            {summary.leastStable.map((each) => (
              <tr key={each.line}>
                <td>{each.line}</td>
                <td className="reason">{each.input === undefined ? '–' : excerpt(each.input, 200)}</td>
                <td>{each.target === undefined ? '–' : <span className="near-token">{each.target}</span>}</td>
                <td>
                  {each.answers.map((answer) => (
                    <span key={answer.answer} className="answer-count">
                      {/* as given: a leading space or a line break shows in the shaded box */}
                      <span className="near-token" title={JSON.stringify(answer.answer)}>
                        {answer.answer === '' ? '(empty)' : answer.answer}
                      </span>
                      × {answer.count}
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
