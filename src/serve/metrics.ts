// Prometheus metrics of the service (prom-client, one registry per service): request durations by
// route, task and status; time to first token of streamed requests by task; tokens by task and
// direction; errors by route and code; engine batch sizes and the time requests wait for a row; what
// became of request traces (written, dropped when the queue was full, failed, sampled out, queued);
// running experiments' treatment shares and the steps this replica applied; whether the registry's
// database answers.
// Labels are low-cardinality on purpose: task names and route templates, never inputs; guard verdicts
// alone carry the version number (as the issue asks: outcomes by task, version and validator), for a
// task's 16 most recently checked versions (a loop re-tuning hourly would otherwise add series forever).
import type { KeptPrefixes, LoadedAdapters } from './engine-types.js';
import { promClient } from '../observe/index.js';

/** A task's versions whose guard verdicts stay in the scrape: the most recently checked. */
const guardedVersionsKept = 16;

/** One guard verdict's labels. */
export interface GuardCheckLabels {
  task: string;
  version: string;
  validator: string;
  outcome: string;
}

/** Sets one series of a gauge labelled by `measure` per field of `values` (its name the measure). */
function setMeasures(
  gauge: { set(labels: { measure: string }, value: number): void },
  values: LoadedAdapters | KeptPrefixes,
): void {
  for (const [measure, value] of Object.entries(values)) gauge.set({ measure }, value as number);
}

