// Human review in the registry: queues (a task's items to review, with a rubric, how many reviewers
// each item needs, how long a reservation lasts, and who may review), the items they hold (a trace or a
// row, its input and output as stored, never more), reservations, and decisions. Taking the next item
// reserves it with a conditional update, so two reviewers never hold the same item, on SQLite or
// Postgres; a decision is written the moment it is sent, and one sent after its reservation lapsed is
// kept unless another reviewer holds the item. What queues feed on and what decisions become (agreement,
// datasets) is src/review's business; this file stores them.
import { randomBytes } from 'node:crypto';
import type { ExpressionBuilder, Kysely } from 'kysely';
import { NotFoundError, ValidationError } from '../errors/index.js';
import type { Dialect } from './migrations.js';
import type { RegistryWrite } from './access-keys.js';
import { namePattern } from './records.js';
import type { RegistryDatabase, ReviewItemTable } from './schema.js';

/** One rubric question, answered per item: a number in a range, yes or no, or one of some categories. */
export interface RubricItem {
  name: string;
  kind: 'numeric' | 'boolean' | 'categorical';
  minimum?: number;
  maximum?: number;
  categories?: string[];
}

/** How a queue works. */
export interface ReviewQueueConfig {
  /** Decisions (other than skip) each item needs from different reviewers (default 1). */
  reviewsPerItem: number;
  /** How long taking an item reserves it (default 10 minutes). */
  reservationMs: number;
  rubric: RubricItem[];
  /** Who may review: key names (empty: any key with the review or admin scope). */
  reviewers: string[];
  /** What feeds the queue (src/review's rules, stored as given). */
  rules: Record<string, unknown>[];
}

/** A queue. */
export interface ReviewQueue extends ReviewQueueConfig {
  name: string;
  task: string;
  actor: string;
  createdAt: number;
}

/** An item to add to a queue. */
export interface ReviewItemInput {
  /** The trace under review (an item is added once per trace and queue); none for rows added by hand. */
  traceId?: string | null;
  /** The rule that queued it ("manual" by default). */
  reason?: string;
  input: unknown;
  output: string | null;
  /** What the reviewer sees beside it: version, label, check results, scores. */
  context?: Record<string, unknown>;
}

/** An item in a queue. */
export interface ReviewItem {
  id: string;
  queue: string;
  traceId: string | null;
  reason: string;
  input: unknown;
  output: string | null;
  context: Record<string, unknown>;
  reviewsNeeded: number;
  reviewsDone: number;
  reservedBy: string | null;
  reservedUntil: number | null;
  createdAt: number;
}

/** What a reviewer decided. */
export const reviewDecisions = ['approve', 'correct', 'reject', 'skip'] as const;
/** One of reviewDecisions. */
export type ReviewDecisionKind = (typeof reviewDecisions)[number];

/** A decision as sent. */
export interface ReviewDecisionInput {
  decision: ReviewDecisionKind;
  /** The corrected output (text, or a JSON value for a JSON task); required with `correct`. */
  correction?: unknown;
  /** Answers to the queue's rubric, by rubric item name. */
  rubric?: Record<string, number | boolean | string>;
  comment?: string;
}

/** A stored decision. */
export interface ReviewDecision extends ReviewDecisionInput {
  item: string;
  reviewer: string;
  rubric: Record<string, number | boolean | string>;
  /** When it was made (its latest revision). */
  at: number;
  /** When the reviewer first decided the item: a revision keeps it. */
  firstAt: number;
}

const defaults = { reviewsPerItem: 1, reservationMs: 600_000 };

// items are handed out oldest first, by time and then id: ids made in one process sort in the order
// they were made, even within one millisecond (random bytes keep ids of different processes apart)
let itemSequence = 0;
const itemId = (at: number) =>
  `item-${at}-${String(++itemSequence).padStart(10, '0')}-${randomBytes(4).toString('hex')}`;

