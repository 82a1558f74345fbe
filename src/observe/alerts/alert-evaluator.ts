// Evaluates alert rules against a metric source and moves each rule through ok -> pending -> firing
// -> ok, keeping statuses and events in a store (so a restart resumes where it stopped, without
// notifying twice) and handing each firing or resolved event to `deliver`. It computes no metrics
// and sends nothing itself: the source and `deliver` (e.g. WebhookDelivery.send) do.
import type { AlertRule, AlertRules } from './alert-rules.js';
import type {
  AlertEvaluation,
  AlertEvent,
  AlertMetricSource,
  AlertNotification,
  AlertState,
  AlertStateStore,
  AlertStatus,
  MetricReading,
} from './alert-types.js';

/** What an AlertEvaluator needs. */
export interface AlertEvaluatorOptions {
  rules: AlertRules;
  metrics: AlertMetricSource;
  store: AlertStateStore;
  /** Called with each firing or resolved event after the store has it; must not block. */
  deliver: (notification: AlertNotification) => void;
  /** The clock (epoch ms); injected in tests. */
  now?: () => number;
  /** Told about an evaluation that failed as a whole (the store could not be loaded) under start(). */
  onError?: (error: unknown) => void;
}

const holds: Record<AlertRule['comparison'], (value: number, threshold: number) => boolean> = {
  '>': (value, threshold) => value > threshold,
  '>=': (value, threshold) => value >= threshold,
  '<': (value, threshold) => value < threshold,
  '<=': (value, threshold) => value <= threshold,
};

/** Evaluates rules now (evaluate) or every interval (start/stop). */
export class AlertEvaluator {
  readonly rules: readonly AlertRule[];
  readonly interval: number;
  private readonly options: AlertEvaluatorOptions;
  private readonly now: () => number;
  private readonly current = new Map<string, AlertStatus>();
  private loaded: Promise<void> | undefined;
  // evaluations run one after another, whoever starts them: two at once would race on transitions
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(options: AlertEvaluatorOptions) {
    this.options = options;
    this.rules = options.rules.rules;
    this.interval = options.rules.interval;
    this.now = options.now ?? Date.now;
  }

  /** The latest status of each rule evaluated so far (or loaded from the store), in the rules' order. */
  statuses(): AlertStatus[] {
    return this.rules.flatMap((rule) => {
      const status = this.current.get(rule.name);
      return status ? [{ ...status }] : [];
    });
  }

  /** Evaluates every rule once; one rule's failure is reported in its evaluation, not thrown. */
  evaluate(): Promise<AlertEvaluation[]> {
    const evaluation = this.queue.then(() => this.evaluateAll());
    this.queue = evaluation.catch(() => undefined);
    return evaluation;
  }

  /** Evaluates now and then every interval (never two at once) until stop(); does not keep the process alive. */
  start(): void {
    if (this.running) return;
    this.running = true;
    const tick = () => {
      this.evaluate()
        .catch((error: unknown) => this.options.onError?.(error))
        .finally(() => {
          if (!this.running) return;
          this.timer = setTimeout(tick, this.interval);
          this.timer.unref();
        });
    };
    tick();
  }