/** The service's metrics. */
export class ServiceMetrics {
  // prom-client's classes, loaded when the first service's metrics are made (not at command line start)
  private readonly prometheus = promClient();
  readonly registry = new this.prometheus.Registry();
  readonly duration = new this.prometheus.Histogram({
    name: 'promptune_request_duration_seconds',
    help: 'Request duration by route, task and status',
    labelNames: ['route', 'task', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly tokens = new this.prometheus.Counter({
    name: 'promptune_tokens_total',
    help: 'Tokens by task and direction (input, output)',
    labelNames: ['task', 'direction'] as const,
    registers: [this.registry],
  });
  readonly errors = new this.prometheus.Counter({
    name: 'promptune_errors_total',
    help: 'Error responses by route, task (empty when none was named) and code',
    labelNames: ['route', 'task', 'code'] as const,
    registers: [this.registry],
  });
  readonly firstToken = new this.prometheus.Histogram({
    name: 'promptune_time_to_first_token_seconds',
    help: 'Time from a streamed request to its first text, by task',
    labelNames: ['task'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly engineQueue = new this.prometheus.Histogram({
    name: 'promptune_engine_queue_seconds',
    help: 'Time a request waited for a row of the engine batch',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly batchSize = new this.prometheus.Histogram({
    name: 'promptune_engine_batch_size',
    help: 'Rows in the engine batch that served a request',
    buckets: [1, 2, 4, 8, 16, 32],
    registers: [this.registry],
  });

  readonly guardChecks = new this.prometheus.Counter({
    name: 'promptune_guard_checks_total',
    help: "Guard verdicts by task, version number, validator and outcome (passed, or the failure's action), for each task's 16 most recently checked versions",
    labelNames: ['task', 'version', 'validator', 'outcome'] as const,
    registers: [this.registry],
  });
  /** By task, its versions with guard series (least recently checked first), each its validator and outcome pairs. */
  private readonly guardedVersions = new Map<string, Map<string, Map<string, GuardCheckLabels>>>();

  /** Counts a guard verdict; a task's version past its 16 most recently checked leaves the scrape. */
  countGuardCheck(labels: GuardCheckLabels): void {
    this.guardChecks.inc(labels);
    let versions = this.guardedVersions.get(labels.task);
    if (!versions) this.guardedVersions.set(labels.task, (versions = new Map()));
    const series = versions.get(labels.version) ?? new Map<string, GuardCheckLabels>();
    versions.delete(labels.version); // most recently checked goes last
    versions.set(labels.version, series);
    series.set(`${labels.validator}\u0000${labels.outcome}`, labels);
    if (versions.size <= guardedVersionsKept) return;
    const [oldest, kept] = versions.entries().next().value!;
    versions.delete(oldest);
    for (const each of kept.values()) this.guardChecks.remove(each);
  }

  readonly experimentSteps = new this.prometheus.Counter({
    name: 'promptune_experiment_steps_total',
    help: "Experiment steps this replica's watcher applied, by task, label and action (advance, promote, rollback, conclude, stop)",
    labelNames: ['task', 'label', 'action'] as const,
    registers: [this.registry],
  });

  private runningExperiments: (() => Promise<{ task: string; label: string; weight: number }[]>) | undefined;
  readonly experimentShare = new this.prometheus.Gauge({
    name: 'promptune_experiment_treatment_share',
    help: "The treatment's share of a label's traffic, for each running experiment (read at each scrape)",
    labelNames: ['task', 'label'] as const,
    registers: [this.registry],
    collect: async () => {
      if (!this.runningExperiments) return;
      this.experimentShare.reset(); // an ended experiment leaves the scrape
      for (const { task, label, weight } of await this.runningExperiments())
        this.experimentShare.set({ task, label }, weight);
    },
  });

  private loadedAdapters: (() => LoadedAdapters) | undefined;
  readonly adapters = new this.prometheus.Gauge({
    name: 'promptune_engine_adapters',
    help: 'Adapter versions the engine keeps loaded, its limit, the bytes they hold, and those evicted since it started',
    labelNames: ['measure'] as const,
    registers: [this.registry],
    collect: () => {
      const adapters = this.loadedAdapters?.();
      if (adapters) setMeasures(this.adapters, adapters);
    },
  });

  private keptPrefixes: (() => KeptPrefixes) | undefined;
  readonly prefixes = new this.prometheus.Gauge({
    name: 'promptune_engine_prefix_cache',
    help: 'Prompt prefixes the engine keeps for reuse: their bytes, the byte limit, how many, and those evicted since it started',
    labelNames: ['measure'] as const,
    registers: [this.registry],
    collect: () => {
      const kept = this.keptPrefixes?.();
      if (kept) setMeasures(this.prefixes, kept);
    },
  });

  private jobCounts: (() => Promise<{ byStatus: Record<string, number>; silent: number }>) | undefined;
  readonly jobs = new this.prometheus.Gauge({
    name: 'promptune_jobs',
    help: "Jobs in the registry by status now (read at each scrape; every replica reports the registry's)",
    labelNames: ['status'] as const,
    registers: [this.registry],
    collect: async () => {
      const counts = await this.readJobCounts();
      if (counts)
        for (const [status, count] of Object.entries(counts.byStatus)) this.jobs.set({ status }, count);
    },
  });
  readonly jobsSilent = new this.prometheus.Gauge({
    name: 'promptune_jobs_silent',
    help: 'Running jobs not heard from for a minute (a dead worker: alert when it stays above 0)',
    registers: [this.registry],
    collect: async () => {
      const counts = await this.readJobCounts();
      if (counts) this.jobsSilent.set(counts.silent);
    },
  });
  readonly registryUp = new this.prometheus.Gauge({
    name: 'promptune_registry_up',
    help: "1 when the registry's database answered this scrape, 0 when not (alert when it stays at 0)",
    registers: [this.registry],
    // the scrape's one read of the registry (the job counts) says whether it answers
    collect: async () => {
      if (this.jobCounts) this.registryUp.set((await this.readJobCounts()) ? 1 : 0);
    },
  });
  /** One read of the registry per scrape for both job gauges; a failed read leaves them out of it. */
  private jobCountsRead:
    Promise<{ byStatus: Record<string, number>; silent: number } | undefined> | undefined;
  private readJobCounts() {
    if (!this.jobCounts) return Promise.resolve(undefined);
    this.jobCountsRead ??= this.jobCounts().catch(() => {
      // counts of an earlier scrape, sent as now's, would say all is well while no one can know
      this.jobs.reset();
      this.jobsSilent.set(NaN); // unknown: NaN > 0 alerts no one, promptune_registry_up does
      return undefined;
    });
    return this.jobCountsRead;
  }

  private traceCounts:
    (() => Record<'written' | 'dropped' | 'failed' | 'sampledOut' | 'queued', number>) | undefined;
  /** What the counter below has been told of each outcome so far: each scrape adds the difference. */
  private readonly tracesReported = { written: 0, dropped: 0, failed: 0, sampledOut: 0 };
  readonly traces = new this.prometheus.Counter({
    name: 'promptune_traces_total',
    help: 'Request traces by outcome since the service started: written, dropped, failed, sampled_out',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
    collect: () => {
      const counts = this.traceCounts?.();
      if (!counts) return;
      for (const outcome of ['written', 'dropped', 'failed', 'sampledOut'] as const) {
        const added = counts[outcome] - this.tracesReported[outcome];
        if (added > 0)
          this.traces.inc({ outcome: outcome === 'sampledOut' ? 'sampled_out' : outcome }, added);
        this.tracesReported[outcome] = counts[outcome];
      }
    },
  });
  readonly tracesQueued = new this.prometheus.Gauge({
    name: 'promptune_traces_queued',
    help: 'Request traces answered and waiting to be written now',
    registers: [this.registry],
    collect: () => {
      const counts = this.traceCounts?.();
      if (counts) this.tracesQueued.set(counts.queued);
    },
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics) this.prometheus.collectDefaultMetrics({ register: this.registry });
  }

  /** Reports the trace recorder's counts with every scrape. */
  watchTraces(
    counts: () => Record<'written' | 'dropped' | 'failed' | 'sampledOut' | 'queued', number>,
  ): void {
    this.traceCounts = counts;
  }

  /**
   * Reports the registry's jobs by status, and the silent running ones, with every scrape; whether the
   * read answered is promptune_registry_up.
   */
  watchJobs(counts: () => Promise<{ byStatus: Record<string, number>; silent: number }>): void {
    this.jobCounts = counts;
  }

  /** Reports the engine's loaded adapter versions with every scrape. */
  watchAdapters(adapters: () => LoadedAdapters): void {
    this.loadedAdapters = adapters;
  }

  /** Reports the engine's kept prompt prefixes with every scrape. */
  watchPrefixes(prefixes: () => KeptPrefixes): void {
    this.keptPrefixes = prefixes;
  }

  /** Reports the running experiments' treatment shares with every scrape. */
  watchExperiments(running: () => Promise<{ task: string; label: string; weight: number }[]>): void {
    this.runningExperiments = running;
  }

  /** The exposition text for GET /metrics. */
  async text(): Promise<string> {
    try {
      return await this.registry.metrics();
    } finally {
      this.jobCountsRead = undefined; // the next scrape reads the registry again
    }
  }
}