const invalid = (message: string, hint: string) =>
  new ValidationError(message, { code: 'REVIEW_INVALID', hint });

/** The review queues, items and decisions in one registry database. */
export class ReviewStore {
  constructor(
    private readonly database: Kysely<RegistryDatabase>,
    private readonly write: RegistryWrite,
    private readonly clock: () => number = Date.now,
    private readonly dialect: Dialect = 'sqlite',
  ) {}

  /** Creates a queue for `task` (an existing queue of that name is refused). */
  async createQueue(input: {
    name: string;
    task: string;
    actor: string;
    config?: Partial<ReviewQueueConfig>;
  }): Promise<ReviewQueue> {
    if (!namePattern.test(input.name))
      throw invalid(
        `"${input.name}" cannot name a queue`,
        'Use lowercase letters, digits, ".", "_" and "-".',
      );
    const config = checkConfig({ ...defaults, rubric: [], reviewers: [], rules: [], ...input.config });
    const at = this.clock();
    await this.write(async (transaction) => {
      const existing = await transaction
        .selectFrom('review_queues')
        .select('name')
        .where('name', '=', input.name)
        .executeTakeFirst();
      if (existing)
        throw new ValidationError(`review queue ${input.name} already exists`, {
          code: 'REVIEW_QUEUE_EXISTS',
          hint: 'Pick another name, or add items to the existing queue.',
        });
      await transaction
        .insertInto('review_queues')
        .values({
          name: input.name,
          task: input.task,
          config: JSON.stringify(config),
          actor: input.actor,
          created_at: at,
        })
        .execute();
    });
    return { name: input.name, task: input.task, actor: input.actor, createdAt: at, ...config };
  }

  /** A queue by name. */
  async getQueue(name: string): Promise<ReviewQueue> {
    const row = await this.database
      .selectFrom('review_queues')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    if (!row) throw queueNotFound(name);
    return toQueue(row);
  }

  /**
   * Replaces who reviews `name`: key names, or none for any key with the review scope. Items held by a
   * reviewer it no longer names are given back at once (their decisions stay); an admin's are kept, as
   * an admin may decide in any queue.
   */
  async setReviewers(name: string, reviewers: string[]): Promise<ReviewQueue> {
    for (const reviewer of reviewers)
      if (reviewer.trim() === '' || reviewer !== reviewer.trim() || reviewer.length > 200)
        throw invalid(`reviewer "${reviewer}"`, 'Name reviewers by their keys’ names (promptune keys ls).');
    const named = [...new Set(reviewers)];
    return this.write(async (transaction) => {
      const row = await transaction
        .selectFrom('review_queues')
        .selectAll()
        .where('name', '=', name)
        .executeTakeFirst();
      if (!row) throw queueNotFound(name);
      const queue = { ...toQueue(row), reviewers: named };
      const { name: _name, task: _task, actor: _actor, createdAt: _createdAt, ...config } = queue;
      await transaction
        .updateTable('review_queues')
        .set({ config: JSON.stringify(config) })
        .where('name', '=', name)
        .execute();
      if (named.length > 0) {
        const admins = (
          await transaction
            .selectFrom('access_keys')
            .select(['name', 'scopes'])
            .where('revoked_at', 'is', null)
            .execute()
        )
          .filter((key) => key.scopes.split(',').includes('admin'))
          .map((key) => key.name);
        await transaction
          .updateTable('review_items')
          .set({ reserved_by: null, reserved_until: null })
          .where('queue', '=', name)
          .where('reserved_by', 'is not', null)
          .where('reserved_by', 'not in', [...named, ...admins])
          .execute();
      }
      return queue;
    });
  }

  /** Every queue, by name; with `reviewer`, only the queues that reviewer is assigned to (or open to all). */
  async listQueues(reviewer?: string): Promise<ReviewQueue[]> {
    const rows = await this.database.selectFrom('review_queues').selectAll().orderBy('name').execute();
    const queues = rows.map(toQueue);
    return reviewer === undefined ? queues : queues.filter((queue) => mayReview(queue, reviewer));
  }

