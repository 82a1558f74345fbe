// Past decisions of the queue on inputs like the item's (the service ranks them by word overlap), so a
// reviewer decides alike cases alike: each input's excerpt, who decided what, and their corrections.
// It shows them; it does not copy a past decision onto the item.
import { excerpt } from '../format';
import type { ReviewItemView, SimilarDecision } from '../types';
import { Status } from './feedback';
import { inputFields } from './review-item';

/** An input as one line: a lone field's text, else each field named. */
const inputLine = (input: unknown) => {
  const fields = inputFields(input);
  return fields.length === 1 ? fields[0][1] : fields.map(([name, value]) => `${name}: ${value}`).join(' · ');
};

/** A correction as one line of text (JSON values as JSON). */
const correctionText = (correction: unknown) =>
  typeof correction === 'string' ? correction : JSON.stringify(correction);

/** The similar past decisions of an item, most similar first. */
export function SimilarDecisions({ similar }: { similar: SimilarDecision[] }) {
  return (
    <section className="panel" data-testid="similar-decisions">
      <h2>Similar past decisions</h2>
      {similar.length === 0 ? (
        <p className="muted">
          None yet: no fully reviewed item of this queue shares words with this input (items still open to
          reviewers are not shown, so each decides blind).
        </p>
      ) : (
        <ul className="similar">
          {similar.map((entry) => (
            <li key={entry.item}>
              <div className="similar-input">
                <span className="muted" title="word overlap with this input">
                  {Math.round(entry.similarity * 100)}% alike
                </span>{' '}
                {excerpt(inputLine(entry.input), 180)}
              </div>
              <div className="muted">output: {excerpt(entry.output ?? '–', 120)}</div>
              {entry.decisions.map((decision) => (
                <DecisionLine key={decision.reviewer} decision={decision} length={120} />
              ))}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** The item's own decisions, for an admin settling the reviewers' disagreement on it. */
export function ItemDecisions({ decisions }: { decisions: NonNullable<ReviewItemView['decisions']> }) {
  return (
    <section className="panel" data-testid="item-decisions">
      <h2>What the reviewers decided</h2>
      <p className="muted">
        They disagree: your decision settles the item (it becomes the answer written to the dataset).
      </p>
      {decisions.map((decision) => (
        <DecisionLine key={decision.reviewer} decision={decision} length={200} />
      ))}
    </section>
  );
}

/** One reviewer's decision in a line: its kind, who, the correction cut to `length`, and a comment. */
function DecisionLine({
  decision,
  length,
}: {
  decision: { reviewer: string; decision: string; correction?: unknown; comment?: string };
  length: number;
}) {
  return (
    <div className="similar-decision">
      <Status value={decision.decision} /> <span className="muted">{decision.reviewer}</span>
      {decision.correction !== undefined && decision.correction !== null && (
        <>
          {' '}
          → <q>{excerpt(correctionText(decision.correction), length)}</q>
        </>
      )}
      {decision.comment && <span className="muted"> · {excerpt(decision.comment, 160)}</span>}
    </div>
  );
}
