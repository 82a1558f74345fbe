// The bodies and queries of the review routes (/v1/review/...), read through these schemas; the
// queue config's own schema is src/review's.
import { z } from 'zod';
import { queueConfigSchema } from '../review/index.js';

/** POST /v1/review/queues: a queue of a task, with its rubric, reviewers and rules. */
export const queueCreateRequest = queueConfigSchema.extend({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lowercase letters, digits, ".", "_" and "-"')
    .max(100),
  task: z.string().min(1).max(200),
});

/** PUT /v1/review/queues/{name}/reviewers: who reviews the queue (none: every key with the review scope). */
export const reviewersRequest = z.strictObject({
  reviewers: z.array(z.string().min(1).max(200)).max(1000),
});

/** POST /v1/review/queues/{name}/items: input and output by hand, traces by id, or an evaluation's failures. */
export const itemsAddRequest = z
  .strictObject({
    items: z
      .array(
        z.strictObject({
          input: z.union([z.string(), z.record(z.string(), z.unknown())]),
          output: z.string().max(100_000).nullable(),
          context: z.record(z.string(), z.unknown()).optional(),
        }),
      )
      .max(1000)
      .optional(),
    traces: z.array(z.string().min(1).max(200)).max(1000).optional(),
    run: z.string().min(1).max(200).optional(),
  })
  .refine((body) => [body.items, body.traces, body.run].filter((each) => each !== undefined).length === 1, {
    message: 'give exactly one of items, traces or run',
  });

/** POST /v1/review/queues/{name}/feed: the window of traffic the queue's rules are applied to. */
export const feedRequest = z.strictObject({
  since: z.string().max(40).optional(),
  until: z.string().max(40).optional(),
  /** The most items this feed queues (the newest traces first). */
  limit: z.int().min(1).max(100_000).optional(),
});

/** POST /v1/review/items/{id}/decision: approve, correct (with the corrected output), reject or skip. */
export const decisionRequest = z.strictObject({
  decision: z.enum(['approve', 'correct', 'reject', 'skip']),
  correction: z.unknown().optional(),
  rubric: z.record(z.string(), z.union([z.number(), z.boolean(), z.string().max(200)])).optional(),
  comment: z.string().max(10_000).optional(),
});

/** POST /v1/review/queues/{name}/dataset: the version the rows go onto, the split shares and their seed. */
export const correctionsRequest = z.strictObject({
  base: z.int().min(1).optional(),
  splits: z.record(z.string().regex(/^[a-z]+$/), z.number().min(0).max(1)).optional(),
  seed: z
    .int()
    .min(0)
    .max(2 ** 32 - 1)
    .optional(), // as --seed: a larger one would repeat a smaller one
});

/** GET /v1/review/queues/{name}/calibration: the judge's score name (and a threshold for numeric ones). */
export const calibrationQuery = z.strictObject({
  score: z.string().min(1).max(100),
  threshold: z.coerce.number().optional(),
});

/** POST /v1/review/queues/{name}/next: `disputes=1` hands an admin the items reviewers disagree on. */
export const nextQuery = z.strictObject({
  disputes: z
    .enum(['0', '1', 'true', 'false'])
    .optional()
    .transform((value) => value === '1' || value === 'true'),
});
