// The guards and decoding sections of a task spec, as data: which validators check a task's inputs
// and outputs, what happens when one fails, and whether local models decode under a constraint. The
// guard layer turns these into validators and runs them; nothing here checks text.
import { z } from 'zod';

/** What happens when a validator fails (Guardrails AI's on-fail actions). */
export const onFailPolicy = z
  .enum(['exception', 'reask', 'fix', 'fix_reask', 'filter', 'refrain', 'noop'])
  .describe(
    'exception: a coded error; reask: ask the model again with the errors; fix: repair deterministically; fix_reask: fix, else reask; filter: drop what offends; refrain: answer the fallback; noop: record only',
  );

const common = {
  name: z.string().min(1).optional().describe('Name in reports and scores (default: the validator)'),
  onFail: onFailPolicy.default('noop'),
};

const piiKind = z.enum(['email', 'phone', 'card', 'iban', 'national-id', 'ip', 'secret']);

/** One validator with its options and on-fail policy. */
export const validatorSpec = z.discriminatedUnion('validator', [
  z
    .object({
      validator: z.literal('json-schema'),
      ...common,
      schema: z.record(z.string(), z.unknown()).optional().describe("Default: the task's output schema"),
    })
    .strict(),
  z
    .object({
      validator: z.literal('labels'),
      ...common,
      labels: z.array(z.string()).min(1).optional().describe("Default: the task's labels"),
      caseSensitive: z.boolean().default(false),
    })
    .strict(),
  z
    .object({
      validator: z.literal('regex'),
      ...common,
      pattern: z.string().min(1),
      flags: z
        .string()
        .regex(/^[imsu]*$/, 'flags among i, m, s, u')
        .default(''),
      mode: z
        .enum(['match', 'forbid'])
        .default('match')
        .describe('match: the whole output must match; forbid: no part may match'),
    })
    .strict(),
  z
    .object({
      validator: z.literal('length'),
      ...common,
      minCharacters: z.number().int().min(0).optional(),
      maxCharacters: z.number().int().min(0).optional(),
      minTokens: z.number().int().min(0).optional(),
      maxTokens: z.number().int().min(0).optional(),
    })
    .strict(),
  z
    .object({
      validator: z.literal('banned'),
      ...common,
      phrases: z.array(z.string().min(1)).min(1),
      caseSensitive: z.boolean().default(false),
      wholeWords: z.boolean().default(true),
    })
    .strict(),
  z
    .object({
      validator: z.literal('pii'),
      ...common,
      kinds: z.array(piiKind).min(1).optional().describe('Default: every kind'),
    })
    .strict(),
  z.object({ validator: z.literal('refusal'), ...common }).strict(),
  z
    .object({
      validator: z.literal('custom'),
      ...common,
      module: z.string().min(1).describe('A .js/.mjs file, relative to the spec'),
      export: z.string().default('default'),
    })
    .strict(),
  z
    .object({
      validator: z.literal('judge'),
      ...common,
      rubric: z.string().min(1).describe('What a passing output must satisfy'),
      threshold: z.number().min(0).max(1).default(0.5).describe('Lowest passing score, 0 to 1'),
    })
    .strict(),
]);

/** A task's guards: validators on the input (before the model) and on the output (after it). */
export const guardsSpec = z
  .object({
    input: z.array(validatorSpec).default([]),
    output: z.array(validatorSpec).default([]),
    maxReasks: z.number().int().min(0).max(10).default(1).describe('Most re-asks per request'),
    refrain: z.string().default('').describe('The answer given when a `refrain` validator fails'),
  })
  .strict();

/** A constraint that local models decode under: a label set, a regular expression or a JSON Schema. */
export const constraintSpec = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('choice'), choices: z.array(z.string().min(1)).min(1) }).strict(),
  z.object({ kind: z.literal('regex'), pattern: z.string().min(1) }).strict(),
  z.object({ kind: z.literal('json-schema'), schema: z.record(z.string(), z.unknown()) }).strict(),
]);

/** How local models decode: `constrain: true` derives the constraint from the output (labels or schema). */
export const decodingSpec = z
  .object({
    constrain: z.union([z.boolean(), constraintSpec]).default(false),
  })
  .strict();

/** A validator entry of a task spec. */
export type ValidatorSpec = z.infer<typeof validatorSpec>;
/** A task spec's guards section (defaults filled in). */
export type GuardsSpec = z.infer<typeof guardsSpec>;
/** An on-fail policy. */
export type OnFailPolicy = z.infer<typeof onFailPolicy>;
/** A decoding constraint as data. */
export type ConstraintSpec = z.infer<typeof constraintSpec>;
/** A PII kind a `pii` validator looks for. */
export type PiiKind = z.infer<typeof piiKind>;
