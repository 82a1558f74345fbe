// Aggregates over stored traces and scores, per task, version and label, over fixed windows: requests,
// errors by code, latency and time-to-first-token percentiles, tokens, cost, and each score's mean with
// a 95% interval (Student's t for numbers, Wilson for booleans) or its categories. Counts and sums are
// grouped in SQL; percentiles need the values, which are read per group as numbers only. Nothing here
// writes: `monitor` is a read over the record.
import { sql } from 'kysely';
import type { Registry } from '../registry/index.js';

/** Window lengths the monitor groups by. */
export const windowLengths = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

/** A window length's name. */
export type WindowName = keyof typeof windowLengths;

/** What to aggregate. */
export interface MonitorQuery {
  task?: string;
  version?: string;
  label?: string;
  since: number;
  until: number;
  /** Default: minute up to 3 hours, hour up to 3 days, day beyond. */
  window?: WindowName;
}

/** Percentiles of a set of milliseconds. */
export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

/** A numeric or boolean score's mean with its 95% interval, or a categorical score's counts. */
export type ScoreSummary =
  | { kind: 'numeric' | 'boolean'; count: number; mean: number; low: number; high: number }
  | { kind: 'categorical'; count: number; categories: Record<string, number> };

/** One window of a group. */
export interface MonitorPoint {
  start: number;
  requests: number;
  errors: number;
  latencyP95: number | null;
}

/** The aggregates of one task, version and label. */
export interface MonitorGroup {
  task: string | null;
  version: string | null;
  label: string | null;
  requests: number;
  errors: Record<string, number>;
  errorRate: number;
  latencyMs: Percentiles | null;
  firstTokenMs: Percentiles | null;
  tokens: { input: number; output: number };
  cost: number | null;
  scores: Record<string, ScoreSummary>;
  series: MonitorPoint[];
}

/** The monitor's answer. */
export interface MonitorReport {
  since: number;
  until: number;
  window: WindowName;
  groups: MonitorGroup[];
}

/** The default window for a span of time. */
export function windowFor(span: number): WindowName {
  return span <= 3 * windowLengths.hour ? 'minute' : span <= 3 * windowLengths.day ? 'hour' : 'day';
}

/** The value below which `share` (0..1) of the sorted values lie (nearest rank, linear between ranks). */
export function sortedPercentile(sorted: Float64Array, share: number): number {
  const position = share * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.min(sorted.length - 1, low + 1);
  return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
}

const percentilesOf = (values: Float64Array): Percentiles | null => {
  if (values.length === 0) return null;
  values.sort();
  return {
    p50: sortedPercentile(values, 0.5),
    p95: sortedPercentile(values, 0.95),
    p99: sortedPercentile(values, 0.99),
  };
};

// two-sided 97.5% quantiles of Student's t for 1..30 degrees of freedom; 1.96 beyond
const tQuantiles = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/** Mean and 95% interval: Wilson's for a share of 1s (booleans), Student's t otherwise. */
export function meanInterval(
  kind: 'numeric' | 'boolean',
  count: number,
  sum: number,
  sumOfSquares: number,
): { mean: number; low: number; high: number } {
  const mean = sum / count;
  if (kind === 'boolean') {
    const z = 1.959964;
    const center = (mean + (z * z) / (2 * count)) / (1 + (z * z) / count);
    const half =
      (z * Math.sqrt((mean * (1 - mean)) / count + (z * z) / (4 * count * count))) / (1 + (z * z) / count);
    return { mean, low: Math.max(0, center - half), high: Math.min(1, center + half) };
  }
  if (count < 2) return { mean, low: mean, high: mean };
  const variance = Math.max(0, (sumOfSquares - count * mean * mean) / (count - 1));
  const half = (tQuantiles[count - 2] ?? 1.959964) * Math.sqrt(variance / count);
  return { mean, low: mean - half, high: mean + half };
}

const groupKey = (task: string | null, version: string | null, label: string | null) =>
  JSON.stringify([task, version, label]);

