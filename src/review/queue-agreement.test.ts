// Agreement on what reviewers say the answer is, beside agreement on the decision they chose: two
// corrections to different labels are the same decision but opposite answers, and an approval is the
// same answer as a correction to the output's own label.
import { describe, expect, it } from 'vitest';
import type { ReviewDecision, ReviewItem, ReviewQueue } from '../registry/index.js';
import { taskSpec } from '../tasks/index.js';
import { queueAgreement } from './queue-agreement.js';

const spec = taskSpec.parse({
  name: 'gender',
  output: { kind: 'label', labels: [' girl', ' boy'] },
  prompt: { template: '{{input}}' },
});
const queue = { name: 'q', task: 'gender', reviewers: [], rubric: [] } as unknown as ReviewQueue;
const item = (id: string, output: string) =>
  ({ id, queue: 'q', input: { input: id }, output, context: {}, reviewsNeeded: 2 }) as unknown as ReviewItem;
const decision = (item: string, reviewer: string, kind: ReviewDecision['decision'], correction?: string) =>
  ({
    item,
    reviewer,
    decision: kind,
    rubric: {},
    at: 1,
    ...(correction && { correction }),
  }) as ReviewDecision;

describe('queueAgreement', () => {
  it('rates the answer each decision names, not only its kind, with the share of agreeing pairs', () => {
    const items = ['a', 'b', 'c', 'd'].map((id) => item(id, ' girl'));
    const decisions = [
      // opposite corrections: the same decision, different answers
      decision('a', 'alice', 'correct', ' boy'),
      decision('a', 'carol', 'correct', ' girl'),
      // an approval of " girl" and a correction to " girl": different decisions, one answer
      decision('b', 'alice', 'approve'),
      decision('b', 'carol', 'correct', ' girl'),
      decision('c', 'alice', 'correct', ' boy'),
      decision('c', 'carol', 'correct', ' boy'),
      decision('d', 'alice', 'approve'),
      decision('d', 'carol', 'approve'),
    ];
    const report = queueAgreement(queue, decisions, { spec, items });
    expect(report.decision).toMatchObject({ statistic: 'cohen-kappa', items: 4, observed: 0.75 });
    expect(report.answer).toMatchObject({ statistic: 'cohen-kappa', items: 4, observed: 0.75 });
    // the disagreements are on different items: a and b swap places
    const answerAgrees = ['a', 'b', 'c', 'd'].map((id) => {
      const pair = decisions.filter((each) => each.item === id);
      return queueAgreement(queue, pair, { spec, items }).answer!.observed;
    });
    expect(answerAgrees).toEqual([0, 1, 1, 1]);
    const decisionAgrees = ['a', 'b', 'c', 'd'].map(
      (id) =>
        queueAgreement(
          queue,
          decisions.filter((each) => each.item === id),
        ).decision.observed,
    );
    expect(decisionAgrees).toEqual([1, 0, 1, 1]);
    // without the task and items, no answer rating
    expect(queueAgreement(queue, decisions).answer).toBeUndefined();
  });

  it('counts the ratings each item needed, by time: a later tie-breaker is not one, a reviewer taken off still is', () => {
    const items = ['a', 'b'].map((id) => item(id, ' girl'));
    const at = (each: ReviewDecision, time: number) => ({ ...each, at: time, firstAt: time });
    const decisions = [
      at(decision('a', 'alice', 'approve'), 1),
      at(decision('a', 'bob', 'correct', ' boy'), 2),
      at(decision('a', 'boss', 'approve'), 9), // settles the tie
      at(decision('b', 'alice', 'approve'), 3),
      at(decision('b', 'bob', 'approve'), 4),
    ];
    // alice has since been taken off the queue: what she rated still counts
    const now = { ...queue, reviewers: ['bob', 'carol'] } as ReviewQueue;
    const report = queueAgreement(now, decisions, { spec, items });
    expect(report.reviewers).toEqual(['alice', 'bob']);
    expect(report.answer).toMatchObject({ items: 2, observed: 0.5 });
    // bob revises his decision on a after the tie was settled: still his rating, still not the admin's
    const revised = decisions.map((each) =>
      each.item === 'a' && each.reviewer === 'bob' ? { ...each, decision: 'approve' as const, at: 12 } : each,
    );
    const after = queueAgreement(now, revised, { spec, items });
    expect(after.reviewers).toEqual(['alice', 'bob']);
    expect(after.answer).toMatchObject({ items: 2, observed: 1 });
  });
});
