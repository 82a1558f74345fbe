// Metrics by name (a table), and the weighted combination a task's score is made of.
import type { MetricSpec } from '../spec.js';
import { customMetric } from './custom.js';
import { jsonMetric } from './json-metric.js';
import { judgeMetric } from './judge.js';
import { labelMetric } from './label.js';
import { bleu, rougeL } from './overlap-metrics.js';
import { contains, exactMatch, regex, tokenF1 } from './string-metrics.js';
import type { Metric, MetricContext, MetricScore } from './types.js';

export type { Metric, MetricContext, MetricScore, TextGenerator } from './types.js';
export { aggregateLabels, foldLabel, readLabel } from './label.js';
export { extractJson, extractJsonFor } from './json-metric.js';
export { judgePrompt } from './judge.js';

type Factory = (options: Record<string, unknown>, context: MetricContext) => Metric | Promise<Metric>;

const factories: Record<MetricSpec['name'], Factory> = {
  'exact-match': exactMatch,
  contains,
  regex,
  'token-f1': tokenF1,
  label: labelMetric,
  json: jsonMetric,
  'rouge-l': rougeL,
  bleu,
  judge: judgeMetric,
  custom: customMetric,
};

/** A task's metrics with their weights. */
export interface WeightedMetric {
  metric: Metric;
  weight: number;
}

/** Builds the metrics a task spec names. */
export async function createMetrics(specs: MetricSpec[], context: MetricContext): Promise<WeightedMetric[]> {
  return Promise.all(
    specs.map(async (spec) => ({
      metric: await factories[spec.name](spec.options, context),
      weight: spec.weight,
    })),
  );
}

/** Scores one output with every metric; the combined score is the weighted mean. */
export async function scoreOutput(
  metrics: WeightedMetric[],
  example: Parameters<Metric['score']>[0],
  output: string,
): Promise<{ score: number; byMetric: Record<string, MetricScore> }> {
  const byMetric: Record<string, MetricScore> = {};
  let total = 0;
  let weights = 0;
  for (const { metric, weight } of metrics) {
    const result = await metric.score(example, output);
    byMetric[metric.name] = result;
    total += weight * result.score;
    weights += weight;
  }
  return { score: weights ? total / weights : 0, byMetric };
}