  /** Adds items to a queue; a trace already in the queue is not added again. Returns the items added. */
  async addItems(queue: string, items: ReviewItemInput[], at = this.clock()): Promise<ReviewItem[]> {
    const { reviewsPerItem } = await this.getQueue(queue);
    const rows: ReviewItemTable[] = items.map((item) => ({
      id: itemId(at),
      queue,
      trace_id: item.traceId ?? null,
      reason: item.reason ?? 'manual',
      input: json(item.input, 'input'),
      output: item.output,
      context: json(item.context ?? {}, 'context'),
      reviews_needed: reviewsPerItem,
      reviews_done: 0,
      reserved_by: null,
      reserved_until: null,
      created_at: at,
    }));
    return this.write(async (transaction) => {
      const traces = rows.flatMap((row) => (row.trace_id === null ? [] : [row.trace_id]));
      const known = new Set<string>();
      for (let from = 0; from < traces.length; from += 300) {
        const found = await transaction
          .selectFrom('review_items')
          .select('trace_id')
          .where('queue', '=', queue)
          .where('trace_id', 'in', traces.slice(from, from + 300))
          .execute();
        for (const row of found) known.add(row.trace_id!);
      }
      const fresh = rows.filter((row) => {
        if (row.trace_id === null) return true;
        if (known.has(row.trace_id)) return false;
        known.add(row.trace_id); // the same trace twice in one call is one item
        return true;
      });
      for (let from = 0; from < fresh.length; from += 100)
        await transaction
          .insertInto('review_items')
          .values(fresh.slice(from, from + 100))
          .execute();
      return fresh.map(toItem);
    });
  }

