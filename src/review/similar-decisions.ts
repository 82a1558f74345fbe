// Past decisions on inputs like an item's, shown beside it so a reviewer decides alike cases alike: the
// fully reviewed items of the same queue (never one still open to reviewers) ranked by word overlap
// (Jaccard over lowercase words) with the item's input. A reading aid, not a search engine: it scans
// the queue's decisions in memory.
import type { ReviewDecision, ReviewItem } from '../registry/index.js';
import { reviewsByItem } from './resolve-items.js';

/** A decided item similar to another, with its decisions. */
export interface SimilarDecision {
  item: string;
  similarity: number;
  input: unknown;
  output: string | null;
  decisions: Pick<ReviewDecision, 'reviewer' | 'decision' | 'correction' | 'at'>[];
}

const words = (value: unknown) =>
  new Set(
    (typeof value === 'string' ? value : JSON.stringify(value)).toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [],
  );

/** Up to `limit` decided items most like `item` (decisions other than skip; the item itself left out). */
export function similarDecisions(
  item: ReviewItem,
  items: ReviewItem[],
  decisions: ReviewDecision[],
  limit = 3,
): SimilarDecision[] {
  const byItem = reviewsByItem(decisions);
  byItem.delete(item.id);
  const mine = words(item.input);
  return (
    items
      // an item still open to reviewers is not shown: a reviewer handed it next would see another's
      // verdict first (anchoring, which also inflates agreement)
      .filter((other) => byItem.has(other.id) && other.reviewsDone >= other.reviewsNeeded)
      .map((other) => {
        const theirs = words(other.input);
        let shared = 0;
        for (const word of mine) if (theirs.has(word)) shared++;
        const union = mine.size + theirs.size - shared;
        return { other, similarity: union === 0 ? 0 : shared / union };
      })
      .filter(({ similarity }) => similarity > 0)
      .sort((a, b) => b.similarity - a.similarity)
      .slice(0, limit)
      .map(({ other, similarity }) => ({
        item: other.id,
        similarity: Math.round(similarity * 1000) / 1000,
        input: other.input,
        output: other.output,
        decisions: byItem.get(other.id)!.map(({ reviewer, decision, correction, at }) => ({
          reviewer,
          decision,
          correction,
          at,
        })),
      }))
  );
}
