// How far a queue's reviewers agree: on the answer (what each decision says the output should be), on
// the decision (approve, correct, reject; skips are no rating) and on each rubric item, as Cohen's
// kappa for two reviewers or Krippendorff's alpha otherwise, with the 95% interval and why a statistic
// is missing; and each reviewer's decisions by kind. The service computes every number; the page only
// reads them (the words for a value are the usual rules of thumb). An admin also gets the queue's feed
// and its corrections-to-dataset action (components/queue-admin.tsx).
import { ErrorBox, Loading } from '../components/feedback';
import { QueueAdmin } from '../components/queue-admin';
import { score } from '../format';
import { href } from '../router';
import type { AgreementEstimate, QueueAgreement, ReviewDecisionKind, ReviewQueue } from '../types';
import { can, useSession } from '../session';
import { useApi } from '../use-api';

const statisticNames: Record<AgreementEstimate['statistic'], string> = {
  'cohen-kappa': 'Cohen’s κ',
  'krippendorff-alpha': 'Krippendorff’s α',
};

/** A rule-of-thumb reading of a value: Landis and Koch for kappa, Krippendorff's cut-offs for alpha. */
export function reading(estimate: AgreementEstimate): string {
  const value = estimate.value;
  if (value === null) return '';
  if (estimate.statistic === 'krippendorff-alpha')
    return value >= 0.8 ? 'reliable' : value >= 0.667 ? 'tentative' : 'unreliable';
  if (value <= 0) return 'no better than chance';
  return value <= 0.2
    ? 'slight'
    : value <= 0.4
      ? 'fair'
      : value <= 0.6
        ? 'moderate'
        : value <= 0.8
          ? 'substantial'
          : 'almost perfect';
}

function EstimateRow({ what, kind, estimate }: { what: string; kind: string; estimate: AgreementEstimate }) {
  return (
    <tr>
      <td>
        {what} <span className="muted">{kind}</span>
      </td>
      <td>{statisticNames[estimate.statistic]}</td>
      <td className="number">
        <b>{score(estimate.value)}</b>
      </td>
      <td className="number nowrap">
        {estimate.interval ? `[${score(estimate.interval[0])}, ${score(estimate.interval[1])}]` : '–'}
      </td>
      <td className="number">{estimate.items}</td>
      <td className="number">
        {estimate.observed === undefined || estimate.observed === null
          ? '–'
          : `${(estimate.observed * 100).toFixed(0)}%`}
      </td>
      <td className={estimate.value === null ? 'muted' : undefined}>
        {estimate.reason ?? reading(estimate)}
      </td>
    </tr>
  );
}

const kinds: ReviewDecisionKind[] = ['approve', 'correct', 'reject', 'skip'];

/** The agreement view of queue `name`. */
export function ReviewAgreementPage({ name }: { name: string }) {
  const base = `/v1/review/queues/${encodeURIComponent(name)}`;
  const agreement = useApi<QueueAgreement>(`${base}/agreement`);
  const queue = useApi<ReviewQueue>(base);
  const me = useSession();
  // the items reviewers disagree on, for an admin to settle (reviewers decide blind and never see them)
  const disputes = useApi<{ data: unknown[] }>(can(me, 'admin') ? `${base}/disputes` : null);
  const error = agreement.error ?? queue.error;
  if (error) return <ErrorBox error={error} />;
  if (!agreement.data || !queue.data) return <Loading />;
  const report = agreement.data;
  const reviewers = Object.entries(report.progress.reviewers).sort(([a], [b]) => a.localeCompare(b));
  const rubricKind = (item: string) => {
    const found = queue.data!.rubric.find((each) => each.name === item);
    return found ? `(${found.kind})` : '';
  };
  return (
    <>
      <h1>
        Agreement · {name} <span className="tag">task {queue.data.task}</span>
      </h1>
      <p className="actions">
        <a href={href(['review', name])}>Review this queue</a> · <a href={href(['review'])}>All queues</a>
      </p>
      <div className="cards">
        <div className="card">
          <span>reviewers</span>
          <b>{report.reviewers.length}</b>
          <em>{report.reviewers.join(', ') || 'none yet'}</em>
        </div>
        <div className="card">
          <span>items</span>
          <b>{report.progress.items}</b>
          <em>{report.progress.reviewed} fully reviewed</em>
        </div>
        <div className="card">
          <span>reviewers per item</span>
          <b>{queue.data.reviewsPerItem}</b>
          <em>agreement needs two on an item</em>
        </div>
        {disputes.data && (
          <div className="card" data-testid="disputes">
            <span>disagreements</span>
            <b>{disputes.data.data.length}</b>
            <em>
              {disputes.data.data.length > 0 ? (
                <a href={href(['review', name], { disputes: '1' })}>settle them</a>
              ) : (
                'none held back'
              )}
            </em>
          </div>
        )}
      </div>
      <section className="panel" data-testid="agreement">
        <h2>Agreement</h2>
        <table className="grid">
          <thead>
            <tr>
              <th>On</th>
              <th>Statistic</th>
              <th className="number">Value</th>
              <th className="number">95% interval</th>
              <th className="number">Items</th>
              <th className="number" title="the share of pairs of ratings of one item that are equal">
                Pairs agreeing
              </th>
              <th>Reading</th>
            </tr>
          </thead>
          <tbody>
            {report.answer && (
              <EstimateRow
                what="answer"
                kind="(the output approved, or the correction)"
                estimate={report.answer}
              />
            )}
            <EstimateRow what="decision" kind="(approve, correct, reject)" estimate={report.decision} />
            {Object.entries(report.rubric).map(([item, estimate]) => (
              <EstimateRow key={item} what={item} kind={rubricKind(item)} estimate={estimate} />
            ))}
          </tbody>
        </table>
        <p className="muted">
          Two reviewers get Cohen’s κ, more get Krippendorff’s α (interval for numeric rubric items); the
          interval is a percentile bootstrap over items. Items decided by one reviewer do not count.
        </p>
      </section>
      <section className="panel" data-testid="reviewer-progress">
        <h2>Decisions by reviewer</h2>
        {reviewers.length === 0 ? (
          <p className="muted">No decisions yet.</p>
        ) : (
          <table className="grid">
            <thead>
              <tr>
                <th>Reviewer</th>
                {kinds.map((kind) => (
                  <th key={kind} className="number">
                    {kind}
                  </th>
                ))}
                <th className="number">total</th>
              </tr>
            </thead>
            <tbody>
              {reviewers.map(([reviewer, counts]) => (
                <tr key={reviewer}>
                  <td>{reviewer}</td>
                  {kinds.map((kind) => (
                    <td key={kind} className="number">
                      {counts[kind] ?? 0}
                    </td>
                  ))}
                  <td className="number">
                    {Object.values(counts).reduce((sum, count) => sum + (count ?? 0), 0)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {can(me, 'admin') && (
        <QueueAdmin
          queue={queue.data}
          onChanged={() => {
            agreement.reload();
            queue.reload();
            disputes.reload();
          }}
        />
      )}
    </>
  );
}
