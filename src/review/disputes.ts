// The items a queue's reviewers disagree on (no strict majority names one answer), for an admin to
// settle: each with the answer every reviewer's decision names. An admin's decision on one, made after
// its ratings, settles it (resolve-items.ts); an item the admin skipped is not handed to it again.
import type { Registry, ReviewItem } from '../registry/index.js';
import { decisionAnswer, resolveItems, reviewsByItem } from './resolve-items.js';

/** A disputed item and what each decision on it says the answer is. */
export interface DisputedItem {
  item: ReviewItem;
  answers: { reviewer: string; decision: string; answer: unknown }[];
}

/**
 * The oldest disputed item of `queue` that `settler` has not decided and nobody else holds, reserved
 * for it (two admins settling at once get different items); undefined when none is left.
 */
export async function nextDisputed(
  registry: Registry,
  queue: string,
  settler: string,
): Promise<DisputedItem | undefined> {
  for (const disputed of await disputedItems(registry, queue, settler)) {
    const item = await registry.review.reserve(disputed.item.id, settler);
    if (item) return { ...disputed, item };
  }
  return undefined;
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
  const settled = new Set(
    decisions.filter((decision) => decision.reviewer === settler).map((decision) => decision.item),
  );
  return (
    resolveItems(spec, items, decisions)
      .filter((resolved) => resolved.held === 'disagreement')
      // one the settler skipped is not handed again (one it decided is settled, no longer disputed)
      .filter(({ item }) => !settled.has(item.id))
      .map(({ item }) => ({
        item,
        answers: (byItem.get(item.id) ?? []).map((decision) => {
          const { key, target } = decisionAnswer(spec, item, decision);
          return { reviewer: decision.reviewer, decision: decision.decision, answer: target ?? key };
        }),
      }))
  );
}
