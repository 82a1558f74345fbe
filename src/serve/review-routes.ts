// The review routes (/v1/review/...). Keys with the review scope see and decide only the queues they are
// assigned to (a queue they are not assigned to is as absent as a missing one) and nothing else of the
// service; admins create queues, add and feed items, read decisions and write corrections as dataset
// versions. A reviewer is named by their key's name. Bodies and queries are read through schemas; the
// work is src/review's and the registry's.
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { NotFoundError, PermissionError, ValidationError } from '../errors/index.js';
import { timeWindow } from '../observe/index.js';
import { mayReview, type Registry, type ReviewQueue, type Scope } from '../registry/index.js';
import {
  addEvaluationFailures,
  addTraces,
  correctionsToDataset,
  pendingCorrections,
  createReviewQueue,
  decideItem,
  disputedItems,
  feedQueue,
  judgeCalibration,
  nextDisputed,
  queueAgreement,
  reviewItemView,
} from '../review/index.js';
import { accessKeyOf } from './auth.js';
import { readBody, RequestBodyError } from './request-body.js';
import { checkFields } from './task-model.js';
import { parseQuery } from './request-query.js';
import { noQuery } from './request-schemas.js';
import {
  calibrationQuery,
  correctionsRequest,
  decisionRequest,
  feedRequest,
  itemsAddRequest,
  nextQuery,
  queueCreateRequest,
  reviewersRequest,
} from './review-schemas.js';
import type { ServiceEnv } from './service-env.js';

