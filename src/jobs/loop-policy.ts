// A task's closed-loop policy, read from a YAML or JSON file through its schema: what triggers a
// re-tune (new reviewed corrections, a firing alert, a schedule), how to re-tune (soft train or
// optimize, with extra arguments), the offline gate the candidate must pass, and the canary experiment
// that puts it in front of traffic. Paths in it are relative to the policy file's folder, where the
// loop's commands run. It does not run anything (loop-iteration.ts does).
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { readYamlFile } from '../errors/index.js';
import { experimentConfigSchema, promotionRules } from '../experiments/index.js';
import { durationMilliseconds } from '../observe/index.js';

// written as 30m, 12h or 7d; stored (in a loop run's configuration) as milliseconds
const duration = z.union(
  [
    z.number().int().min(1),
    z
      .string()
      .refine((text) => (durationMilliseconds(text) ?? 0) > 0, {
        message: 'expected a duration such as 30m, 12h or 7d',
      })
      .transform((text) => durationMilliseconds(text)!),
  ],
  { error: 'expected a duration such as 30m, 12h or 7d (or whole milliseconds)' },
);

/** Options the loop itself gives the re-tune command, which the policy's arguments may not override. */
const loopOwnedOptions = [
  '--push',
  '--label',
  '--admin',
  '--out',
  '--data',
  '--db',
  '--baseline',
  '--model',
  '--task',
];

/** The audits a gate may run on a candidate (those a task's audit policy reads). */
export const gateAudits = ['bias', 'sensitivity'] as const;

/** The closed loop's policy for one task, as stored in a loop run (every default filled). */
export const loopPolicySchema = z
  .object({
    /** The task (its registry name). */
    task: z.string().min(1),
    /** The task's spec file: its prompt, metrics and data layout. */
    spec: z.string().min(1),
    /** The model re-tuned and evaluated: local:<path> (soft prompts need a local model), openai:…, … */
    model: z.string().min(1),
    /** The label the loop may move (through a canary). */
    label: z.string().min(1).default('production'),
    trigger: z
      .object({
        /** The review queue whose agreed corrections become the next dataset version. */
        queue: z.string().min(1).optional(),
        /** Re-tune once this many new rows are waiting in the queue. */
        corrections: z.number().int().min(1).default(20),
        /** Re-tune when one of these alert rules starts firing. */
        alerts: z.array(z.string().min(1)).default([]),
        /** Re-tune at least this often (since the last loop iteration started). */
        every: duration.optional(),
      })
      .strict()
      .refine((trigger) => trigger.queue || trigger.alerts.length > 0 || trigger.every !== undefined, {
        message: 'name a review queue, alert rules or a schedule (every) to trigger on',
      }),
    retune: z
      .object({
        method: z.enum(['soft', 'optimize']).default('soft'),
        /** More arguments for the command (soft train or optimize), e.g. [--epochs, '4']. */
        args: z
          .array(z.string())
          .default([])
          .refine((args) => !args.some((arg) => loopOwnedOptions.includes(arg.split('=')[0])), {
            message: `the loop gives ${loopOwnedOptions.join(', ')} itself: a promotion goes through the gate and the canary`,
          }),
      })
      .strict()
      .prefault({}),
    gate: z
      .object({
        /** The split both versions are scored on (test stays the curated one across dataset versions). */
        split: z.enum(['dev', 'test']).default('test'),
        /** The candidate's score minus production's, on the same examples, must reach this. */
        minimumGain: z.number().min(-1).max(1).default(0),
        /** And the candidate's score this, when given. */
        minimumScore: z.number().min(0).max(1).optional(),
        /** And the paired difference significant at 5%. */
        significant: z.boolean().default(false),
        /** Audits run on the candidate, which must then meet the task's audit policy. */
        audits: z.array(z.enum(gateAudits)).default([]),
      })
      .strict()
      .prefault({}),
    canary: experimentConfigSchema
      .extend({
        promoteWhen: z.enum(promotionRules).default('no-harm'),
        /** Stop the experiment (nothing promoted) when it has not ended by then. */
        timeout: duration.prefault('7d'),
      })
      .strict(),
  })
  .strict();

/** A closed-loop policy. */
export type LoopPolicy = z.infer<typeof loopPolicySchema>;

/** A policy with where it was read from: its commands run in `folder`. */
export interface LoopPolicyFile {
  path: string;
  folder: string;
  policy: LoopPolicy;
}

/** Reads a policy file (YAML or JSON) through the schema. */
export function readLoopPolicy(path: string): LoopPolicyFile {
  const policy = readYamlFile(path, loopPolicySchema, {
    where: `loop policy ${path}`,
    code: 'LOOP_POLICY_INVALID',
    hint: 'See the policy fields in docs/loop.md.',
    notFoundCode: 'LOOP_POLICY_NOT_FOUND',
    notFoundHint: 'Pass the path of a YAML policy file (see docs/loop.md).',
  });
  return { path: resolve(path), folder: dirname(resolve(path)), policy };
}
