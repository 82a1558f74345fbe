// What each arm of an experiment has seen, read from the traces the service wrote and the scores on
// them: requests, errors (status 5xx, or an error code the caller names: a guard's refusal, a version
// that cannot be served), latency, output check failures (of every request, those with any guard score
// of 0: an arm without guards has none, not no data), requests and distinct units (users, else keys)
// within the current step, and a primary score (one value per trace). Sums, not means: the experiments
// layer turns them into moments and tests them.
import { sql, type Kysely } from 'kysely';
import type { RegistryDatabase } from './schema.js';

/** Count, sum and sum of squares of a metric. */
export interface MetricSums {
  n: number;
  sum: number;
  sumOfSquares: number;
}

/** One arm's (one version's) sums. */
export interface ArmSums {
  requests: number;
  /** Requests since the step began. */
  stepRequests: number;
  /** Distinct users (the OpenAI `user` field, else the key) since the step began. */
  stepUnits: number;
  errors: MetricSums;
  /** Seconds. */
  latency: MetricSums;
  checkFailures: MetricSums;
  primary: MetricSums;
}

/** Which traces and scores count. Times are epoch milliseconds. */
export interface ArmQuery {
  task: string;
  label: string;
  versions: string[];
  since: number;
  stepSince: number;
  /** The score whose value is the primary metric. */
  primary: string;
  /** Error codes that count as errors beside any 5xx: failures the version, not the caller, caused. */
  errorCodes?: string[];
}

const empty = (): MetricSums => ({ n: 0, sum: 0, sumOfSquares: 0 });

const sums = (n: unknown, sum: unknown, squares: unknown): MetricSums => ({
  n: Number(n ?? 0),
  sum: Number(sum ?? 0),
  sumOfSquares: Number(squares ?? 0),
});

/** Each version's sums, by version id (versions with no traffic get zeros). */
export async function measureArms(
  database: Kysely<RegistryDatabase>,
  query: ArmQuery,
): Promise<Record<string, ArmSums>> {
  const arms: Record<string, ArmSums> = Object.fromEntries(
    query.versions.map((version) => [
      version,
      {
        requests: 0,
        stepRequests: 0,
        stepUnits: 0,
        errors: empty(),
        latency: empty(),
        checkFailures: empty(),
        primary: empty(),
      },
    ]),
  );
  const versions = sql.join(query.versions);
  const codes = sql.join(query.errorCodes?.length ? query.errorCodes : ['']);
  const traces = await sql<{
    version: string;
    requests: unknown;
    errors: unknown;
    latency: unknown;
    latency_squares: unknown;
  }>`select version, count(*) as requests,
      sum(case when status >= 500 or error_code in (${codes}) then 1 else 0 end) as errors,
      sum(latency_ms / 1000.0) as latency, sum((latency_ms / 1000.0) * (latency_ms / 1000.0)) as latency_squares
    from traces
    where source = 'service' and task = ${query.task} and label = ${query.label}
      and version in (${versions}) and at >= ${query.since}
    group by version`.execute(database);
  for (const row of traces.rows) {
    const arm = arms[row.version];
    arm.requests = Number(row.requests);
    arm.errors = sums(row.requests, row.errors, row.errors);
    arm.checkFailures = sums(row.requests, 0, 0); // until its guard scores say otherwise
    arm.latency = sums(row.requests, row.latency, row.latency_squares);
  }
  const units = await sql<{ version: string; units: unknown; requests: unknown }>`select version,
      count(distinct coalesce(end_user, key_id, id)) as units, count(*) as requests
    from traces
    where source = 'service' and task = ${query.task} and label = ${query.label}
      and version in (${versions}) and at >= ${query.stepSince}
    group by version`.execute(database);
  for (const row of units.rows) {
    arms[row.version].stepUnits = Number(row.units);
    arms[row.version].stepRequests = Number(row.requests);
  }
  const checks = await sql<{ version: string; n: unknown; failures: unknown }>`select version,
      count(*) as n, sum(1 - passed) as failures
    from (select version, trace_id, min(value) as passed from scores
      where source = 'guard' and task = ${query.task} and label = ${query.label}
        and version in (${versions}) and trace_at >= ${query.since}
      group by version, trace_id) as checked
    group by version`.execute(database);
  // out of every request: one without a guard score passed no check and failed none
  for (const row of checks.rows)
    arms[row.version].checkFailures = sums(arms[row.version].requests, row.failures, row.failures);
  // one value per trace (the mean of its scores of that name): a trace scored many times, by a client
  // repeating its feedback, counts once
  const primary = await sql<{ version: string; n: unknown; total: unknown; squares: unknown }>`select version,
      count(*) as n, sum(value) as total, sum(value * value) as squares
    from (select version, trace_id, avg(value) as value from scores
      where name = ${query.primary} and value is not null and task = ${query.task} and label = ${query.label}
        and version in (${versions}) and trace_at >= ${query.since}
      group by version, trace_id) as scored
    group by version`.execute(database);
  for (const row of primary.rows) arms[row.version].primary = sums(row.n, row.total, row.squares);
  return arms;
}
