// The metric source alert rules read: each metric computed over the traces (and scores) of a window,
// for all tasks or one task, version or label. Counts and sums are SQL aggregates; percentiles read the
// window's latencies through the store's scan, as the monitor does. `drift` is delegated to a drift
// reader given by the caller, since it needs a reference and, for embeddings, a model.
import { nearestName } from '../errors/index.js';
import type { Registry } from '../registry/index.js';
import type { AlertMetricSource, MetricQuery, MetricReading } from './alerts/alert-types.js';
import { sortedPercentile } from './monitor.js';

/** Reads the drift metric for a query (the number of drifted features, with which ones in `detail`). */
export type DriftReader = (query: MetricQuery) => Promise<MetricReading>;

const percentileOf: Record<string, number> = {
  latency_p50: 0.5,
  latency_p95: 0.95,
  latency_p99: 0.99,
  ttft_p95: 0.95,
};

/**
 * Alert metrics over the registry's traces. A rule on a task or label the registry does not have reads
 * as an error naming it (kept in the rule's state, shown by `alerts ls` and the dashboard), not as a
 * window with no traffic: a misspelt task would otherwise leave its alert quiet for ever.
 */
export class TraceMetricSource implements AlertMetricSource {
  constructor(
    private readonly registry: Registry,
    private readonly drift?: DriftReader,
  ) {}

  /** One metric's value over the query's window and the count it rests on. */
  async read(query: MetricQuery): Promise<MetricReading> {
    await this.checkScope(query);
    // the service's traffic only: an evaluation's traced calls are not production
    const filter = {
      task: query.task,
      version: query.version,
      label: query.label,
      source: 'service' as const,
      since: query.since,
      until: query.until,
    };
    if (query.metric === 'drift') {
      if (!this.drift) throw new Error('no drift reader is configured for this service');
      return this.drift(query);
    }
    if (query.metric === 'score_mean') {
      const rows = await this.registry.scores.aggregates(filter);
      let count = 0;
      let sum = 0;
      for (const row of rows)
        if (row.name === query.score && row.kind !== 'categorical') {
          count += row.count;
          sum += row.sum;
        }
      return { value: count ? sum / count : undefined, count };
    }
    if (query.metric in percentileOf) {
      // the store's scan: on SQLite the monitor's covering index, in chunks that leave the loop free
      const firstToken = query.metric === 'ttft_p95';
      const measured: number[] = [];
      await this.registry.traces.scan(filter, (measurement) => {
        const value = firstToken ? measurement[6] : measurement[5];
        if (value !== null) measured.push(value);
      });
      const values = Float64Array.from(measured).sort();
      return {
        value: values.length ? sortedPercentile(values, percentileOf[query.metric]) : undefined,
        count: values.length,
      };
    }
    const row = await this.registry.traces
      .filtered(filter)
      .select((select) => [
        select.fn.countAll<number>().as('requests'),
        select.fn.count<number>('traces.error_code').as('errors'),
        select.fn.sum<number>('traces.input_tokens').as('input_tokens'),
        select.fn.sum<number>('traces.output_tokens').as('output_tokens'),
        select.fn.sum<number>('traces.cost').as('cost'),
      ])
      .executeTakeFirstOrThrow();
    const requests = Number(row.requests);
    const values: Record<string, number | undefined> = {
      requests,
      error_rate: requests ? Number(row.errors) / requests : undefined,
      tokens: Number(row.input_tokens ?? 0) + Number(row.output_tokens ?? 0),
      cost: row.cost === null ? undefined : Number(row.cost),
    };
    return { value: values[query.metric], count: requests };
  }

  /** Refuses a query on a task or label the registry lacks, naming the nearest task. */
  private async checkScope(query: MetricQuery): Promise<void> {
    if (query.task === undefined) return;
    const names = await this.registry.taskNames();
    if (!names.includes(query.task)) {
      const nearest = nearestName(query.task, names);
      throw new Error(`there is no task named ${query.task}${nearest ? ` (did you mean ${nearest}?)` : ''}`);
    }
    if (query.label === undefined) return;
    const labels = await this.registry.listLabels(query.task);
    if (!labels.some((label) => label.label === query.label))
      throw new Error(`task ${query.task} has no label ${query.label}`);
  }
}
