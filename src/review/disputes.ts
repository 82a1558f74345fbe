// The items a queue's reviewers disagree on (no strict majority names one answer), for an admin to
// settle: each with the answer every reviewer's decision names. An admin's decision on one is one more
// vote, so a two-way tie settles with it; items the admin has already decided are not handed again.
import type { Registry, ReviewItem } from '../registry/index.js';
import { decisionAnswer, resolveItems, reviewsByItem } from './resolve-items.js';

/** A disputed item and what each decision on it says the answer is. */
export interface DisputedItem {
  item: ReviewItem;
  answers: { reviewer: string; decision: string; answer: unknown }[];
}

/** The disputed items of `queue`, oldest first; with `settler`, those it has not decided yet. */
export async function disputedItems(
  registry: Registry,
  queue: string,
  settler?: string,
): Promise<DisputedItem[]> {
  const config = await registry.review.getQueue(queue);
  const spec = await registry.getTask(config.task);
  const items = await registry.review.items(queue);
  const decisions = await registry.review.decisions(queue);
  const byItem = reviewsByItem(decisions);
  return (
    resolveItems(spec, items, decisions)
      .filter((resolved) => resolved.held === 'disagreement')
      // one the settler decided (a skip included) is not handed again
      .filter(
        ({ item }) =>
          !decisions.some((decision) => decision.item === item.id && decision.reviewer === settler),
      )
      .map(({ item }) => ({
        item,
        answers: (byItem.get(item.id) ?? []).map((decision) => {
          const { key, target } = decisionAnswer(spec, item, decision);
          return { reviewer: decision.reviewer, decision: decision.decision, answer: target ?? key };
        }),
      }))
  );
}