  /** Stops the timer and waits for an evaluation under way. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.queue;
  }

  private async evaluateAll(): Promise<AlertEvaluation[]> {
    this.loaded ??= this.load();
    await this.loaded;
    const now = this.now();
    const readings = await Promise.allSettled(this.rules.map((rule) => this.read(rule, now)));
    const evaluations: AlertEvaluation[] = [];
    // transitions in the rules' order, so notifications are too
    for (const [index, rule] of this.rules.entries())
      evaluations.push(await this.advance(rule, readings[index], now));
    return evaluations;
  }

  private async load(): Promise<void> {
    try {
      for (const status of await this.options.store.load()) this.current.set(status.rule, status);
    } catch (error) {
      this.loaded = undefined; // try again next time
      throw error;
    }
  }

  private read(rule: AlertRule, now: number): Promise<MetricReading> {
    const { metric, score, task, version, label } = rule;
    return this.options.metrics.read({
      metric,
      score,
      task,
      version,
      label,
      since: now - rule.window,
      until: now,
    });
  }

  /** Applies one reading to one rule: the new status, saved; an event, recorded and delivered. */
  private async advance(
    rule: AlertRule,
    reading: PromiseSettledResult<MetricReading>,
    now: number,
  ): Promise<AlertEvaluation> {
    const previous = this.current.get(rule.name) ?? {
      rule: rule.name,
      state: 'ok' as const,
      since: now,
      value: undefined,
      count: 0,
      evaluatedAt: now,
    };
    const unchanged = { rule: rule.name, state: previous.state, previous: previous.state };
    const { store } = this.options;
    if (reading.status === 'rejected') {
      const error = message(reading.reason);
      const status: AlertStatus = { ...previous, evaluatedAt: now, error };
      return this.keep(status, {
        ...unchanged,
        outcome: 'error',
        value: previous.value,
        count: previous.count,
        error,
      });
    }
    const { value, count, detail } = reading.value;
    // nothing at all in the window (no traffic): a firing rule resolves, as a series that vanished does
    // in Prometheus; a few observations short of minCount leave the state as it was
    const noData = count === 0 && (value === undefined || Number.isNaN(value));
    if (!noData && (value === undefined || Number.isNaN(value) || count < rule.minCount)) {
      const status: AlertStatus = { ...withoutError(previous), value, count, evaluatedAt: now };
      return this.keep(status, { ...unchanged, outcome: 'insufficient-data', value, count });
    }
    if (noData && previous.state === 'ok') {
      const status: AlertStatus = { ...withoutError(previous), value: undefined, count, evaluatedAt: now };
      return this.keep(status, { ...unchanged, outcome: 'insufficient-data', value: undefined, count });
    }
    const state = noData
      ? 'ok'
      : nextState(rule, previous, holds[rule.comparison](value!, rule.threshold), now);
    const status: AlertStatus = {
      rule: rule.name,
      state,
      since: state === previous.state ? previous.since : now,
      value,
      count,
      evaluatedAt: now,
    };
    const evaluation: AlertEvaluation = {
      rule: rule.name,
      state,
      previous: previous.state,
      outcome: 'evaluated',
      value,
      count,
    };
    const eventState =
      state === 'firing' && previous.state !== 'firing'
        ? 'firing'
        : previous.state === 'firing' && state === 'ok'
          ? 'resolved'
          : undefined;
    if (eventState === undefined) return this.keep(status, evaluation);
    const event: AlertEvent = {
      rule: rule.name,
      state: eventState,
      value,
      count,
      threshold: rule.threshold,
      at: now,
      severity: rule.severity,
      ...(noData
        ? { detail: { reason: 'no traffic in the window' } }
        : detail === undefined
          ? {}
          : { detail }),
    };
    // recorded before the status is saved: a failure between the two repeats the event next time
    // rather than losing it
    try {
      await store.record(event);
    } catch (error) {
      return {
        ...unchanged,
        outcome: 'error',
        value,
        count,
        error: `cannot record the event: ${message(error)}`,
      };
    }
    const kept = await this.keep(status, { ...evaluation, event });
    if (kept.outcome === 'error') return kept;
    try {
      this.options.deliver({ event, rule, webhooks: [...this.options.rules.webhooks, ...rule.webhooks] });
    } catch (error) {
      return { ...kept, error: `delivery failed: ${message(error)}` };
    }
    return kept;
  }

  /** Saves a status and makes it current; when the store fails, the rule stays as it was. */
  private async keep(status: AlertStatus, evaluation: AlertEvaluation): Promise<AlertEvaluation> {
    try {
      await this.options.store.save(status);
    } catch (error) {
      const previous = evaluation.previous;
      const stored = `cannot save the status: ${message(error)}`;
      return {
        ...evaluation,
        state: previous,
        outcome: 'error',
        event: undefined,
        error: evaluation.error ? `${evaluation.error}; ${stored}` : stored,
      };
    }
    this.current.set(status.rule, status);
    return evaluation;
  }
}

/** Where a rule goes when its condition does (or does not) hold now. */
function nextState(rule: AlertRule, previous: AlertStatus, condition: boolean, now: number): AlertState {
  if (!condition) return 'ok';
  if (previous.state === 'firing') return 'firing';
  if (previous.state === 'pending') return now - previous.since >= rule.for ? 'firing' : 'pending';
  return rule.for > 0 ? 'pending' : 'firing';
}

function withoutError(status: AlertStatus): AlertStatus {
  const { error: _error, ...rest } = status;
  return rest;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