/** Adds the review routes to the service's app. */
export function reviewRoutes(
  app: Hono<ServiceEnv>,
  options: { registry: Registry; scope: (name: Scope | Scope[]) => MiddlewareHandler<ServiceEnv> },
): void {
  const { registry, scope } = options;
  const reviewer = (context: Context<ServiceEnv>) => accessKeyOf(context)!.name;
  const isAdmin = (context: Context<ServiceEnv>) => accessKeyOf(context)!.scopes.includes('admin');

  /** The queue, when the key may see it: assigned to it, or an admin. */
  async function visibleQueue(context: Context<ServiceEnv>, name: string): Promise<ReviewQueue> {
    const queue = await registry.review.getQueue(name);
    if (!isAdmin(context) && !mayReview(queue, reviewer(context)))
      throw new NotFoundError(`review queue ${name} does not exist`, {
        code: 'REVIEW_QUEUE_NOT_FOUND',
        hint: 'A reviewer sees only the queues they are assigned to; ask an admin to add you (promptune review assign <queue> --reviewers …).',
      });
    return queue;
  }

  const withProgress = async (queue: ReviewQueue, name: string) => {
    const progress = await registry.review.progress(queue.name);
    const mine = progress.reviewers[name] ?? {};
    return { ...queue, progress: { ...progress, mine: Object.values(mine).reduce((sum, n) => sum + n, 0) } };
  };

  app.get('/v1/review/queues', scope('review'), async (context) => {
    const queues = await registry.review.listQueues(isAdmin(context) ? undefined : reviewer(context));
    return context.json({
      data: await Promise.all(queues.map((queue) => withProgress(queue, reviewer(context)))),
    });
  });

  app.post('/v1/review/queues', scope('admin'), async (context) => {
    const body = await readBody(
      context,
      queueCreateRequest,
      'Send { "name", "task", "reviewsPerItem"?, "reservationMs"?, "rubric"?, "reviewers"?, "rules"? }.',
    );
    const { name, task, ...config } = body;
    return context.json(
      await createReviewQueue(registry, { name, task, actor: reviewer(context), config }),
      201,
    );
  });

  app.get('/v1/review/queues/:name', scope('review'), async (context) =>
    context.json(
      await withProgress(await visibleQueue(context, context.req.param('name')), reviewer(context)),
    ),
  );

  /**
   * Items whose inputs the queue's task reads (its input fields, exactly; a string for a one-field
   * task): an item of other fields could be decided, but never become a row of the task's dataset.
   */
  const readableItems = async <Item extends { input: string | Record<string, unknown> }>(
    queue: ReviewQueue,
    items: Item[],
  ): Promise<Item[]> => {
    const spec = await registry.getTask(queue.task);
    for (const [index, item] of items.entries()) {
      try {
        if (typeof item.input !== 'string') checkFields(spec, item.input);
        else if (spec.input.fields.length !== 1) checkFields(spec, item.input); // a string is one field's text: refused with the fields named
      } catch (error) {
        if (!ValidationError.isInstance(error)) throw error;
        throw new RequestBodyError(`items.${index}.input: ${error.message}`, {
          code: error.code,
          hint: error.hint,
          param: `items.${index}.input`,
        });
      }
    }
    return items;
  };

  app.post('/v1/review/queues/:name/items', scope('admin'), async (context) => {
    const queue = await registry.review.getQueue(context.req.param('name'));
    const body = await readBody(
      context,
      itemsAddRequest,
      'Send { "items": [{ "input", "output" }] }, { "traces": ["<trace id>"] } or { "run": "<evaluation run id>" }.',
    );
    const added = body.traces
      ? await addTraces(registry, queue, body.traces)
      : body.run
        ? await addEvaluationFailures(registry, queue, body.run)
        : await registry.review.addItems(queue.name, await readableItems(queue, body.items!));
    return context.json({ added: added.length, data: added }, 201);
  });

  app.put('/v1/review/queues/:name/reviewers', scope('admin'), async (context) => {
    const body = await readBody(
      context,
      reviewersRequest,
      'Send { "reviewers": ["<key name>", …] } ([] opens the queue to every key with the review scope).',
    );
    return context.json(
      await withProgress(
        await registry.review.setReviewers(context.req.param('name'), body.reviewers),
        reviewer(context),
      ),
    );
  });

  app.post('/v1/review/queues/:name/feed', scope('admin'), async (context) => {
    const body = await readBody(
      context,
      feedRequest,
      'Send { "since"?: "24h", "until"?: "<time>", "limit"?: <items at most> }.',
    );
    const window = timeWindow(body, Date.now());
    const fed = await feedQueue(registry, context.req.param('name'), window, { limit: body.limit });
    return context.json({
      added: fed.added.length,
      repeated: fed.repeated,
      overLimit: fed.overLimit,
      ...window,
    });
  });

  app.post('/v1/review/queues/:name/next', scope('review'), async (context) => {
    const { disputes } = parseQuery(nextQuery, context.req.query());
    const queue = await visibleQueue(context, context.req.param('name'));
    const admin = isAdmin(context);
    if (disputes) {
      // an admin settling disagreements: the oldest disputed item it has not decided, with its decisions
      if (!admin)
        throw new PermissionError('settling disagreements takes the admin scope', {
          code: 'AUTH_SCOPE',
          hint: 'Reviewers decide blind; an admin key settles the items they disagree on.',
        });
      const disputed = await nextDisputed(registry, queue.name, reviewer(context));
      return context.json(
        disputed ? await reviewItemView(registry, disputed.item, { admin }) : { item: null },
      );
    }
    const item = await registry.review.next(queue.name, reviewer(context), undefined, { admin });
    return context.json(item ? await reviewItemView(registry, item) : { item: null });
  });

  app.get('/v1/review/queues/:name/disputes', scope('admin'), async (context) => {
    parseQuery(noQuery, context.req.query());
    return context.json({ data: await disputedItems(registry, context.req.param('name')) });
  });

  app.get('/v1/review/queues/:name/agreement', scope('review'), async (context) => {
    parseQuery(noQuery, context.req.query());
    const queue = await visibleQueue(context, context.req.param('name'));
    const decisions = await registry.review.decisions(queue.name);
    const answers = {
      spec: await registry.getTask(queue.task),
      items: await registry.review.items(queue.name),
    };
    return context.json({
      queue: queue.name,
      ...queueAgreement(queue, decisions, answers),
      progress: await registry.review.progress(queue.name),
    });
  });

  app.get('/v1/review/queues/:name/decisions', scope('admin'), async (context) =>
    context.json({ data: await registry.review.decisions(context.req.param('name')) }),
  );

  app.get('/v1/review/queues/:name/calibration', scope('admin'), async (context) => {
    const query = parseQuery(calibrationQuery, context.req.query());
    return context.json(await judgeCalibration(registry, context.req.param('name'), query));
  });

  // what writing the corrections now would add, written nowhere (the dashboard shows it beside the button)
  app.get('/v1/review/queues/:name/dataset', scope('admin'), async (context) => {
    parseQuery(noQuery, context.req.query());
    return context.json(
      await pendingCorrections(registry, context.req.param('name'), { actor: reviewer(context) }),
    );
  });

  app.post('/v1/review/queues/:name/dataset', scope('admin'), async (context) => {
    const body = await readBody(
      context,
      correctionsRequest,
      'Send { "base"?: <dataset version>, "splits"?: { "train": 0.8, "dev": 0.2 }, "seed"?: 0 }.',
    );
    const result = await correctionsToDataset(registry, context.req.param('name'), {
      ...body,
      actor: reviewer(context),
    });
    return context.json(result, result.created ? 201 : 200);
  });

  /** The item, when the key may see its queue. */
  const visibleItem = async (context: Context<ServiceEnv>) => {
    const item = await registry.review.getItem(context.req.param('id')!);
    await visibleQueue(context, item.queue).catch(() => {
      throw new NotFoundError(`review item ${item.id} does not exist`, {
        code: 'REVIEW_ITEM_NOT_FOUND',
        hint: 'Take items with POST /v1/review/queues/{name}/next; their ids come from it.',
      });
    });
    return item;
  };

  app.get('/v1/review/items/:id', scope('review'), async (context) =>
    context.json(await reviewItemView(registry, await visibleItem(context), { admin: isAdmin(context) })),
  );

  app.post('/v1/review/items/:id/decision', scope('review'), async (context) => {
    const item = await visibleItem(context);
    const body = await readBody(
      context,
      decisionRequest,
      'Send { "decision": "approve" | "correct" | "reject" | "skip", "correction"?, "rubric"?, "comment"? }.',
    );
    const { correction, ...rest } = body;
    const decision = await decideItem(
      registry,
      item.id,
      reviewer(context),
      { ...rest, ...(correction !== undefined && { correction }) },
      { admin: isAdmin(context) },
    );
    return context.json(decision, 201);
  });

  app.post('/v1/review/items/:id/release', scope('review'), async (context) => {
    const item = await visibleItem(context);
    await registry.review.release(item.id, reviewer(context));
    return context.body(null, 204);
  });
}
