// Aggregates over stored traces and scores, per task, version and label, over fixed windows: requests,
// errors by code, latency and time-to-first-token percentiles, tokens, cost, and each score's mean with
// a 95% interval (Student's t for numbers, Wilson for booleans) or its categories. The traces are
// read in one pass of their measurements (percentiles need every value); scores are summed in SQL.
// Nothing here writes: `monitor` is a read over the record.
import type { Registry, TraceRecord } from '../registry/index.js';

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
  /** Whose traces: the service's (default), or an evaluation's or optimization's calls. */
  source?: TraceRecord['source'];
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
  latencyP50: number | null;
  latencyP95: number | null;
  latencyP99: number | null;
  /** Dollars of the window's priced requests; null when none was priced. */
  cost: number | null;
  /** Numeric and boolean scores of the window's traces: mean and count by name. */
  scores: Record<string, { mean: number; count: number }>;
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

/** The 97.5% quantile of Student's t: the table up to 30 degrees of freedom, Cornish-Fisher beyond. */
function tQuantile(degreesOfFreedom: number): number {
  if (degreesOfFreedom <= tQuantiles.length) return tQuantiles[degreesOfFreedom - 1];
  const z = 1.959964;
  return (
    z +
    (z ** 3 + z) / (4 * degreesOfFreedom) +
    (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * degreesOfFreedom ** 2)
  );
}

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
  const half = tQuantile(count - 1) * Math.sqrt(variance / count);
  return { mean, low: mean - half, high: mean + half };
}

/** One group's running totals during the scan. */
interface Accumulator {
  group: MonitorGroup;
  firstTokens: number[];
  windows: Map<number, { point: MonitorPoint; latencies: number[] }>;
  /** The window the previous trace of this group fell in (traces mostly arrive in time order). */
  last: { start: number; point: MonitorPoint; latencies: number[] } | undefined;
}

/** Groups by task, then version, then label: three lookups per trace instead of building a key. */
class Groups {
  private readonly byTask = new Map<string | null, Map<string | null, Map<string | null, Accumulator>>>();
  readonly all: Accumulator[] = [];

  /** The group's accumulator, if the scan met the group. */
  find(task: string | null, version: string | null, label: string | null): Accumulator | undefined {
    return this.byTask.get(task)?.get(version)?.get(label);
  }

  /** The group's accumulator, made on first sight. */
  get(task: string | null, version: string | null, label: string | null): Accumulator {
    let versions = this.byTask.get(task);
    if (!versions) this.byTask.set(task, (versions = new Map()));
    let labels = versions.get(version);
    if (!labels) versions.set(version, (labels = new Map()));
    let accumulator = labels.get(label);
    if (!accumulator) {
      accumulator = {
        group: newGroup(task, version, label),
        firstTokens: [],
        windows: new Map(),
        last: undefined,
      };
      labels.set(label, accumulator);
      this.all.push(accumulator);
    }
    return accumulator;
  }
}

