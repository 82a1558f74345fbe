// A judge's calibration against reviewers on a real SQLite registry: the human verdict of each reviewed
// trace is its decisions' majority (ties give none), the judge's its evaluator score (boolean, or numeric
// at a threshold); kappa, agreement and the confusion counts are those of the pairs, and the verdict
// follows the interval (a judge that agrees on 40 of 40 items is trusted, a coin is not).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry, type ReviewDecisionInput } from '../registry/index.js';
import { sampleTrace } from '../registry/traces.case.js';
import { taskSpec } from '../tasks/index.js';
import { cohenKappa } from './agreement.js';
import { humanVerdicts, judgeCalibration } from './judge-calibration.js';

let registry: Registry;
const count = 40;
// the reviewers' verdict per trace: approved (good) on even traces, corrected or rejected on odd ones
const good = (index: number) => index % 2 === 0;

beforeAll(async () => {
  registry = await Registry.open({ path: join(mkdtempSync(join(tmpdir(), 'promptune-judge-')), 'r.sqlite') });
  await registry.putTask(taskSpec.parse({ name: 'qa', prompt: { template: '{{input}}' } }));
  await registry.traces.insert(
    Array.from({ length: count }, (_, index) =>
      sampleTrace({ id: `trace-${index}`, task: 'qa', at: 1000 + index }),
    ),
  );
  await registry.review.createQueue({
    name: 'qa-review',
    task: 'qa',
    actor: 'ada',
    config: { reviewsPerItem: 2 },
  });
  const items = await registry.review.addItems(
    'qa-review',
    Array.from({ length: count }, (_, index) => ({
      traceId: `trace-${index}`,
      input: { input: `q${index}` },
      output: 'a',
    })),
  );
  // each reviewer takes the items in order and decides them
  const decisionOf = (index: number, reviewer: string): ReviewDecisionInput => {
    const verdict = good(index) ? 'approve' : index % 4 === 1 ? 'reject' : 'correct';
    // bob agrees, except on trace 0, which he rejects: a tie, so it has no human verdict
    if (reviewer === 'bob' && index === 0) return { decision: 'reject' };
    return { decision: verdict, ...(verdict === 'correct' && { correction: 'b' }) };
  };
  for (const reviewer of ['alice', 'bob'])
    for (const [index, item] of items.entries()) {
      expect((await registry.review.next('qa-review', reviewer))?.id).toBe(item.id);
      await registry.review.decide(item.id, reviewer, decisionOf(index, reviewer));
    }
  for (let index = 0; index < count; index++) {
    const traceId = `trace-${index}`;
    // a judge that matches the reviewers; a numeric one that misses 8 of the good traces; a coin
    await registry.scores.add({ traceId, name: 'judge', value: good(index), source: 'evaluator' });
    await registry.scores.add({
      traceId,
      name: 'graded',
      value: good(index) ? (index % 10 === 0 ? 0.2 : 0.9) : 0.1,
      source: 'evaluator',
    });
    await registry.scores.add({ traceId, name: 'coin', value: index % 3 === 0, source: 'evaluator' });
  }
});

afterAll(async () => {
  await registry?.close();
});

describe('judgeCalibration', () => {
  it("takes each reviewed trace's majority verdict, and none for a tie or an unfinished item", async () => {
    // one more item with one of its two reviews
    const [extra] = await registry.review.addItems('qa-review', [
      { traceId: 'trace-extra', input: { input: 'q' }, output: 'a' },
    ]);
    await registry.review.next('qa-review', 'alice');
    await registry.review.decide(extra.id, 'alice', { decision: 'approve' });
    const verdicts = humanVerdicts(
      await registry.review.items('qa-review'),
      await registry.review.decisions('qa-review'),
    );
    expect(verdicts.size).toBe(count - 1);
    expect(verdicts.has('trace-0')).toBe(false);
    expect(verdicts.has('trace-extra')).toBe(false);
    expect(verdicts.get('trace-2')).toBe(true);
    expect(verdicts.get('trace-3')).toBe(false);
  });

  it('trusts a judge that agrees with the reviewers, and reports where another goes wrong', async () => {
    const judge = await judgeCalibration(registry, 'qa-review', { score: 'judge' });
    expect(judge).toMatchObject({
      items: count - 1,
      agreement: 1,
      confusion: { bothGood: 19, bothBad: 20, judgeGoodHumansBad: 0, judgeBadHumansGood: 0 },
      kappa: { value: 1 },
      verdict: 'trusted',
    });
    // graded at 0.5: the good traces 10, 20 and 30 are scored 0.2 (trace 0 has no human verdict)
    const graded = await judgeCalibration(registry, 'qa-review', { score: 'graded', threshold: 0.5 });
    expect(graded.confusion).toEqual({
      bothGood: 16,
      bothBad: 20,
      judgeGoodHumansBad: 0,
      judgeBadHumansGood: 3,
    });
    expect(graded.agreement).toBeCloseTo(36 / 39, 10);
    const pairs = Array.from({ length: count - 1 }, (_, offset) => {
      const index = offset + 1;
      return [String(good(index)), String(good(index) && index % 10 !== 0)] as [string, string];
    });
    expect(graded.kappa).toEqual(cohenKappa(pairs, 0));
  });

  it('does not trust a coin, and says when there is no such score', async () => {
    const coin = await judgeCalibration(registry, 'qa-review', { score: 'coin' });
    expect(coin.verdict).toBe('not-trusted');
    expect(coin.kappa.value!).toBeLessThan(0.4);
    // a score no trace has is said to be absent (it had read as "uncertain"), with the ones there are
    await expect(judgeCalibration(registry, 'qa-review', { score: 'judgee' })).rejects.toMatchObject({
      code: 'REVIEW_NO_SCORE',
      hint: expect.stringMatching(/^Did you mean judge\? Its traces are scored as: .*coin/),
    });
  });
});