/** Aggregates traces and scores in [since, until). */
export async function monitor(registry: Registry, query: MonitorQuery): Promise<MonitorReport> {
  const window = query.window ?? windowFor(query.until - query.since);
  const length = windowLengths[window];
  const filter = {
    task: query.task,
    version: query.version,
    label: query.label,
    since: query.since,
    until: query.until,
  };
  const bucket = sql<number>`(${sql.ref('traces.at')} / ${sql.lit(length)})`;
  const counted = await registry.traces
    .filtered(filter)
    .select((select) => [
      'traces.task',
      'traces.version',
      'traces.label',
      'traces.error_code',
      bucket.as('bucket'),
      select.fn.countAll<number>().as('requests'),
      select.fn.sum<number>('traces.input_tokens').as('input_tokens'),
      select.fn.sum<number>('traces.output_tokens').as('output_tokens'),
      select.fn.sum<number>('traces.cost').as('cost'),
    ])
    .groupBy(['traces.task', 'traces.version', 'traces.label', 'traces.error_code', bucket])
    .execute();
  const groups = new Map<string, MonitorGroup>();
  const points = new Map<string, Map<number, MonitorPoint>>();
  for (const row of counted) {
    const key = groupKey(row.task, row.version, row.label);
    let group = groups.get(key);
    if (!group) {
      group = {
        task: row.task,
        version: row.version,
        label: row.label,
        requests: 0,
        errors: {},
        errorRate: 0,
        latencyMs: null,
        firstTokenMs: null,
        tokens: { input: 0, output: 0 },
        cost: null,
        scores: {},
        series: [],
      };
      groups.set(key, group);
      points.set(key, new Map());
    }
    const requests = Number(row.requests);
    group.requests += requests;
    group.tokens.input += Number(row.input_tokens ?? 0);
    group.tokens.output += Number(row.output_tokens ?? 0);
    if (row.cost !== null) group.cost = (group.cost ?? 0) + Number(row.cost);
    const start = Number(row.bucket) * length;
    const point = points.get(key)!.get(start) ?? { start, requests: 0, errors: 0, latencyP95: null };
    point.requests += requests;
    if (row.error_code !== null) {
      group.errors[row.error_code] = (group.errors[row.error_code] ?? 0) + requests;
      point.errors += requests;
    }
    points.get(key)!.set(start, point);
  }
  for (const [key, group] of groups) {
    group.errorRate = Object.values(group.errors).reduce((sum, count) => sum + count, 0) / group.requests;
    const byStart = points.get(key)!;
    await addLatencies(
      registry,
      { ...filter, task: group.task, version: group.version, label: group.label },
      group,
      byStart,
      length,
    );
    group.series = [...byStart.values()].sort((a, b) => a.start - b.start);
  }
  await addScores(registry, filter, groups);
  return {
    since: query.since,
    until: query.until,
    window,
    groups: [...groups.values()].sort((a, b) => b.requests - a.requests),
  };
}

/** Reads one group's latencies (numbers only) for its percentiles and each window's p95. */
async function addLatencies(
  registry: Registry,
  filter: { task: string | null; version: string | null; label: string | null; since: number; until: number },
  group: MonitorGroup,
  byStart: Map<number, MonitorPoint>,
  length: number,
): Promise<void> {
  const rows = await registry.traces
    .filtered({ since: filter.since, until: filter.until })
    .where((where) =>
      where.and([
        filter.task === null ? where('traces.task', 'is', null) : where('traces.task', '=', filter.task),
        filter.version === null
          ? where('traces.version', 'is', null)
          : where('traces.version', '=', filter.version),
        filter.label === null ? where('traces.label', 'is', null) : where('traces.label', '=', filter.label),
      ]),
    )
    .select(['traces.at', 'traces.latency_ms', 'traces.first_token_ms'])
    .orderBy('traces.at')
    .execute();
  const latencies = new Float64Array(rows.length);
  const firstTokens: number[] = [];
  let windowStart = 0;
  for (let index = 0; index < rows.length; index++) {
    latencies[index] = Number(rows[index].latency_ms);
    if (rows[index].first_token_ms !== null) firstTokens.push(Number(rows[index].first_token_ms));
    const start = Math.floor(Number(rows[index].at) / length) * length;
    const next =
      index + 1 < rows.length ? Math.floor(Number(rows[index + 1].at) / length) * length : Number.NaN;
    if (next !== start) {
      // rows are in time order: each window's latencies are one run of the array
      const point = byStart.get(start);
      const window = latencies.slice(windowStart, index + 1).sort();
      if (point) point.latencyP95 = sortedPercentile(window, 0.95);
      windowStart = index + 1;
    }
  }
  group.latencyMs = percentilesOf(latencies);
  group.firstTokenMs = percentilesOf(Float64Array.from(firstTokens));
}

/** Adds each group's score summaries (by the scored traces' arrival time). */
async function addScores(
  registry: Registry,
  filter: { task?: string; version?: string; label?: string; since: number; until: number },
  groups: Map<string, MonitorGroup>,
): Promise<void> {
  const rows = await registry.scores.aggregates(filter);
  for (const row of rows) {
    const group = groups.get(groupKey(row.task, row.version, row.label));
    if (!group) continue; // scores of traces outside the filter's groups (none, unless traces were pruned)
    const existing = group.scores[row.name];
    if (row.kind === 'categorical') {
      const summary =
        existing?.kind === 'categorical'
          ? existing
          : { kind: 'categorical' as const, count: 0, categories: {} };
      summary.count += row.count;
      summary.categories[row.category ?? ''] = (summary.categories[row.category ?? ''] ?? 0) + row.count;
      group.scores[row.name] = summary;
    } else {
      group.scores[row.name] = {
        kind: row.kind,
        count: row.count,
        ...meanInterval(row.kind, row.count, row.sum, row.sumOfSquares),
      };
    }
  }
}
