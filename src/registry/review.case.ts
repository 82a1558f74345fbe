// The review store's conformance suite: the registry on SQLite and on Postgres must pass it unchanged.
// Covers queues with their config (and the refusals of bad ones), items added once per trace, the next
// item reserved for one reviewer at a time (many reviewers racing for it included), reservations that
// expire, decisions kept after a lapsed reservation and refused while another reviewer holds the item,
// N reviews per item, skips, rubric answers checked against the queue's rubric, assignment, and progress.
import { describe, expect, it } from 'vitest';
import type { Registry } from './registry.js';
import type { ReviewDecisionKind } from './review.js';

const at = Date.parse('2026-12-02T05:00:00.000Z');
const minute = 60_000;

const items = (count: number, from = 0) =>
  Array.from({ length: count }, (_, index) => ({
    traceId: `trace-${from + index}`,
    reason: 'negative-feedback',
    input: { input: `story ${from + index}` },
    output: `answer ${from + index}`,
    context: { version: 'abc123', label: 'production' },
  }));

/** Runs the suite against registries made by `open` (each call: a fresh, empty database). */
export function reviewConformance(name: string, open: () => Promise<Registry>): void {
  describe(`review store conformance: ${name}`, () => {
    it('keeps a queue with its config and refuses bad ones', async () => {
      const registry = await open();
      try {
        const queue = await registry.review.createQueue({
          name: 'name-corrections',
          task: 'name',
          actor: 'ada',
          config: {
            reviewsPerItem: 2,
            reservationMs: 5 * minute,
            rubric: [
              { name: 'fluency', kind: 'numeric', minimum: 1, maximum: 5 },
              { name: 'harmful', kind: 'boolean' },
              { name: 'tone', kind: 'categorical', categories: ['formal', 'casual'] },
            ],
            reviewers: ['alice', 'bob'],
            rules: [{ kind: 'negative-feedback' }],
          },
        });
        expect(await registry.review.getQueue('name-corrections')).toEqual(queue);
        expect(queue).toMatchObject({
          reviewsPerItem: 2,
          reservationMs: 5 * minute,
          reviewers: ['alice', 'bob'],
        });
        await expect(
          registry.review.createQueue({ name: 'name-corrections', task: 'name', actor: 'ada' }),
        ).rejects.toMatchObject({ code: 'REVIEW_QUEUE_EXISTS' });
        for (const config of [
          { reviewsPerItem: 0 },
          { reservationMs: 10 },
          { rubric: [{ name: 'tone', kind: 'categorical' as const }] },
          {
            rubric: [
              { name: 'a', kind: 'boolean' as const },
              { name: 'a', kind: 'boolean' as const },
            ],
          },
        ])
          await expect(
            registry.review.createQueue({ name: 'bad', task: 'name', actor: 'ada', config }),
          ).rejects.toMatchObject({ code: 'REVIEW_INVALID' });
        await expect(
          registry.review.createQueue({ name: 'Bad Name', task: 'x', actor: 'ada' }),
        ).rejects.toMatchObject({
          code: 'REVIEW_INVALID',
        });
        await expect(registry.review.getQueue('bad')).rejects.toMatchObject({
          code: 'REVIEW_QUEUE_NOT_FOUND',
        });
        // a reviewer sees only the queues assigned to them (or open to all)
        await registry.review.createQueue({ name: 'open', task: 'name', actor: 'ada' });
        expect((await registry.review.listQueues()).map((each) => each.name)).toEqual([
          'name-corrections',
          'open',
        ]);
        expect((await registry.review.listQueues('carol')).map((each) => each.name)).toEqual(['open']);
        await expect(registry.review.next('name-corrections', 'carol', at)).rejects.toMatchObject({
          code: 'REVIEW_QUEUE_NOT_FOUND',
        });
      } finally {
        await registry.close();
      }
    });

    it('adds a trace once per queue and hands out the oldest item, reserved for one reviewer', async () => {
      const registry = await open();
      try {
        await registry.review.createQueue({
          name: 'q',
          task: 'name',
          actor: 'ada',
          config: { reservationMs: minute },
        });
        expect(await registry.review.addItems('q', items(3), at)).toHaveLength(3);
        // trace-1 again, and trace-3 twice in one call: one new item, after the first three though
        // added in the same millisecond
        const again = await registry.review.addItems(
          'q',
          [...items(1, 1), ...items(1, 3), ...items(1, 3)],
          at,
        );
        expect(again.map((item) => item.traceId)).toEqual(['trace-3']);
        const manual = await registry.review.addItems('q', [{ input: 'typed by hand', output: null }], at);
        expect(manual[0]).toMatchObject({
          traceId: null,
          reason: 'manual',
          reviewsNeeded: 1,
          reviewsDone: 0,
        });
        const first = await registry.review.next('q', 'alice', at);
        expect(first).toMatchObject({
          traceId: 'trace-0',
          input: { input: 'story 0' },
          output: 'answer 0',
          context: { version: 'abc123', label: 'production' },
          reservedBy: 'alice',
          reservedUntil: at + minute,
        });
        // bob gets the next one; alice asking again gets hers back
        expect((await registry.review.next('q', 'bob', at))?.traceId).toBe('trace-1');
        expect((await registry.review.next('q', 'alice', at + 1000))?.traceId).toBe('trace-0');
        // her reservation expires: carol takes it
        expect((await registry.review.next('q', 'carol', at + 2 * minute))?.traceId).toBe('trace-0');
        await expect(registry.review.getItem('item-none')).rejects.toMatchObject({
          code: 'REVIEW_ITEM_NOT_FOUND',
        });
      } finally {
        await registry.close();
      }
    });

    it('never gives one item to two reviewers racing for it', async () => {
      const registry = await open();
      try {
        await registry.review.createQueue({ name: 'q', task: 'name', actor: 'ada' });
        await registry.review.addItems('q', items(8));
        const reviewers = Array.from({ length: 8 }, (_, index) => `reviewer-${index}`);
        const taken = await Promise.all(reviewers.map((reviewer) => registry.review.next('q', reviewer, at)));
        const ids = taken.map((item) => item!.id);
        expect(new Set(ids).size).toBe(8);
        expect(await registry.review.next('q', 'late', at)).toBeUndefined();
      } finally {
        await registry.close();
      }
    });

    it('records decisions at once: refused while another holds the item, kept after a lapse, N per item', async () => {
      const registry = await open();
      try {
        await registry.review.createQueue({
          name: 'q',
          task: 'name',
          actor: 'ada',
          config: {
            reviewsPerItem: 2,
            reservationMs: minute,
            rubric: [{ name: 'fluency', kind: 'numeric', minimum: 1, maximum: 5 }],
          },
        });
        await registry.review.addItems('q', items(2));
        const item = (await registry.review.next('q', 'alice', at))!;
        await expect(
          registry.review.decide(item.id, 'bob', { decision: 'approve' }, at + 1000),
        ).rejects.toMatchObject({ code: 'REVIEW_RESERVED' });
        // alice's session dies; her reservation lapses, nobody takes the item, and her decision arrives
        const decided = await registry.review.decide(
          item.id,
          'alice',
          { decision: 'correct', correction: 'Lily', rubric: { fluency: 4 }, comment: 'the name is Lily' },
          at + 5 * minute,
        );
        expect(decided).toMatchObject({ reviewer: 'alice', decision: 'correct', correction: 'Lily' });
        expect(await registry.review.getItem(item.id)).toMatchObject({ reviewsDone: 1, reservedBy: null });
        // alice is done with it; bob takes it for the second review
        expect((await registry.review.next('q', 'alice', at + 5 * minute))?.id).not.toBe(item.id);
        expect((await registry.review.next('q', 'bob', at + 6 * minute))?.id).toBe(item.id);
        await registry.review.decide(
          item.id,
          'bob',
          { decision: 'approve', rubric: { fluency: 2 } },
          at + 6 * minute,
        );
        expect(await registry.review.getItem(item.id)).toMatchObject({ reviewsDone: 2 });
        // fully reviewed: nobody gets it again; deciding again replaces without counting twice
        expect((await registry.review.next('q', 'carol', at + 7 * minute))?.id).not.toBe(item.id);
        await registry.review.decide(item.id, 'bob', { decision: 'reject' }, at + 8 * minute);
        expect(await registry.review.getItem(item.id)).toMatchObject({ reviewsDone: 2 });
        // a reviewer decides only what it was handed (or its own earlier decision); an admin adjudicates
        await expect(
          registry.review.decide(item.id, 'carol', { decision: 'approve' }, at + 9 * minute),
        ).rejects.toMatchObject({ code: 'REVIEW_NOT_RESERVED' });
        const other = (await registry.review.next('q', 'carol', at + 9 * minute))!;
        expect(other.id).not.toBe(item.id);
        // a decision on another item never ends carol's reservation, nor does the admin's on this one
        await registry.review.decide(item.id, 'ada', { decision: 'approve' }, at + 9 * minute, {
          admin: true,
        });
        expect(await registry.review.getItem(item.id)).toMatchObject({ reviewsDone: 3 });
        expect(await registry.review.getItem(other.id)).toMatchObject({ reservedBy: 'carol' });
        // the same reviewer deciding twice at once counts once
        await Promise.all([
          registry.review.decide(other.id, 'carol', { decision: 'approve' }, at + 9 * minute),
          registry.review.decide(other.id, 'carol', { decision: 'reject' }, at + 9 * minute),
        ]);
        expect(await registry.review.getItem(other.id)).toMatchObject({ reviewsDone: 1, reservedBy: null });
        const decisions = await registry.review.decisions('q');
        expect(
          decisions.filter((each) => each.item === item.id).map((each) => [each.reviewer, each.decision]),
        ).toEqual([
          ['alice', 'correct'],
          ['bob', 'reject'],
          ['ada', 'approve'],
        ]);
        expect(decisions[0]).toMatchObject({ rubric: { fluency: 4 }, comment: 'the name is Lily' });
      } finally {
        await registry.close();
      }
    });

    it('lets an admin decide an item another reviewer holds, leaving them the reservation', async () => {
      const registry = await open();
      try {
        await registry.review.createQueue({ name: 'q', task: 'name', actor: 'ada', config: {} });
        await registry.review.addItems('q', items(1));
        const at = Date.now();
        // alice's key is revoked mid-item: bob is refused, an admin is not
        const item = (await registry.review.next('q', 'alice', at))!;
        await expect(
          registry.review.decide(item.id, 'bob', { decision: 'approve' }, at + 1000),
        ).rejects.toMatchObject({ code: 'REVIEW_RESERVED', hint: expect.stringContaining('an admin') });
        await registry.review.decide(item.id, 'ada', { decision: 'reject' }, at + 2000, { admin: true });
        expect(await registry.review.getItem(item.id)).toMatchObject({ reviewsDone: 1, reservedBy: 'alice' });
      } finally {
        await registry.close();
      }
    });

    it('reserves a reviewed item for one settler at a time, until it lapses', async () => {
      const registry = await open();
      try {
        await registry.review.createQueue({
          name: 'q',
          task: 'name',
          actor: 'ada',
          config: { reservationMs: minute },
        });
        const [item] = await registry.review.addItems('q', items(1));
        const taken = (await registry.review.next('q', 'alice', at))!;
        await registry.review.decide(taken.id, 'alice', { decision: 'approve' }, at + 1000);
        // its reviews are all in (next hands it to nobody), but a settler may still hold it
        expect(await registry.review.next('q', 'bob', at + 2000)).toBeUndefined();
        expect(await registry.review.reserve(item.id, 'ada', at + 2000)).toMatchObject({
          id: item.id,
          reviewsDone: 1,
          reservedBy: 'ada',
          reservedUntil: at + 2000 + minute,
        });
        expect(await registry.review.reserve(item.id, 'grace', at + 3000)).toBeUndefined();
        expect((await registry.review.reserve(item.id, 'ada', at + 3000))?.reservedUntil).toBe(
          at + 3000 + minute,
        );
        expect((await registry.review.reserve(item.id, 'grace', at + 3001 + minute))?.reservedBy).toBe(
          'grace',
        );
        await expect(registry.review.reserve('item-none', 'ada')).rejects.toMatchObject({
          code: 'REVIEW_ITEM_NOT_FOUND',
        });
      } finally {
        await registry.close();
      }
    });

    it('reassigns a queue: a dropped reviewer’s items go back and its decisions are refused; an admin’s stay', async () => {
      const registry = await open();
      try {
        await registry.review.createQueue({ name: 'q', task: 'name', actor: 'ada', config: {} });
        await registry.review.addItems('q', items(3));
        await registry.keys.create({ name: 'ada', scopes: ['admin'] });
        await registry.keys.create({ name: 'carol', scopes: ['review'] });
        const now = Date.now();
        const carols = (await registry.review.next('q', 'carol', now))!;
        const adas = (await registry.review.next('q', 'ada', now))!;
        await registry.review.setReviewers('q', ['alice']);
        expect(await registry.review.getItem(carols.id)).toMatchObject({ reservedBy: null });
        expect(await registry.review.getItem(adas.id)).toMatchObject({ reservedBy: 'ada' });
        await expect(
          registry.review.decide(carols.id, 'carol', { decision: 'approve' }, now + 1000),
        ).rejects.toMatchObject({ code: 'REVIEW_QUEUE_NOT_FOUND' });
        await registry.review.decide(adas.id, 'ada', { decision: 'approve' }, now + 1000, { admin: true });
        expect((await registry.review.next('q', 'alice', now + 2000))!.id).toBe(carols.id);
      } finally {
        await registry.close();
      }
    });

    it("counts a queue's progress by reviewer and decision, its own decisions only, in code-point order", async () => {
      const registry = await open();
      try {
        for (const name of ['q', 'other'])
          await registry.review.createQueue({
            name,
            task: 'name',
            actor: 'ada',
            config: { reviewsPerItem: 2 },
          });
        const [first, second, third] = await registry.review.addItems('q', items(3), at);
        const [elsewhere] = await registry.review.addItems('other', items(1, 10), at);
        const decide = async (
          item: { id: string } | undefined,
          reviewer: string,
          decision: ReviewDecisionKind,
          when: number,
        ) => {
          await registry.review.reserve(item!.id, reviewer, when);
          const correction = decision === 'correct' ? { correction: 'fixed' } : {};
          await registry.review.decide(item!.id, reviewer, { decision, ...correction }, when);
        };
        // bob decides first: the counts do not follow who decided first
        await decide(first, 'bob', 'reject', at);
        await decide(second, 'bob', 'approve', at + 1);
        await decide(first, 'alice', 'skip', at + 2);
        await decide(second, 'alice', 'approve', at + 3);
        await decide(third, 'alice', 'correct', at + 4);
        await decide(elsewhere, 'carol', 'approve', at + 5);
        // in code-point order on both databases (Postgres's locale would put Zed last)
        await decide(third, 'Zed', 'approve', at + 6);
        const progress = await registry.review.progress('q');
        expect(progress).toEqual({
          items: 3,
          reviewed: 2,
          reviewers: {
            Zed: { approve: 1 },
            alice: { approve: 1, correct: 1, skip: 1 },
            bob: { approve: 1, reject: 1 },
          },
        });
        expect(Object.keys(progress.reviewers)).toEqual(['Zed', 'alice', 'bob']);
        expect(Object.keys(progress.reviewers.bob!)).toEqual(['approve', 'reject']);
      } finally {
        await registry.close();
      }
    });

    it('takes skips without counting them, and checks decisions against the rubric', async () => {
      const registry = await open();
      try {
        await registry.review.createQueue({
          name: 'q',
          task: 'name',
          actor: 'ada',
          config: { rubric: [{ name: 'tone', kind: 'categorical', categories: ['formal', 'casual'] }] },
        });
        await registry.review.addItems('q', items(2));
        const first = (await registry.review.next('q', 'alice', at))!;
        await registry.review.decide(first.id, 'alice', { decision: 'skip' }, at);
        expect(await registry.review.getItem(first.id)).toMatchObject({ reviewsDone: 0, reservedBy: null });
        // skipped by alice: she moves on, bob still gets it
        expect((await registry.review.next('q', 'alice', at))?.id).not.toBe(first.id);
        expect((await registry.review.next('q', 'bob', at))?.id).toBe(first.id);
        const bad = [
          { decision: 'maybe' },
          { decision: 'correct' },
          { decision: 'approve', correction: 'x' },
          { decision: 'approve', rubric: { tone: 'rude' } },
          { decision: 'approve', rubric: { length: 3 } },
        ];
        for (const decision of bad)
          await expect(registry.review.decide(first.id, 'bob', decision as never, at)).rejects.toMatchObject({
            code: 'REVIEW_INVALID',
          });
        expect(await registry.review.decisions('q')).toHaveLength(1); // refusals leave nothing
        const progress = await registry.review.progress('q');
        expect(progress).toEqual({ items: 2, reviewed: 0, reviewers: { alice: { skip: 1 } } });
      } finally {
        await registry.close();
      }
    });
  });
}
