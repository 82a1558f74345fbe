// A queue's agreement report: how far its reviewers agree on the answer (what each decision says the
// output should be: the output approved, a correction, none for a rejection), on the decision itself
// (approve, correct, reject; a skip is no rating) and on each rubric item. Two reviewers get Cohen's
// kappa, more get Krippendorff's alpha (nominal for answers, decisions, yes/no and categories; interval
// for numeric rubric items); each nominal statistic comes with the raw share of agreeing pairs.
import type { ReviewDecision, ReviewItem, ReviewQueue } from '../registry/index.js';
import type { TaskSpec } from '../tasks/index.js';
import { cohenKappa, krippendorffAlpha, type AgreementEstimate } from './agreement.js';
import { decisionAnswer } from './resolve-items.js';

/** One statistic of the report, named; `observed` is the share of agreeing pairs of ratings (nominal only). */
export type NamedAgreement = AgreementEstimate & {
  statistic: 'cohen-kappa' | 'krippendorff-alpha';
  observed?: number | null;
};

/** A queue's agreement report. */
export interface QueueAgreement {
  reviewers: string[];
  /** On the answer each decision names (two corrections to different labels disagree; approve and a
   * correction to the output's own label agree): what the dataset is made from. */
  answer?: NamedAgreement;
  decision: NamedAgreement;
  rubric: Record<string, NamedAgreement>;
}

/** The share of pairs of ratings of the same item that are equal, over items rated at least twice. */
function observedAgreement(units: (string | number | null)[][]): number | null {
  let pairs = 0;
  let agreeing = 0;
  for (const unit of units) {
    const rated = unit.filter((value) => value !== null);
    for (let first = 0; first < rated.length; first++)
      for (let second = first + 1; second < rated.length; second++) {
        pairs++;
        if (rated[first] === rated[second]) agreeing++;
      }
  }
  return pairs === 0 ? null : agreeing / pairs;
}

/**
 * The ratings among `decisions`: with the queue's items, each item's first decisions (skips aside) up
 * to the reviews it needed, by when each reviewer first decided it (a revision keeps its place); a
 * decision after those settles a tie (an admin adjudicating), it does not rate. So a reviewer taken off
 * the queue later still counts for what they rated. Without the items, the queue's named reviewers'
 * decisions (all of them when it names none).
 */
function ratingDecisions(
  queue: ReviewQueue,
  decisions: ReviewDecision[],
  items?: ReviewItem[],
): ReviewDecision[] {
  if (!items)
    return queue.reviewers.length === 0
      ? decisions
      : decisions.filter((decision) => queue.reviewers.includes(decision.reviewer));
  const needed = new Map(items.map((item) => [item.id, item.reviewsNeeded]));
  const counted = new Map<string, number>();
  // by when each reviewer first decided: a revision after a tie was settled keeps its place
  const first = (decision: ReviewDecision) => decision.firstAt ?? decision.at;
  return [...decisions]
    .sort((a, b) => first(a) - first(b))
    .filter((decision) => {
      if (decision.decision === 'skip') return true; // no rating either way: read as missing below
      const countedSoFar = counted.get(decision.item) ?? 0;
      if (countedSoFar >= (needed.get(decision.item) ?? Infinity)) return false;
      counted.set(decision.item, countedSoFar + 1);
      return true;
    });
}

/**
 * The agreement of `decisions` (a queue's, as ReviewStore.decisions gives them), on the ratings among
 * them (see ratingDecisions): an admin's decision that settles a tie is adjudication, not a rating.
 */
export function queueAgreement(
  queue: ReviewQueue,
  allDecisions: ReviewDecision[],
  options: { seed?: number; spec?: TaskSpec; items?: ReviewItem[] } = {},
): QueueAgreement {
  const seed = options.seed ?? 0;
  const decisions = ratingDecisions(queue, allDecisions, options.items);
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
  const estimate = (units: (string | number | null)[][], metric: 'nominal' | 'interval'): NamedAgreement => {
    const observed = metric === 'nominal' ? { observed: observedAgreement(units) } : {};
    return reviewers.length === 2 && metric === 'nominal'
      ? {
          statistic: 'cohen-kappa',
          ...cohenKappa(
            units.map((unit) => [
              unit[0] === null ? null : String(unit[0]),
              unit[1] === null ? null : String(unit[1]),
            ]),
            seed,
          ),
          ...observed,
        }
      : { statistic: 'krippendorff-alpha', ...krippendorffAlpha(units, metric, seed), ...observed };
  };
  const { spec } = options;
  const itemsById = new Map((options.items ?? []).map((item) => [item.id, item]));
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
    ...(spec &&
      options.items && {
        answer: estimate(
          ratings((decision) => {
            const item = itemsById.get(decision.item);
            return item ? decisionAnswer(spec, item, decision).key : null;
          }),
          'nominal',
        ),
      }),
    decision: estimate(
      ratings((decision) => decision.decision),
      'nominal',
    ),
    rubric,
  };
}
