// The task spec: what a task's inputs and outputs are, how its prompt is built, how outputs are scored
// and where its data lives. Validated with zod; `npm run schema` publishes it as JSON Schema
// (schemas/task.schema.json) for editors. Loading files is load-task.ts's job.
import { z } from 'zod';
import { auditSpec } from './audit-policy-spec.js';
import { decodingSpec, guardsSpec } from './guard-spec.js';

const metricName = z.enum([
  'exact-match',
  'contains',
  'regex',
  'token-f1',
  'label',
  'json',
  'rouge-l',
  'bleu',
  'judge',
  'custom',
]);

/** One metric with its weight in the combined score and its own options. */
export const metricSpec = z
  .object({
    name: metricName.describe('Which metric'),
    weight: z.number().min(0).default(1).describe('Weight in the combined score (0: reported, not scored)'),
    options: z
      .record(z.string(), z.unknown())
      .default({})
      .describe("The metric's options (see docs/metrics.md)"),
  })
  .strict();

/** A few-shot demonstration: input fields and the expected output. */
export const demoSpec = z.record(z.string(), z.unknown());

/** The zod schema of a task spec (YAML or JSON); `schemas/task.schema.json` is generated from it. */
export const taskSpec = z
  .object({
    $schema: z.string().optional(),
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lowercase letters, digits, ".", "_" and "-"')
      .describe('Task name'),
    description: z.string().default(''),
    input: z
      .object({ fields: z.array(z.string()).min(1).describe('Input field names, as used in the template') })
      .strict()
      .default({ fields: ['input'] }),
    output: z
      .discriminatedUnion('kind', [
        z.object({ kind: z.literal('text') }).strict(),
        z.object({ kind: z.literal('label'), labels: z.array(z.string()).min(2) }).strict(),
        z.object({ kind: z.literal('json'), schema: z.record(z.string(), z.unknown()) }).strict(),
      ])
      .default({ kind: 'text' }),
    prompt: z
      .object({
        system: z.string().optional().describe('System text (chat models)'),
        template: z.string().describe('The prompt, with {{field}} placeholders'),
        demos: z
          .array(demoSpec)
          .default([])
          .describe('Few-shot demonstrations, each with the input fields and the target'),
        demoSeparator: z.string().default('\n\n'),
      })
      .strict(),
    metrics: z
      .array(metricSpec)
      .min(1)
      .default([{ name: 'exact-match', weight: 1, options: {} }]),
    data: z
      .object({
        train: z.string().optional(),
        dev: z.string().optional(),
        test: z.string().optional(),
        file: z.string().optional().describe('One file to split by `split` instead of declared split files'),
        split: z
          .object({
            seed: z.number().int().default(0),
            train: z.number().min(0),
            dev: z.number().min(0),
            test: z.number().min(0),
          })
          .strict()
          .optional(),
        targetField: z.string().default('target'),
      })
      .strict()
      .default({ targetField: 'target' }),
    generation: z
      .object({
        maxTokens: z.number().int().positive().default(64),
        temperature: z.number().min(0).default(0),
        topP: z.number().gt(0).max(1).optional(),
        stop: z.array(z.string()).default([]),
        seed: z.number().int().default(0),
      })
      .strict()
      .default({ maxTokens: 64, temperature: 0, stop: [], seed: 0 }),
    guards: guardsSpec.optional().describe('Validators on inputs and outputs, with on-fail policies'),
    decoding: decodingSpec.optional().describe('Constrained decoding for local models'),
    audit: auditSpec
      .optional()
      .describe('Audit policy: what a version must show before a guarded label moves'),
  })
  .strict();

/** A validated task spec (defaults filled in). */
export type TaskSpec = z.infer<typeof taskSpec>;
/**
 * A task spec as written (a YAML file's object, or one built in code): defaults left out, as
 * `taskSpec.parse` and `taskFromObject` take it and fill them in.
 */
export type TaskSpecInput = z.input<typeof taskSpec>;
/** A metric entry of a task spec: name, weight and options. */
export type MetricSpec = z.infer<typeof metricSpec>;
/** The name of a built-in metric (see docs/metrics.md). */
export type MetricName = z.infer<typeof metricName>;
