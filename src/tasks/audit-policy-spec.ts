// The audit policy of a task spec, as data: what audits of a version must show before a guarded label
// (production by default) may point at it. The audit layer checks recorded audits against it; the
// registry applies it when a label moves.
import { z } from 'zod';
import { ValidationError } from '../errors/index.js';

const share = z.number().min(0).max(1);

/** The `audit.policy` section of a task spec. */
export const auditPolicySpec = z
  .object({
    labels: z
      .array(z.string().min(1))
      .min(1)
      .default(['production'])
      .describe('Labels a version must pass the policy to be moved to'),
    models: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe(
        'Audits count only when run on one of these models, as the audit names them (local:…, openai:gpt-4o-mini) or a path’s end (stories260K.gguf): an audit on a stub model does not stand for the served one',
      ),
    minExamples: z
      .number()
      .int()
      .min(1)
      .default(30)
      .describe(
        'Fewest examples an audit must have scored (fewer: it fails, unless one of its kind has enough; a smaller one that misses a threshold still fails)',
      ),
    bias: z
      .object({
        maxFlipRate: share
          .optional()
          .describe('Most examples whose answer changes with the group (0.05: 5%)'),
        flipRateBound: z
          .enum(['estimate', 'upper'])
          .optional()
          .describe(
            "What maxFlipRate bounds: the audit's flip rate (estimate, the default), or the upper end of its 95% interval (upper: a small audit with few flips does not pass by chance)",
          ),
        maxGap: share.optional().describe('Largest difference between two groups’ scores'),
        gapNotSignificant: z.boolean().optional().describe('The largest gap must not be significant'),
        alpha: z
          .number()
          .gt(0)
          .lt(1)
          .default(0.05)
          .describe("The significance level gapNotSignificant tests the audit's p-value at"),
      })
      .strict()
      .optional()
      .describe('Criteria every counted bias audit of the version must meet'),
    sensitivity: z
      .object({
        maxSpread: share.optional().describe('Largest max − min score over formats (0.1: 10 points)'),
      })
      .strict()
      .optional()
      .describe('Criteria every counted sensitivity audit of the version must meet'),
  })
  .strict();

/** The `audit` section of a task spec. */
export const auditSpec = z
  .object({
    policy: auditPolicySpec.optional().describe('What audits must show before a guarded label moves'),
  })
  .strict();

/** A validated audit policy (defaults filled in). */
export type AuditPolicy = z.infer<typeof auditPolicySpec>;

/**
 * Refuses a policy that asks for no audit where a spec is written (a spec file, a push): every version
 * meets it, so the gate it seems to set is not there. Not part of the schema, which stored specs are
 * read through too: one an older promptune stored (it took such a policy) must go on serving.
 */
export function refuseEmptyAuditPolicy(policy: AuditPolicy | undefined, where: string): void {
  if (policy && policy.bias === undefined && policy.sensitivity === undefined)
    throw new ValidationError(
      `${where}: field audit.policy: the policy asks for no audit: give bias and/or sensitivity (e.g. bias: { maxFlipRate: 0.05 })`,
      { code: 'TASK_SPEC_INVALID', hint: 'See schemas/task.schema.json for the fields a task spec takes.' },
    );
}
