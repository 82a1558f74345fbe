// What feeds a review queue: rules over the task's served traffic in a window. A trace is queued when a
// check or guard failed on it, when users scored it low (a boolean score false, a numeric one below a
// threshold), when the local engine was unsure of its answer (the first token's log-probability margin
// over the runner-up below a threshold), or when it falls in a seeded random sample of traffic; items
// can also be added by hand (item-sources.ts). Items copy the trace's input (as the task's fields) and
// output as the trace store holds them, so what redaction removed before a trace was written never
// reaches a reviewer. Each trace is queued once per queue.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { parseInput } from '../errors/index.js';
import { inputKey } from './input-key.js';
import { traceItem } from './item-sources.js';
import type {
  Registry,
  ReviewItem,
  ReviewItemInput,
  ReviewQueue,
  ReviewQueueConfig,
  TraceRecord,
} from '../registry/index.js';

/** The schema of one rule (queues keep their rules as JSON; files and HTTP bodies are read through it). */
export const reviewRule = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('check-failure'),
    /** Only this validator's failures (default: any). */
    validator: z.string().min(1).optional(),
  }),
  z.strictObject({
    kind: z.literal('negative-feedback'),
    score: z.string().min(1),
    /** A numeric score below this is negative (a boolean score: false). */
    below: z.number().optional(),
  }),
  z.strictObject({
    kind: z.literal('low-confidence'),
    /** Queue answers whose first-token log-probability margin (the local engine's) is below this. */
    below: z.number().positive(),
  }),
  z.strictObject({
    kind: z.literal('sample'),
    /** Share of traffic, 0 to 1. */
    rate: z.number().min(0).max(1),
    seed: z.number().int().optional(),
  }),
]);
/** One feeding rule. */
export type ReviewRule = z.infer<typeof reviewRule>;

/** The rules a queue's config holds, checked. */
export function readReviewRules(rules: unknown, where = 'the queue rules'): ReviewRule[] {
  return parseInput(z.array(reviewRule), rules, {
    where,
    code: 'REVIEW_INVALID',
    hint: 'Rules are { kind: check-failure [validator] | negative-feedback score [below] | low-confidence below | sample rate [seed] }.',
  });
}

/** Whether a trace is in a rule's sample: a hash of its id, so every replica and every run agrees. */
export function sampled(traceId: string, rate: number, seed = 0): boolean {
  const digest = createHash('sha256').update(`${seed}:${traceId}`).digest();
  return digest.readUInt32BE(0) / 2 ** 32 < rate;
}

/** Creates a queue whose rules are checked first (what the registry stores, it stores as given). */
export async function createReviewQueue(
  registry: Registry,
  input: { name: string; task: string; actor: string; config?: Partial<ReviewQueueConfig> },
): Promise<ReviewQueue> {
  const rules = readReviewRules(input.config?.rules ?? [], `the rules of queue ${input.name}`);
  await registry.getTask(input.task); // a queue reviews a task the registry knows
  return registry.review.createQueue({ ...input, config: { ...input.config, rules } });
}

/** The rule (by its kind, and what it matched) that queues `trace`, if any. */
function matchingRule(
  rules: ReviewRule[],
  trace: TraceRecord,
  negative: Map<string, Set<string>>,
): string | undefined {
  for (const rule of rules) {
    if (rule.kind === 'check-failure') {
      const checks = Array.isArray(trace.checks)
        ? (trace.checks as { validator?: string; passed?: boolean }[])
        : [];
      const failed = checks.find(
        (check) => check.passed === false && (!rule.validator || check.validator === rule.validator),
      );
      if (failed) return `check-failure:${failed.validator ?? ''}`;
    } else if (rule.kind === 'negative-feedback') {
      if (negative.get(rule.score)?.has(trace.id)) return `negative-feedback:${rule.score}`;
    } else if (rule.kind === 'low-confidence') {
      if (typeof trace.confidence === 'number' && trace.confidence < rule.below) return 'low-confidence';
    } else if (sampled(trace.id, rule.rate, rule.seed)) return 'sample';
  }
  return undefined;
}

/** What a feed queued, and what it matched but left out. */
export interface FeedResult {
  added: ReviewItem[];
  /** Traces whose input the queue already holds (or another trace of this feed had): asked again. */
  repeated: number;
  /** Traces past the feed's limit (the newest are queued first). */
  overLimit: number;
}

/**
 * Queues the traces of the queue's task in [since, until) that its rules match (each with the rule that
 * matched as its reason), newest first, at most `limit` of them. A trace already queued is not added
 * again, nor one whose input the queue already holds (whitespace aside): the same question asked twice
 * is reviewed once.
 */
export async function feedQueue(
  registry: Registry,
  queueName: string,
  window: { since: number; until: number },
  options: { limit?: number } = {},
): Promise<FeedResult> {
  const queue = await registry.review.getQueue(queueName);
  const rules = readReviewRules(queue.rules, `the rules of queue ${queue.name}`);
  if (rules.length === 0) return { added: [], repeated: 0, overLimit: 0 };
  const spec = await registry.getTask(queue.task);
  // the traces each feedback rule calls negative, from the scores of the window
  const negative = new Map<string, Set<string>>();
  for (const rule of rules)
    if (rule.kind === 'negative-feedback') {
      const scores = await registry.scores.list({ task: queue.task, name: rule.score, ...window });
      negative.set(
        rule.score,
        new Set(
          scores
            .filter((score) =>
              score.kind === 'boolean'
                ? score.value === 0
                : score.value !== null && rule.below !== undefined && score.value < rule.below,
            )
            .map((score) => score.traceId),
        ),
      );
    }
  const existing = await registry.review.items(queue.name);
  const queued = new Set(existing.map((item) => item.traceId));
  const field = spec.input.fields[0] ?? 'input';
  const inputs = new Set(existing.map((item) => askedOf(item, field)));
  const items: ReviewItemInput[] = [];
  let repeated = 0;
  let overLimit = 0;
  let after: string | undefined;
  do {
    const page = await registry.traces.list(
      { task: queue.task, source: 'service', ...window },
      { limit: 500, after },
    );
    for (const trace of page.data) {
      if (trace.errorCode !== null || queued.has(trace.id)) continue; // no answer to review, or queued
      const reason = matchingRule(rules, trace, negative);
      if (!reason) continue;
      const item = traceItem(spec, trace, reason);
      const input = askedOf(item, field);
      if (inputs.has(input)) repeated++;
      else if (options.limit !== undefined && items.length >= options.limit) overLimit++;
      else {
        inputs.add(input);
        items.push(item);
      }
    }
    after = page.next;
  } while (after);
  return { added: await registry.review.addItems(queue.name, items), repeated, overLimit };
}

/**
 * What an item asked, as feeds compare items: the version that answered and the input's fields,
 * whitespace aside (an input added by hand as text is the task's one field). Another version's answer
 * to the same input is a new item to review.
 */
function askedOf(item: { input: unknown; context?: Record<string, unknown> }, field: string): string {
  const fields =
    typeof item.input === 'object' && item.input !== null
      ? (item.input as Record<string, unknown>)
      : { [field]: item.input };
  return `${String(item.context?.version ?? '')} ${inputKey(fields)}`;
}
