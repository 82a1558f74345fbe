// What a queue's reviewed items say the right output is. Each decision other than skip names a target:
// approve the output as served (read as the task reads outputs: a label, a JSON value, or the text),
// correct its correction, reject none. An item's target is the one a strict majority of its decisions
// name, else the one a decision made after its ratings (an admin settling it) names; an unsettled tie, a
// majority of rejections, or too few decisions hold the item back, with the reason.
import { canonicalJson, type ReviewDecision, type ReviewItem } from '../registry/index.js';
import { extractJson, readLabel, type TaskSpec } from '../tasks/index.js';
import { checkCorrection } from './correction-check.js';

/** Why an item gives no row. */
export type HeldReason = 'incomplete' | 'rejected' | 'disagreement' | 'unreadable' | 'cut-off';

/** An item with the target its decisions agree on, or the reason it has none. */
export interface ResolvedItem {
  item: ReviewItem;
  /** Who decided it (skips left out). */
  reviewers: string[];
  /** When the last of its decisions was made (epoch ms). */
  decidedAt: number;
  target?: unknown;
  held?: HeldReason;
}

/** The output as the task's target (undefined when the task cannot read it). */
function outputTarget(spec: TaskSpec, output: string | null): unknown {
  if (output === null) return undefined;
  try {
    if (spec.output.kind === 'label') return readLabel(spec.output.labels, output);
    if (spec.output.kind === 'json') return checkCorrection(spec, extractJson(output));
    return output.trim() === '' ? undefined : output; // an empty answer is no row
  } catch {
    return undefined; // output that is not JSON, or not of the schema: nothing to approve as a row
  }
}

/** The decisions other than skips (which are no review), by item. */
export function reviewsByItem(decisions: ReviewDecision[]): Map<string, ReviewDecision[]> {
  const byItem = new Map<string, ReviewDecision[]>();
  for (const decision of decisions)
    if (decision.decision !== 'skip')
      (byItem.get(decision.item) ?? byItem.set(decision.item, []).get(decision.item)!).push(decision);
  return byItem;
}

/**
 * What one decision says the item's answer is: `target` (approve: the output as the task reads it;
 * correct: the correction; reject: null) and a `key` equal for decisions naming the same answer
 * ('rejected', 'unreadable' and 'cut-off' for those that name none).
 */
export function decisionAnswer(
  spec: TaskSpec,
  item: ReviewItem,
  decision: ReviewDecision,
): { key: string; target: unknown } {
  // a free-text answer the model stopped at its token limit is not an answer to learn whole: an
  // approval of it names no target (a correction to the answer does)
  const cutOff = spec.output.kind === 'text' && item.context.finishReason === 'length';
  const target =
    decision.decision === 'approve'
      ? cutOff
        ? undefined
        : outputTarget(spec, item.output)
      : decision.decision === 'correct'
        ? decision.correction
        : null; // a rejection names no target
  const key =
    target === undefined
      ? cutOff && decision.decision === 'approve'
        ? 'cut-off'
        : 'unreadable'
      : target === null
        ? 'rejected'
        : canonicalJson(target);
  return { key, target };
}

/** Each item's agreed target, from the queue's items and decisions (ReviewStore.items, .decisions). */
export function resolveItems(
  spec: TaskSpec,
  items: ReviewItem[],
  decisions: ReviewDecision[],
): ResolvedItem[] {
  const byItem = reviewsByItem(decisions);
  return items.map((item) => {
    const decided = byItem.get(item.id) ?? [];
    const resolved: ResolvedItem = {
      item,
      reviewers: decided.map((decision) => decision.reviewer).sort(),
      decidedAt: Math.max(0, ...decided.map((decision) => decision.at)),
    };
    if (decided.length === 0 || decided.length < item.reviewsNeeded)
      return { ...resolved, held: 'incomplete' };
    const votes = new Map<string, { target: unknown; count: number }>();
    for (const decision of decided) {
      const { key, target } = decisionAnswer(spec, item, decision);
      const vote = votes.get(key) ?? votes.set(key, { target, count: 0 }).get(key)!;
      vote.count++;
    }
    let [key, winner] = [...votes].sort((a, b) => b[1].count - a[1].count)[0];
    if (winner.count * 2 <= decided.length) {
      // no majority: a decision made after the item's ratings (an admin settling it) decides it, the
      // latest such one; a three-way split is settled so too, where one more vote would not do
      const settlement = [...decided]
        .sort((a, b) => (a.firstAt ?? a.at) - (b.firstAt ?? b.at))
        .slice(item.reviewsNeeded)
        .at(-1);
      if (!settlement) return { ...resolved, held: 'disagreement' };
      const settled = decisionAnswer(spec, item, settlement);
      [key, winner] = [settled.key, { target: settled.target, count: 1 }];
    }
    if (key === 'rejected' || key === 'unreadable' || key === 'cut-off') return { ...resolved, held: key };
    return { ...resolved, target: winner.target };
  });
}
