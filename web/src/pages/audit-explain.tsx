// The views of an explanation: a soft prompt's virtual tokens (nearest vocabulary tokens, what zeroing or
// removing each does) and input saliency shading; a hard prompt's parts, most needed first.
import { IntervalBars } from '../components/interval-bars';
import { excerpt, score } from '../format';
import {
  percent,
  range,
  signed,
  type Ablation,
  type HardSummary,
  type Interval,
  type SoftSummary,
} from './audit-types';

const ablation = (value: Ablation) => (
  <>
    {score(value.exactMatch)}{' '}
    <span className="muted">
      ({signed(value.effect)} {range(value.interval)})
    </span>
  </>
);

/** A soft prompt explained: its virtual tokens read and ablated, and its inputs' saliency. */
export function SoftExplanation({ summary }: { summary: SoftSummary }) {
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

/** A hard prompt explained: the score without each of its parts, most needed first. */
export function HardExplanation({ summary }: { summary: HardSummary }) {
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
