// Deciding a review item as a reviewer: the correction is checked against the task's output first (the
// store checks the decision, the rubric and the reservation, and keeps what it is sent).
import {
  mayReview,
  type Registry,
  type ReviewDecision,
  type ReviewDecisionInput,
} from '../registry/index.js';
import { checkCorrection } from './correction-check.js';

/**
 * Records `reviewer`'s decision on item `id`, its correction checked against the task's output (an
 * admin may decide items of any queue, to adjudicate).
 */
export async function decideItem(
  registry: Registry,
  id: string,
  reviewer: string,
  input: ReviewDecisionInput,
  options: { admin?: boolean } = {},
): Promise<ReviewDecision> {
  const decide = (checked: ReviewDecisionInput) =>
    registry.review.decide(id, reviewer, checked, undefined, options);
  if (input.decision !== 'correct' || input.correction === undefined) return decide(input);
  const item = await registry.review.getItem(id);
  const queue = await registry.review.getQueue(item.queue);
  // a reviewer not assigned learns nothing of the task: the store refuses them as it would anyway
  if (!options.admin && !mayReview(queue, reviewer)) return decide(input);
  const spec = await registry.getTask(queue.task);
  return decide({ ...input, correction: checkCorrection(spec, input.correction) });
}
