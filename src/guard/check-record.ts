// A check's verdict as it is kept beyond the call: in evaluation journals and reports, in the response
// cache, and in a trace's `checks`. Compact on purpose (no latencies, reasons cut to 500 characters),
// and read back through a schema.
import { z } from 'zod';
import type { CheckOutcome } from './run-checks.js';

/** The schema of a kept verdict. */
export const checkRecordSchema = z.object({
  validator: z.string(),
  stage: z.enum(['input', 'output']),
  attempt: z.number().int().nonnegative(),
  passed: z.boolean(),
  action: z.string(),
  reason: z.string().optional(),
  /** Tokens the validator spent (an LLM judge). */
  usage: z
    .object({ inputTokens: z.number().nonnegative(), outputTokens: z.number().nonnegative() })
    .optional(),
});

/** One validator's verdict on one call, as kept. */
export type CheckRecord = z.infer<typeof checkRecordSchema>;

/** The kept records of a call's verdicts. */
export function checkRecords(outcomes: readonly CheckOutcome[]): CheckRecord[] {
  return outcomes.map((outcome) => ({
    validator: outcome.validator,
    stage: outcome.stage,
    attempt: outcome.attempt,
    passed: outcome.passed,
    action: outcome.action,
    ...(outcome.usage && { usage: outcome.usage }),
    ...(!outcome.passed && {
      reason: outcome.issues
        .map((issue) => issue.reason)
        .join('; ')
        .slice(0, 500),
    }),
  }));
}

/**
 * Whether each validator's verdict on the final answer is a pass: its last check passed, or a fix or
 * filter repaired what it found. Keyed by validator, in the order they first ran.
 */
export function finalVerdicts(records: readonly CheckRecord[]): Map<string, boolean> {
  const last = new Map<string, CheckRecord>();
  for (const record of records) last.set(record.validator, record);
  return new Map(
    [...last].map(([validator, record]) => [
      validator,
      record.passed || record.action === 'fixed' || record.action === 'filtered',
    ]),
  );
}
