// What the evaluation harness keeps for each finished (example, repeat) in its journal, and the schema
// it is read back through when a killed run resumes.
import { z } from 'zod';
import { checkRecordSchema } from '../guard/index.js';

const tokens = z.number().int().nonnegative();

/** One metric's score of one output (tasks/metrics' MetricScore, as journaled). */
const metricScoreSchema = z.object({
  score: z.number(),
  feedback: z.string().optional(),
  label: z.object({ predicted: z.string(), expected: z.string() }).optional(),
});

/** A finished call as journaled. */
export const callRecordSchema = z.object({
  output: z.string(),
  score: z.number(),
  byMetric: z.record(z.string(), metricScoreSchema),
  inputTokens: tokens,
  outputTokens: tokens,
  latencyMs: z.number().nonnegative().optional(),
  fromCache: z.boolean(),
  cost: z.number().nonnegative().optional(),
  /** The task's guards' verdicts (absent without guards). */
  checks: z.array(checkRecordSchema).optional(),
  /** Whether the output reads as the task's typed value (absent for text tasks). */
  parsed: z.boolean().optional(),
  /** The provider's content filter withheld the answer: scored as the output it left (absent otherwise). */
  contentFiltered: z.literal(true).optional(),
  /** The provider reported no token counts: the tokens are the call's worst case (absent otherwise). */
  usageEstimated: z.literal(true).optional(),
});

/** Per-call record kept in the journal. */
export type CallRecord = z.infer<typeof callRecordSchema>;
