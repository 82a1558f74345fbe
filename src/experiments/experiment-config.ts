// How a stored experiment is run: its primary score, its guardrails, its schedule and the test's
// options, read through a schema (from the CLI, an HTTP body, or the registry row) with the defaults
// filled in.
import { z } from 'zod';
import { defaultSchedule } from './canary.js';

/** Guardrail metrics read from the service's traces: higher is worse. */
export const guardrailMetrics = ['errors', 'check-failures', 'latency'] as const;

/**
 * A guardrail: the share of answers the version failed to give (5xx, a guard's refusal, an unservable
 * version), of answers failing an output check, or the latency in seconds.
 */
export type GuardrailMetric = (typeof guardrailMetrics)[number];

/** How a rollout may end its schedule: only on a better primary, or also on no harm done. */
export const promotionRules = ['better', 'no-harm'] as const;

/** One step of a canary's schedule: the treatment's share, held at least this long and this many requests. */
export const canaryStepSchema = z
  .object({
    weight: z.number().gt(0).max(1),
    minimumDurationMs: z.number().int().min(0),
    minimumRequests: z.number().int().min(0),
  })
  .strict();

/** An experiment's configuration as stored (every default filled). */
export const experimentConfigSchema = z
  .object({
    /** The score (by name: feedback, an online evaluator, review) whose mean is the primary metric. */
    primary: z.string().min(1).max(200),
    guardrails: z.array(z.enum(guardrailMetrics)).default([...guardrailMetrics]),
    schedule: z.array(canaryStepSchema).min(1).max(20).default(defaultSchedule),
    promoteWhen: z.enum(promotionRules).default('better'),
    /**
     * With `no-harm`: how much lower the treatment's primary mean may be, on its scale, and still
     * promote when the schedule completes; promotion waits until the always-valid confidence sequence
     * shows the difference above minus this.
     */
    margin: z.number().min(0).max(1_000_000).default(0.05),
    alpha: z.number().gt(0).lt(0.5).default(0.05),
    /** The mixture's standard deviation over effect sizes of the primary metric, on its scale. */
    mixture: z.number().positive().default(0.1),
    /** The same for each guardrail: error and check-failure rates, and latency in seconds. */
    guardrailMixtures: z
      .record(z.enum(guardrailMetrics), z.number().positive())
      .default({ errors: 0.05, 'check-failures': 0.05, latency: 0.5 }),
    /**
     * How much worse a guardrail may be, on its scale, before it rolls back (default 0: any significant
     * rise): a rollback needs the difference's always-valid lower bound above it.
     */
    guardrailMargins: z.partialRecord(z.enum(guardrailMetrics), z.number().min(0).max(1_000_000)).default({}),
    minimumPerArm: z.number().int().min(1).default(100),
    maximumObservations: z.number().int().min(1).default(20_000),
    /** A look that only holds is stored at most this often (looks that change anything always are). */
    holdRecordMs: z.number().int().min(0).default(60_000),
  })
  .strict();

/**
 * What a new experiment's configuration must also be (a stored one is read as it was written, so an
 * experiment started by an older release still runs): shares that rise, since a falling step would move
 * users back to the control, each below 1, since 100% is the promotion and a step must leave control
 * traffic to compare with; each guardrail named once. Undefined when it is, else why not.
 */
export function newConfigProblem(config: ExperimentConfig): string | undefined {
  const weights = config.schedule.map((step) => step.weight);
  if (weights.some((weight) => weight >= 1)) return "a step's share must be below 1 (100% is the promotion)";
  if (weights.some((weight, index) => index > 0 && weight <= weights[index - 1]))
    return "the schedule's shares must rise from step to step";
  if (new Set(config.guardrails).size !== config.guardrails.length) return 'a guardrail is named twice';
  return undefined;
}

/** A stored experiment's configuration. */
export type ExperimentConfig = z.infer<typeof experimentConfigSchema>;

/** What a caller gives: the primary score, the rest optional. */
export type ExperimentConfigInput = z.input<typeof experimentConfigSchema>;
