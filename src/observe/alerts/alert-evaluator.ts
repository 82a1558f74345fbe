// Evaluates alert rules against a metric source and moves each rule through ok -> pending -> firing
// -> ok, keeping statuses and events in a store (so a restart resumes where it stopped, without
// notifying twice) and handing each firing or resolved event to `deliver`. Each evaluation starts from
// the stored states and each move is conditional on the state it started from, so evaluators sharing
// a store (service replicas on one registry) notify each move once. A stored rule no longer among the
// rules, and no longer evaluated by anyone (for three intervals, at least 10 minutes), is forgotten,
// resolved with a notification if it was firing. It computes no metrics and sends nothing itself: the
// source and `deliver` (e.g. WebhookDelivery.send) do.
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

/**
 * How long a stored rule this evaluator lacks must have gone unevaluated before it is forgotten: three
 * of its intervals, and at least 10 minutes. While another service still runs a file with it (a rolling
 * deploy, a canary service) it is that service's to move, and the other's interval is not known here
 * (a deploy may also have shortened this one's).
 */
const forgetAfterMs = (interval: number) => Math.max(3 * interval, 600_000);

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
  private current = new Map<string, AlertStatus>();
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
    // every time: another evaluator on the store may have moved a rule since
    await this.load();
    const now = this.now();
    await this.forgetRemoved(now);
    const readings = await Promise.allSettled(this.rules.map((rule) => this.read(rule, now)));
    const evaluations: AlertEvaluation[] = [];
    // transitions in the rules' order, so notifications are too
    for (const [index, rule] of this.rules.entries())
      evaluations.push(await this.advance(rule, readings[index], now));
    return evaluations;
  }

  private async load(): Promise<void> {
    this.current = new Map((await this.options.store.load()).map((status) => [status.rule, status]));
  }

  /**
   * Forgets the stored states of rules no longer among the rules (taken out of the file) that no
   * evaluator has moved for forgetAfterMs: a firing one is resolved, and the file's webhooks told, so
   * no incident stays open for a rule nobody evaluates. One another service still evaluates is left to
   * it (its state is kept, current or not, and shown as evaluated elsewhere).
   */
  private async forgetRemoved(now: number): Promise<void> {
    const names = new Set(this.rules.map((rule) => rule.name));
    for (const status of [...this.current.values()]) {
      if (names.has(status.rule)) continue;
      this.current.delete(status.rule);
      if (now - status.evaluatedAt < forgetAfterMs(this.interval)) continue;
      try {
        const event = status.state === 'firing' ? await this.removalEvent(status, now) : undefined;
        const forgotten = await this.options.store.forget(status.rule, status.state, event);
        if (forgotten && event)
          this.options.deliver({ event, rule: undefined, webhooks: [...this.options.rules.webhooks] });
      } catch (error) {
        this.options.onError?.(error);
      }
    }
  }

  /** The resolution of a firing rule taken out of the file, with the severity and threshold it fired at. */
  private async removalEvent(status: AlertStatus, now: number): Promise<AlertEvent> {
    const [fired] = await this.options.store.history({ rule: status.rule, limit: 1 });
    return {
      rule: status.rule,
      state: 'resolved',
      value: status.value,
      count: status.count,
      threshold: fired?.threshold ?? 0,
      at: now,
      severity: fired?.severity ?? 'warning',
      detail: { reason: 'the rule is no longer in the rules file, and no service evaluates it' },
    };
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
    return this.keep(status, { ...evaluation, event }, rule);
  }

  /**
   * Saves a status and makes it current, with its event recorded and then delivered, if the rule is
   * still in the state this evaluation started from. When another evaluator moved it first, nothing is
   * saved or sent and the stored state is taken; when the store fails, the rule stays as it was.
   */
  private async keep(
    status: AlertStatus,
    evaluation: AlertEvaluation,
    rule?: AlertRule,
  ): Promise<AlertEvaluation> {
    const { store } = this.options;
    const { previous, event } = evaluation;
    let moved: boolean;
    try {
      moved = await store.transition(status, previous, event);
    } catch (error) {
      const stored = `cannot save the status: ${message(error)}`;
      return {
        ...evaluation,
        state: previous,
        outcome: 'error',
        event: undefined,
        error: evaluation.error ? `${evaluation.error}; ${stored}` : stored,
      };
    }
    if (!moved) return this.superseded(evaluation);
    this.current.set(status.rule, status);
    if (!event || !rule) return evaluation;
    try {
      this.options.deliver({ event, rule, webhooks: [...this.options.rules.webhooks, ...rule.webhooks] });
    } catch (error) {
      return { ...evaluation, error: `delivery failed: ${message(error)}` };
    }
    return evaluation;
  }

  /** The evaluation of a rule another evaluator moved first: the state it stored, nothing sent. */
  private async superseded(evaluation: AlertEvaluation): Promise<AlertEvaluation> {
    const stored = await this.options.store.load().then(
      (statuses) => statuses.find((status) => status.rule === evaluation.rule),
      () => undefined,
    );
    if (stored) this.current.set(stored.rule, stored);
    else this.current.delete(evaluation.rule);
    return { ...evaluation, state: stored?.state ?? 'ok', outcome: 'superseded', event: undefined };
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
