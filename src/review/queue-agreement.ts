// A queue's agreement report: how far its reviewers agree on the decision (approve, correct, reject;
// a skip is no rating) and on each rubric item. Two reviewers get Cohen's kappa, more get
// Krippendorff's alpha (nominal for decisions, yes/no and categories; interval for numeric rubric items).
import type { ReviewDecision, ReviewQueue } from '../registry/index.js';
import { cohenKappa, krippendorffAlpha, type AgreementEstimate } from './agreement.js';

/** One statistic of the report, named. */
export type NamedAgreement = AgreementEstimate & { statistic: 'cohen-kappa' | 'krippendorff-alpha' };

/** A queue's agreement report. */
export interface QueueAgreement {
  reviewers: string[];
  decision: NamedAgreement;
  rubric: Record<string, NamedAgreement>;
}

/**
 * The agreement of `decisions` (a queue's, as ReviewStore.decisions gives them). When the queue names its
 * reviewers, only theirs count: an admin's decision that settles a tie is adjudication, not a rating.
 */
export function queueAgreement(queue: ReviewQueue, allDecisions: ReviewDecision[], seed = 0): QueueAgreement {
  const decisions =
    queue.reviewers.length === 0
      ? allDecisions
      : allDecisions.filter((decision) => queue.reviewers.includes(decision.reviewer));
  const reviewers = [...new Set(decisions.map((decision) => decision.reviewer))].sort();
  const items = [...new Set(decisions.map((decision) => decision.item))];
  const byItem = new Map(items.map((item) => [item, new Map<string, ReviewDecision>()]));
  for (const decision of decisions) byItem.get(decision.item)!.set(decision.reviewer, decision);
  const ratings = <T>(read: (decision: ReviewDecision) => T | null): (T | null)[][] =>
    items.map((item) =>
      reviewers.map((reviewer) => {
        const decision = byItem.get(item)!.get(reviewer);
        return decision === undefined || decision.decision === 'skip' ? null : read(decision);
      }),
    );
  const estimate = (units: (string | number | null)[][], metric: 'nominal' | 'interval'): NamedAgreement =>
    reviewers.length === 2 && metric === 'nominal'
      ? {
          statistic: 'cohen-kappa',
          ...cohenKappa(
            units.map((unit) => [
              unit[0] === null ? null : String(unit[0]),
              unit[1] === null ? null : String(unit[1]),
            ]),
            seed,
          ),
        }
      : { statistic: 'krippendorff-alpha', ...krippendorffAlpha(units, metric, seed) };
  const rubric: Record<string, NamedAgreement> = {};
  for (const item of queue.rubric)
    rubric[item.name] = estimate(
      ratings((decision) => {
        const value = decision.rubric[item.name];
        return value === undefined ? null : typeof value === 'boolean' ? String(value) : value;
      }),
      item.kind === 'numeric' ? 'interval' : 'nominal',
    );
  return {
    reviewers,
    decision: estimate(
      ratings((decision) => decision.decision),
      'nominal',
    ),
    rubric,
  };
}
