// The schema of a queue's config as files and HTTP bodies give it (reviews per item, reservation time,
// rubric, reviewers, rules); the registry checks it again when it stores a queue.
import { z } from 'zod';
import { reviewRule } from './feed.js';

const name = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lowercase letters, digits, ".", "_" and "-"')
  .max(100);

/** One rubric question. */
export const rubricItemSchema = z.strictObject({
  name,
  kind: z.enum(['numeric', 'boolean', 'categorical']),
  minimum: z.number().optional(),
  maximum: z.number().optional(),
  categories: z.array(z.string().min(1).max(100)).min(1).max(50).optional(),
});

/** A queue's config, every field optional (the registry's defaults fill them). */
export const queueConfigSchema = z.strictObject({
  reviewsPerItem: z.int().min(1).max(20).optional(),
  reservationMs: z.int().min(1000).max(86_400_000).optional(),
  rubric: z.array(rubricItemSchema).max(20).optional(),
  reviewers: z.array(z.string().min(1).max(200)).max(1000).optional(),
  rules: z.array(reviewRule).max(20).optional(),
});