  /** A queue's items, oldest first (queues are reviewed by people: thousands of items, not millions). */
  async items(queue: string): Promise<ReviewItem[]> {
    await this.getQueue(queue);
    const rows = await this.database
      .selectFrom('review_items')
      .selectAll()
      .where('queue', '=', queue)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toItem);
  }

  /** An item by id. */
  async getItem(id: string): Promise<ReviewItem> {
    const row = await this.database
      .selectFrom('review_items')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw itemNotFound(id);
    return toItem(row);
  }

  /**
   * Reserves and returns the oldest item `reviewer` may take: it still needs reviews, the reviewer has
   * not decided it (or skipped it), and nobody else holds an unexpired reservation. Undefined when none.
   * An admin (`options.admin`) may review any queue, to adjudicate; others only the ones they are assigned.
   */
  async next(
    queue: string,
    reviewer: string,
    now = this.clock(),
    options: { admin?: boolean } = {},
  ): Promise<ReviewItem | undefined> {
    const config = await this.getQueue(queue);
    if (!options.admin && !mayReview(config, reviewer)) throw notAssigned(queue, reviewer);
    for (let attempt = 0; attempt < 20; attempt++) {
      const candidate = await this.database
        .selectFrom('review_items')
        .selectAll()
        .where('queue', '=', queue)
        .where(freeFor(reviewer, now))
        .where(stillNeeded(reviewer))
        .orderBy('created_at')
        .orderBy('id')
        .limit(1)
        .executeTakeFirst();
      if (!candidate) return undefined;
      const until = now + config.reservationMs;
      // taken only if still free: a reviewer who raced us leaves no row updated, and we look again
      const taken = await this.write((transaction) =>
        transaction
          .updateTable('review_items')
          .set({ reserved_by: reviewer, reserved_until: until })
          .where('id', '=', candidate.id)
          .where(freeFor(reviewer, now))
          .where(stillNeeded(reviewer))
          .executeTakeFirst(),
      );
      if (Number(taken.numUpdatedRows) === 1)
        return toItem({ ...candidate, reserved_by: reviewer, reserved_until: until });
    }
    throw new ValidationError(`review queue ${queue} is too contended to reserve an item`, {
      code: 'REVIEW_BUSY',
      hint: 'Try again in a moment.',
    });
  }

  /**
   * Reserves one item for `reviewer` unless another holds an unexpired reservation on it, whatever its
   * reviews: an admin settling a disputed item (whose ratings are all in) holds it as a reviewer holds
   * theirs. The item reserved, or undefined when another holds it.
   */
  async reserve(id: string, reviewer: string, now = this.clock()): Promise<ReviewItem | undefined> {
    const item = await this.getItem(id);
    const until = now + (await this.getQueue(item.queue)).reservationMs;
    const taken = await this.write((transaction) =>
      transaction
        .updateTable('review_items')
        .set({ reserved_by: reviewer, reserved_until: until })
        .where('id', '=', id)
        .where(freeFor(reviewer, now))
        .executeTakeFirst(),
    );
    return Number(taken.numUpdatedRows) === 1
      ? { ...item, reservedBy: reviewer, reservedUntil: until }
      : undefined;
  }

  /** Gives an item back (the reviewer's reservation ends; nothing else changes). */
  async release(id: string, reviewer: string): Promise<void> {
    await this.write((transaction) =>
      transaction
        .updateTable('review_items')
        .set({ reserved_by: null, reserved_until: null })
        .where('id', '=', id)
        .where('reserved_by', '=', reviewer)
        .execute(),
    );
  }

  /**
   * Records `reviewer`'s decision on an item, at once. Refused when another reviewer holds it; kept
   * when the reviewer's own reservation lapsed and nobody took the item since. Deciding again replaces
   * the earlier decision. The item's reservation ends. `options.admin` as for next.
   */
  async decide(
    id: string,
    reviewer: string,
    input: ReviewDecisionInput,
    now = this.clock(),
    options: { admin?: boolean } = {},
  ): Promise<ReviewDecision> {
    const item = await this.getItem(id);
    return this.write(async (transaction) => {
      // who may review, read with the decision: a reviewer dropped from the queue meanwhile is refused
      // on Postgres the row is share-locked: a reassignment waits for the decision, or the decision for it
      // (SQLite's write transaction runs alone already)
      let read = transaction.selectFrom('review_queues').selectAll().where('name', '=', item.queue);
      if (this.dialect === 'postgres') read = read.forShare();
      const stored = await read.executeTakeFirst();
      if (!stored) throw queueNotFound(item.queue);
      const queue = toQueue(stored);
      if (!options.admin && !mayReview(queue, reviewer)) throw notAssigned(queue.name, reviewer);
      const rubric = checkDecision(input, queue);
      const row = await transaction
        .selectFrom('review_items')
        .select(['reserved_by', 'reserved_until'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      // an admin decides any item, one another reviewer holds too (whose reservation it leaves them):
      // a reviewer whose key was revoked mid-item does not block it until the reservation lapses
      const heldByAnother =
        !options.admin &&
        row.reserved_by !== null &&
        row.reserved_by !== reviewer &&
        Number(row.reserved_until) >= now;
      if (heldByAnother)
        throw new ValidationError(`item ${id} is reserved by another reviewer`, {
          code: 'REVIEW_RESERVED',
          hint: 'Take the next item instead (its reservation ends when they decide or it expires; an admin may decide it meanwhile).',
        });
      const earlier = await transaction
        .selectFrom('review_decisions')
        .select(['decision', 'first_at', 'at'])
        .where('item', '=', id)
        .where('reviewer', '=', reviewer)
        .executeTakeFirst();
      // a reviewer decides the items it was handed (its reservation, lapsed or not, until someone else
      // takes the item) or changes its own decision; an admin may decide any item, to adjudicate
      if (!options.admin && row.reserved_by !== reviewer && !earlier)
        throw new ValidationError(
          `item ${id} is not reserved for ${reviewer}: ${reviewer} was not handed it, or its reservation lapsed and another reviewer has taken it since`,
          {
            code: 'REVIEW_NOT_RESERVED',
            hint: 'Take the next item (next); a reviewer decides the items it is handed.',
          },
        );
      const values = {
        item: id,
        reviewer,
        decision: input.decision,
        correction: input.correction === undefined ? null : json(input.correction, 'correction'),
        rubric: JSON.stringify(rubric),
        comment: input.comment ?? null,
        at: now,
      };
      if (earlier)
        await transaction
          .updateTable('review_decisions')
          .set(values) // first_at stays: a revision is the same rating, not a later one
          .where('item', '=', id)
          .where('reviewer', '=', reviewer)
          .execute();
      else
        await transaction
          .insertInto('review_decisions')
          .values({ ...values, first_at: now })
          .execute();
      // the count is recounted from the decisions (two writes racing cannot make it drift), and only the
      // reviewer's own or a lapsed reservation ends: one another reviewer has just taken stays
      const released = (update: ExpressionBuilder<RegistryDatabase, 'review_items'>) =>
        update.or([update('reserved_by', '=', reviewer), update('reserved_until', '<', now)]);
      await transaction
        .updateTable('review_items')
        .set((update) => ({
          reviews_done: update
            .selectFrom('review_decisions')
            .select((select) => select.fn.countAll<number>().as('done'))
            .where('review_decisions.item', '=', id)
            .where('review_decisions.decision', '!=', 'skip'),
          reserved_by: update.case().when(released(update)).then(null).else(update.ref('reserved_by')).end(),
          reserved_until: update
            .case()
            .when(released(update))
            .then(null)
            .else(update.ref('reserved_until'))
            .end(),
        }))
        .where('id', '=', id)
        .execute();
      const firstAt = earlier ? Number(earlier.first_at ?? earlier.at) : now;
      return { ...input, item: id, reviewer, rubric, at: now, firstAt };
    });
  }

  /** A queue's decisions (skips included), oldest first. */
  async decisions(queue: string): Promise<ReviewDecision[]> {
    const rows = await this.database
      .selectFrom('review_decisions')
      .innerJoin('review_items', 'review_items.id', 'review_decisions.item')
      .select([
        'review_decisions.item',
        'review_decisions.reviewer',
        'review_decisions.decision',
        'review_decisions.correction',
        'review_decisions.rubric',
        'review_decisions.comment',
        'review_decisions.at',
        'review_decisions.first_at',
      ])
      .where('review_items.queue', '=', queue)
      .orderBy('review_decisions.at')
      .orderBy('review_decisions.item')
      .execute();
    return rows.map((row) => ({
      item: row.item,
      reviewer: row.reviewer,
      decision: row.decision as ReviewDecisionKind,
      ...(row.correction !== null && { correction: JSON.parse(row.correction) as unknown }),
      rubric: JSON.parse(row.rubric) as Record<string, number | boolean | string>,
      ...(row.comment !== null && { comment: row.comment }),
      at: Number(row.at),
      firstAt: Number(row.first_at ?? row.at),
    }));
  }

  /**
   * How far a queue is: items, items fully reviewed, and each reviewer's decisions by kind (reviewers,
   * and kinds within each, in alphabetical order), counted by the database: a queue of 20,000 items had
   * every decision read and parsed to be counted here.
   */
  async progress(queue: string): Promise<{
    items: number;
    reviewed: number;
    reviewers: Record<string, Partial<Record<ReviewDecisionKind, number>>>;
  }> {
    await this.getQueue(queue);
    const items = await this.database
      .selectFrom('review_items')
      .select((select) => [
        select.fn.countAll<number>().as('items'),
        select.fn
          .sum<number>(
            select.case().when('reviews_done', '>=', select.ref('reviews_needed')).then(1).else(0).end(),
          )
          .as('reviewed'),
      ])
      .where('queue', '=', queue)
      .executeTakeFirstOrThrow();
    const counted = await this.database
      .selectFrom('review_decisions')
      .innerJoin('review_items', 'review_items.id', 'review_decisions.item')
      .select((select) => [
        'review_decisions.reviewer',
        'review_decisions.decision',
        select.fn.countAll<number | string>().as('count'),
      ])
      .where('review_items.queue', '=', queue)
      .groupBy(['review_decisions.reviewer', 'review_decisions.decision'])
      .execute();
    // sorted here, not by the database: SQLite orders bytes and Postgres its locale ("Bob", "alice")
    const byCode = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    counted.sort((a, b) => byCode(a.reviewer, b.reviewer) || byCode(a.decision, b.decision));
    const reviewers: Record<string, Partial<Record<ReviewDecisionKind, number>>> = {};
    for (const row of counted)
      (reviewers[row.reviewer] ??= {})[row.decision as ReviewDecisionKind] = Number(row.count);
    return { items: Number(items.items), reviewed: Number(items.reviewed ?? 0), reviewers };
  }
}

/** Items `reviewer` may reserve at `now`: nobody holds them, the reviewer does, or the hold lapsed. */
const freeFor =
  (reviewer: string, now: number) => (where: ExpressionBuilder<RegistryDatabase, 'review_items'>) =>
    where.or([
      where('reserved_by', 'is', null),
      where('reserved_by', '=', reviewer),
      where('reserved_until', '<', now),
    ]);

/** Items that still need reviews and that `reviewer` has not decided (or skipped). */
const stillNeeded = (reviewer: string) => (where: ExpressionBuilder<RegistryDatabase, 'review_items'>) =>
  where.and([
    where('reviews_done', '<', where.ref('reviews_needed')),
    where.not(
      where.exists(
        where
          .selectFrom('review_decisions')
          .select('item')
          .whereRef('review_decisions.item', '=', 'review_items.id')
          .where('review_decisions.reviewer', '=', reviewer),
      ),
    ),
  ]);

/** Whether `reviewer` may review `queue`: named in its reviewers, or any reviewer when it names none. */
export const mayReview = (queue: ReviewQueueConfig, reviewer: string): boolean =>
  queue.reviewers.length === 0 || queue.reviewers.includes(reviewer);

function queueNotFound(name: string): NotFoundError {
  return new NotFoundError(`review queue ${name} does not exist`, {
    code: 'REVIEW_QUEUE_NOT_FOUND',
    hint: 'See the queues with promptune review queues (or GET /v1/review/queues).',
  });
}

function checkConfig(config: ReviewQueueConfig): ReviewQueueConfig {
  if (!Number.isInteger(config.reviewsPerItem) || config.reviewsPerItem < 1 || config.reviewsPerItem > 20)
    throw invalid(`${config.reviewsPerItem} reviews per item`, 'Ask for 1 to 20 reviews per item.');
  if (!Number.isInteger(config.reservationMs) || config.reservationMs < 1000)
    throw invalid(`a reservation of ${config.reservationMs} ms`, 'Reserve items for at least a second.');
  const names = new Set<string>();
  for (const item of config.rubric) {
    if (!namePattern.test(item.name) || names.has(item.name))
      throw invalid(`rubric item "${item.name}"`, 'Rubric items have distinct lowercase names.');
    names.add(item.name);
    if (!['numeric', 'boolean', 'categorical'].includes(item.kind))
      throw invalid(
        `rubric item ${item.name} of kind "${item.kind}"`,
        'A rubric item is numeric, boolean or categorical.',
      );
    if (item.kind === 'categorical' && !item.categories?.length)
      throw invalid(
        `rubric item ${item.name} has no categories`,
        'List the categories a reviewer chooses from.',
      );
  }
  return config;
}

function checkDecision(
  input: ReviewDecisionInput,
  queue: ReviewQueue,
): Record<string, number | boolean | string> {
  if (!reviewDecisions.includes(input.decision))
    throw invalid(`decision "${String(input.decision)}"`, `Decide ${reviewDecisions.join(', ')}.`);
  if (input.decision === 'correct' && input.correction === undefined)
    throw invalid(
      'a correction without the corrected output',
      'Send the corrected output with decision correct.',
    );
  if (input.decision !== 'correct' && input.correction !== undefined)
    throw invalid(
      `a ${input.decision} with a correction`,
      'Only decision correct carries a corrected output.',
    );
  const rubric = input.rubric ?? {};
  for (const [name, value] of Object.entries(rubric)) {
    const item = queue.rubric.find((candidate) => candidate.name === name);
    if (!item)
      throw invalid(
        `rubric item "${name}"`,
        `The queue's rubric asks: ${queue.rubric.map((each) => each.name).join(', ') || 'nothing'}.`,
      );
    if (!rubricAnswerFits(item, value))
      throw invalid(`rubric item ${name}: ${JSON.stringify(value)}`, describeRubricItem(item));
  }
  return rubric;
}

/** Whether `value` answers rubric question `item`: a boolean, one of its categories, or a number in its range. */
export function rubricAnswerFits(item: RubricItem, value: unknown): boolean {
  if (item.kind === 'boolean') return typeof value === 'boolean';
  if (item.kind === 'categorical') return typeof value === 'string' && item.categories!.includes(value);
  return (
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (item.minimum === undefined || value >= item.minimum) &&
    (item.maximum === undefined || value <= item.maximum)
  );
}

const describeRubricItem = (item: RubricItem) =>
  item.kind === 'boolean'
    ? `${item.name} is true or false.`
    : item.kind === 'categorical'
      ? `${item.name} is one of ${item.categories!.join(', ')}.`
      : `${item.name} is a number${item.minimum !== undefined ? ` from ${item.minimum}` : ''}${item.maximum !== undefined ? ` to ${item.maximum}` : ''}.`;

function toQueue(row: {
  name: string;
  task: string;
  config: string;
  actor: string;
  created_at: number;
}): ReviewQueue {
  return {
    name: row.name,
    task: row.task,
    actor: row.actor,
    createdAt: Number(row.created_at),
    ...(JSON.parse(row.config) as ReviewQueueConfig),
  };
}

function toItem(row: ReviewItemTable): ReviewItem {
  return {
    id: row.id,
    queue: row.queue,
    traceId: row.trace_id,
    reason: row.reason,
    input: JSON.parse(row.input) as unknown,
    output: row.output,
    context: JSON.parse(row.context) as Record<string, unknown>,
    reviewsNeeded: Number(row.reviews_needed),
    reviewsDone: Number(row.reviews_done),
    reservedBy: row.reserved_by,
    reservedUntil: row.reserved_until === null ? null : Number(row.reserved_until),
    createdAt: Number(row.created_at),
  };
}

/** JSON text of a value (refusing what JSON cannot keep). */
function json(value: unknown, what: string): string {
  const text = JSON.stringify(value);
  if (text === undefined)
    throw invalid(`the ${what} is not JSON`, 'Review items and decisions hold plain JSON.');
  return text;
}

function itemNotFound(id: string): NotFoundError {
  return new NotFoundError(`review item ${id} does not exist`, {
    code: 'REVIEW_ITEM_NOT_FOUND',
    hint: 'Take items with next; their ids come from it.',
  });
}

function notAssigned(queue: string, reviewer: string) {
  return new NotFoundError(`review queue ${queue} does not exist for ${reviewer}`, {
    code: 'REVIEW_QUEUE_NOT_FOUND',
    hint: 'A reviewer sees only the queues they are assigned to; ask an admin to add you (promptune review assign <queue> --reviewers …).',
  });
}
