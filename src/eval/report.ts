// Turns an evaluation run into its report: the score with its 95% interval (Wilson's for proportions,
// else the bootstrap's), per-metric means, label aggregates (accuracy, macro-F1, confusion), per-example
// variance over repeats, latency percentiles, tokens and cost. Rendering to HTML is report-html.ts's job.
import { aggregateLabels } from '../tasks/index.js';
import { parseRate, summarizeChecks, type ValidatorSummary } from './guard-summary.js';
import type { EvaluationRun, ExampleResult } from './harness.js';
import { mean, percentile, scoreInterval } from './statistics.js';

/** The summary `promptune eval --json` prints and reports are built from. */
export interface EvaluationReport {
  task: string;
  split: string;
  model: string;
  n: number;
  repeats: number;
  score: number;
  interval: [number, number];
  metrics: Record<string, number>;
  labels?: ReturnType<typeof aggregateLabels>;
  /** Share of outputs usable as the task's typed value (a label it names, JSON matching the schema); absent for text tasks. */
  parseRate?: number;
  /** Per validator of the task's guards: first-answer pass rate, final pass rate, actions taken. */
  guards?: Record<string, ValidatorSummary>;
  /** Outputs were decoded under a constraint (absent in reports of runs before constrained decoding). */
  constrained?: boolean;
  /** What the task's judge validators spent (absent without any): calls, tokens and dollars. */
  guardJudge?: { calls: number; tokens: { input: number; output: number }; cost: number | undefined };
  /** Answers the provider's content filter withheld, scored as what it left (absent when none were). */
  contentFiltered?: number;
  /** Calls whose provider reported no token counts, counted at their worst case (absent when none were). */
  usageEstimated?: number;
  /** Failed calls retried, by why ("HTTP 429": 3), counted among `calls` (absent when none were). */
  retries?: Record<string, number>;
  /** Mean over examples of the variance of their score across repeats (0 with one repeat). */
  repeatVariance: number;
  calls: number;
  cacheHits: number;
  resumed: number;
  tokens: { input: number; output: number };
  cost: number | undefined;
  /**
   * Every call sent for this run, including earlier runs killed before it finished (`earlierCalls` of
   * them; a call in flight at a kill counts at its worst case), with tokens and cost.
   */
  spend: {
    calls: number;
    earlierCalls: number;
    tokens: { input: number; output: number };
    cost: number | undefined;
  };
  latencyMs: { p50: number | undefined; p90: number | undefined; p99: number | undefined };
  durationMs: number;
  examples: ExampleResult[];
}

/** Computes the report of a run. */
export function summarize(run: EvaluationRun): EvaluationReport {
  const scores = run.examples.map((example) => example.score);
  const metricNames = [
    ...new Set(
      run.examples.flatMap((example) => example.byMetric.flatMap((byMetric) => Object.keys(byMetric))),
    ),
  ];
  const metrics = Object.fromEntries(
    metricNames.map((name) => [
      name,
      mean(run.examples.flatMap((example) => example.byMetric.map((byMetric) => byMetric[name]?.score ?? 0))),
    ]),
  );
  const labelPairs = run.examples.flatMap((example) =>
    example.byMetric.flatMap((byMetric) =>
      Object.values(byMetric).flatMap((result) => (result.label ? [result.label] : [])),
    ),
  );
  const latencies = run.examples.flatMap((example) =>
    example.latencyMs.filter((latency): latency is number => latency !== undefined),
  );
  const guards = summarizeChecks(run.examples);
  const variance = (values: number[]) => mean(values.map((value) => (value - mean(values)) ** 2));
  return {
    task: run.task,
    split: run.split,
    model: run.model,
    n: run.examples.length,
    repeats: run.repeats,
    score: mean(scores),
    interval: scoreInterval(scores),
    metrics,
    labels: labelPairs.length ? aggregateLabels(labelPairs) : undefined,
    parseRate: parseRate(run.examples),
    guards: Object.keys(guards).length ? guards : undefined,
    constrained: run.constrained,
    guardJudge: run.guardJudge && {
      calls: run.guardJudge.calls,
      tokens: { input: run.guardJudge.inputTokens, output: run.guardJudge.outputTokens },
      cost: run.guardJudge.cost,
    },
    ...(run.contentFiltered !== undefined &&
      run.contentFiltered > 0 && { contentFiltered: run.contentFiltered }),
    ...(run.usageEstimated !== undefined && run.usageEstimated > 0 && { usageEstimated: run.usageEstimated }),
    ...(run.retries && { retries: run.retries }),
    repeatVariance: mean(run.examples.map((example) => variance(example.scores))),
    calls: run.calls,
    cacheHits: run.cacheHits,
    resumed: run.resumed,
    tokens: { input: run.inputTokens, output: run.outputTokens },
    cost: run.cost,
    spend: {
      calls: run.spend.calls,
      earlierCalls: run.spend.earlierCalls,
      tokens: { input: run.spend.inputTokens, output: run.spend.outputTokens },
      cost: run.spend.cost,
    },
    latencyMs: {
      p50: percentile(latencies, 50),
      p90: percentile(latencies, 90),
      p99: percentile(latencies, 99),
    },
    durationMs: run.durationMs,
    examples: run.examples,
  };
}

/** "4 of them retries: HTTP 429 ×3, HTTP 500 ×1". */
export function retriesText(retries: Record<string, number>): string {
  const entries = Object.entries(retries).sort(([, a], [, b]) => b - a);
  const total = entries.reduce((sum, [, count]) => sum + count, 0);
  return `${total} of them ${total === 1 ? 'a retry' : 'retries'}: ${entries.map(([reason, count]) => `${reason} ×${count}`).join(', ')}`;
}