function newGroup(task: string | null, version: string | null, label: string | null): MonitorGroup {
  return {
    task,
    version,
    label,
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
}

/**
 * Aggregates traces and scores in [since, until): one pass over the traces' measurements (the
 * registry reads a narrow index, not the rows), then the scores' sums from SQL.
 */
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
  const accumulators = new Groups();
  await registry.traces.scan(
    { ...filter, source: query.source ?? 'service' },
    ([at, task, version, label, errorCode, latencyMs, firstTokenMs, inputTokens, outputTokens, cost]) => {
      const accumulator = accumulators.get(task, version, label);
      const { group } = accumulator;
      group.requests++;
      group.tokens.input += inputTokens;
      group.tokens.output += outputTokens;
      if (cost !== null) group.cost = (group.cost ?? 0) + cost;
      const start = at - (at % length);
      let bucket = accumulator.last;
      if (bucket?.start !== start) {
        const known = accumulator.windows.get(start);
        bucket = known
          ? { start, ...known }
          : {
              start,
              point: {
                start,
                requests: 0,
                errors: 0,
                latencyP50: null,
                latencyP95: null,
                latencyP99: null,
                cost: null,
                scores: {},
              },
              latencies: [],
            };
        if (!known) accumulator.windows.set(start, { point: bucket.point, latencies: bucket.latencies });
        accumulator.last = bucket;
      }
      bucket.point.requests++;
      bucket.latencies.push(latencyMs);
      if (cost !== null) bucket.point.cost = (bucket.point.cost ?? 0) + cost;
      if (errorCode !== null) {
        group.errors[errorCode] = (group.errors[errorCode] ?? 0) + 1;
        bucket.point.errors++;
      }
      if (firstTokenMs !== null) accumulator.firstTokens.push(firstTokenMs);
    },
  );
  for (const accumulator of accumulators.all) {
    const { group } = accumulator;
    group.errorRate = Object.values(group.errors).reduce((sum, count) => sum + count, 0) / group.requests;
    // each window's latencies are kept once; the group's are all of them
    const latencies = new Float64Array(group.requests);
    let offset = 0;
    for (const { latencies: inWindow } of accumulator.windows.values()) {
      latencies.set(inWindow, offset);
      offset += inWindow.length;
    }
    group.latencyMs = percentilesOf(latencies);
    group.firstTokenMs = percentilesOf(Float64Array.from(accumulator.firstTokens));
    group.series = [...accumulator.windows.values()]
      .map(({ point, latencies }) => {
        const sorted = Float64Array.from(latencies).sort();
        return {
          ...point,
          latencyP50: sortedPercentile(sorted, 0.5),
          latencyP95: sortedPercentile(sorted, 0.95),
          latencyP99: sortedPercentile(sorted, 0.99),
        };
      })
      .sort((a, b) => a.start - b.start);
  }
  await addScores(registry, { ...filter, window: length }, accumulators);
  return {
    since: query.since,
    until: query.until,
    window,
    groups: accumulators.all.map(({ group }) => group).sort((a, b) => b.requests - a.requests),
  };
}

/**
 * Adds each group's score summaries and each window's numeric and boolean score means (by the scored
 * traces' arrival time), from one query of the scores' sums per window: a group's are its windows' added.
 */
async function addScores(
  registry: Registry,
  filter: { task?: string; version?: string; label?: string; since: number; until: number; window: number },
  groups: Groups,
): Promise<void> {
  const totals = new Map<
    MonitorGroup,
    Map<
      string,
      { kind: 'numeric' | 'boolean'; count: number; sum: number; sumOfSquares: number; zeroOrOne: number }
    >
  >();
  for (const row of await registry.scores.aggregates(filter)) {
    const group = groups.find(row.task, row.version, row.label)?.group;
    if (!group) continue; // scores of traces outside the filter's groups (none, unless traces were pruned)
    if (row.kind === 'categorical') {
      const existing = group.scores[row.name];
      const summary =
        existing?.kind === 'categorical'
          ? existing
          : { kind: 'categorical' as const, count: 0, categories: {} };
      summary.count += row.count;
      summary.categories[row.category ?? ''] = (summary.categories[row.category ?? ''] ?? 0) + row.count;
      group.scores[row.name] = summary;
      continue;
    }
    const byName = totals.get(group) ?? new Map();
    totals.set(group, byName);
    const total = byName.get(row.name) ?? {
      kind: row.kind,
      count: 0,
      sum: 0,
      sumOfSquares: 0,
      zeroOrOne: 0,
    };
    byName.set(row.name, total);
    total.count += row.count;
    total.sum += row.sum;
    total.sumOfSquares += row.sumOfSquares;
    total.zeroOrOne += row.zeroOrOne;
    // a window whose traces were pruned since they were scored has no point to carry the score
    const point = group.series.find((each) => each.start === row.start);
    if (point) point.scores[row.name] = { mean: row.sum / row.count, count: row.count };
  }
  // a numeric score of only 0s and 1s is a share (an exact-match metric): Wilson's interval, within
  // [0, 1]; unless its config gives it a wider range (three 1-star ratings of 1 to 5 are not a share)
  // (read only when there is a numeric or boolean score to say it of)
  const ranges = new Map(
    totals.size === 0
      ? []
      : (await registry.scores.listConfigs()).map((config) => [config.name, config] as const),
  );
  const share = (name: string, total: { count: number; zeroOrOne: number }) => {
    const config = ranges.get(name);
    const within = (config?.minimum ?? 0) >= 0 && (config?.maximum ?? 1) <= 1;
    return total.zeroOrOne === total.count && within;
  };
  for (const [group, byName] of totals)
    for (const [name, total] of byName)
      group.scores[name] = {
        kind: total.kind,
        count: total.count,
        ...meanInterval(
          share(name, total) ? 'boolean' : total.kind,
          total.count,
          total.sum,
          total.sumOfSquares,
        ),
      };
}
