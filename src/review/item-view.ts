// What a reviewer sees with an item: the item, its trace as stored (redacted; without who sent it), the
// prompt version that answered it, the task's output kind (what a correction must be) and similar past
// decisions of the queue, and the queue's rubric. Everything a review-scoped key needs, so it never needs
// the read scope.
import type {
  PromptVersion,
  Registry,
  ReviewDecision,
  ReviewItem,
  RubricItem,
  TraceRecord,
} from '../registry/index.js';
import type { TaskSpec } from '../tasks/index.js';
import { similarDecisions, type SimilarDecision } from './similar-decisions.js';

/** An item with what is shown beside it. */
export interface ReviewItemView {
  item: ReviewItem;
  task: { name: string; output: TaskSpec['output'] };
  trace: TraceRecord | null;
  version: Pick<PromptVersion, 'id' | 'number' | 'kind' | 'content' | 'message'> | null;
  similar: SimilarDecision[];
  /** The queue's rubric: the questions a decision may answer about the item. */
  rubric: RubricItem[];
  /** The item's own decisions, for an admin once its ratings are in (to settle it; reviewers decide blind). */
  decisions?: Pick<ReviewDecision, 'reviewer' | 'decision' | 'correction' | 'comment' | 'at'>[];
}

/**
 * The view of `item` (its queue is the caller's to have checked the reviewer may see); with `admin`,
 * its own decisions too.
 */
export async function reviewItemView(
  registry: Registry,
  item: ReviewItem,
  options: { admin?: boolean } = {},
): Promise<ReviewItemView> {
  const queue = await registry.review.getQueue(item.queue);
  const spec = await registry.getTask(queue.task);
  const decisions = await registry.review.decisions(queue.name);
  const stored =
    item.traceId === null || item.traceId.startsWith('run:')
      ? null
      : await registry.traces.get(item.traceId).catch(() => null); // retention may have removed it
  // who sent the request (the key, the end user's id) is not the reviewer's business
  const trace = stored && { ...stored, keyId: null, user: null };
  const versionId = typeof item.context.version === 'string' ? item.context.version : null;
  const version =
    versionId === null ? null : await registry.resolveVersion(queue.task, versionId).catch(() => null);
  return {
    item,
    task: { name: spec.name, output: spec.output },
    rubric: queue.rubric,
    trace,
    version: version && {
      id: version.id,
      number: version.number,
      kind: version.kind,
      content: version.content,
      message: version.message,
    },
    similar: similarDecisions(item, await registry.review.items(queue.name), decisions),
    // to an admin once the item's ratings are in: an admin who also reviews it decides blind first
    ...(options.admin &&
      item.reviewsDone >= item.reviewsNeeded && {
        decisions: decisions
          .filter((decision) => decision.item === item.id)
          .map(({ reviewer, decision, correction, comment, at }) => ({
            reviewer,
            decision,
            correction,
            comment,
            at,
          })),
      }),
  };
}
