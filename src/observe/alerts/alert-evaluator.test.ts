import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import { AlertEvaluator } from './alert-evaluator.js';
import { parseAlertRules, type AlertRules } from './alert-rules.js';
import type { AlertMetricSource, AlertNotification, MetricQuery, MetricReading } from './alert-types.js';
import { MemoryAlertStore } from './memory-alert-store.js';

const start = Date.parse('2025-01-01T00:00:00Z');

/** A metric source answering each rule's metric with what the test sets (or throws). */
class ScriptedSource implements AlertMetricSource {
  readonly queries: MetricQuery[] = [];
  readonly readings = new Map<string, MetricReading | Error>();

  set(metric: string, value: number | undefined, count = 100, detail?: Record<string, unknown>): void {
    this.readings.set(metric, { value, count, ...(detail ? { detail } : {}) });
  }

  async read(query: MetricQuery): Promise<MetricReading> {
    this.queries.push(query);
    const reading = this.readings.get(query.metric);
    if (reading instanceof Error) throw reading;
    return reading ?? { value: undefined, count: 0 };
  }
}

function rules(body: string): AlertRules {
  return parseAlertRules(`webhooks: [{ url: "http://127.0.0.1:1/global" }]\nrules:\n${body}`, 'alerts.yaml');
}

const errorRule = `  - { name: errors, task: qa, label: prod, metric: error_rate, window: 5m, comparison: ">", threshold: 0.1, minCount: 10, severity: critical, webhooks: [{ url: "http://127.0.0.1:1/rule" }] }\n`;
const latencyRule = `  - { name: slow, metric: latency_p95, window: 1m, comparison: ">=", threshold: 2, for: 1m }\n`;

function setup(body = errorRule + latencyRule, store = new MemoryAlertStore()) {
  const clock = { now: start };
  const source = new ScriptedSource();
  const delivered: AlertNotification[] = [];
  const evaluator = new AlertEvaluator({
    rules: rules(body),
    metrics: source,
    store,
    deliver: (notification) => delivered.push(notification),
    now: () => clock.now,
  });
  return { clock, source, delivered, evaluator, store };
}

describe('AlertEvaluator', () => {
  it('reads each rule over [now - window, now) with its task, label and score', async () => {
    const { source, evaluator } = setup(
      errorRule +
        `  - { name: helpful, task: qa, version: "7", metric: score_mean, score: helpful, window: 1h, comparison: "<", threshold: 0.5 }\n`,
    );
    await evaluator.evaluate();
    expect(source.queries).toEqual([
      { metric: 'error_rate', task: 'qa', label: 'prod', since: start - 300_000, until: start },
      {
        metric: 'score_mean',
        score: 'helpful',
        task: 'qa',
        version: '7',
        since: start - 3_600_000,
        until: start,
      },
    ]);
  });

  it('fires at once without `for`, records and delivers the event once, then resolves', async () => {
    const { source, delivered, evaluator, store, clock } = setup();
    source.set('error_rate', 0.05);
    expect((await evaluator.evaluate())[0]).toMatchObject({
      state: 'ok',
      previous: 'ok',
      outcome: 'evaluated',
    });

    clock.now += 30_000;
    source.set('error_rate', 0.25, 40, { worst: 'timeout' });
    const [fired] = await evaluator.evaluate();
    const firing = {
      rule: 'errors',
      state: 'firing',
      value: 0.25,
      count: 40,
      threshold: 0.1,
      at: clock.now,
      severity: 'critical',
      detail: { worst: 'timeout' },
    };
    expect(fired).toMatchObject({ state: 'firing', previous: 'ok', event: firing });
    expect(delivered).toHaveLength(1);
    expect(delivered[0].event).toEqual(firing);
    expect(delivered[0].rule?.name).toBe('errors');
    expect(delivered[0].webhooks.map((webhook) => webhook.url)).toEqual([
      'http://127.0.0.1:1/global',
      'http://127.0.0.1:1/rule',
    ]);
    expect(await store.history({ rule: 'errors' })).toEqual([firing]);

    clock.now += 30_000;
    source.set('error_rate', 0.3, 50);
    expect((await evaluator.evaluate())[0]).toMatchObject({ state: 'firing', previous: 'firing' });
    expect(delivered).toHaveLength(1);
    expect(evaluator.statuses()[0]).toMatchObject({ state: 'firing', since: start + 30_000, value: 0.3 });

    clock.now += 30_000;
    source.set('error_rate', 0.02, 60);
    const [resolved] = await evaluator.evaluate();
    expect(resolved).toMatchObject({
      state: 'ok',
      previous: 'firing',
      event: { state: 'resolved', value: 0.02 },
    });
    expect(delivered.map((notification) => notification.event.state)).toEqual(['firing', 'resolved']);
    expect((await store.history({ rule: 'errors' })).map((event) => event.state)).toEqual([
      'resolved',
      'firing',
    ]);
    expect(evaluator.statuses()[0]).toMatchObject({ state: 'ok', since: clock.now });
  });

  it('waits in pending for `for` before firing, and drops back to ok silently', async () => {
    const { source, delivered, evaluator, clock } = setup(latencyRule);
    source.set('latency_p95', 3);
    expect((await evaluator.evaluate())[0]).toMatchObject({ state: 'pending', previous: 'ok' });
    clock.now += 30_000;
    expect((await evaluator.evaluate())[0]).toMatchObject({ state: 'pending', previous: 'pending' });
    clock.now += 30_000; // the condition has now held for the rule's 1m
    expect((await evaluator.evaluate())[0]).toMatchObject({ state: 'firing', event: { state: 'firing' } });
    expect(evaluator.statuses()[0].since).toBe(clock.now);
    expect(delivered).toHaveLength(1);

    source.set('latency_p95', 1);
    await evaluator.evaluate();
    source.set('latency_p95', 2); // >= 2 holds again: pending from here, not firing
    clock.now += 10_000;
    expect((await evaluator.evaluate())[0]).toMatchObject({ state: 'pending' });
    source.set('latency_p95', 1.5);
    clock.now += 10_000;
    const [dropped] = await evaluator.evaluate();
    expect(dropped).toMatchObject({ state: 'ok', previous: 'pending' });
    expect(dropped.event).toBeUndefined();
    expect(delivered.map((notification) => notification.event.state)).toEqual(['firing', 'resolved']);
  });

  it('leaves the state alone below minCount or without a value', async () => {
    const { source, delivered, evaluator, clock } = setup(errorRule);
    source.set('error_rate', 0.9, 9); // minCount is 10
    expect((await evaluator.evaluate())[0]).toMatchObject({
      state: 'ok',
      outcome: 'insufficient-data',
      count: 9,
    });
    source.set('error_rate', 0.9, 10);
    expect((await evaluator.evaluate())[0]).toMatchObject({ state: 'firing', outcome: 'evaluated' });
    clock.now += 30_000;
    source.set('error_rate', 0, 3);
    expect((await evaluator.evaluate())[0]).toMatchObject({ state: 'firing', outcome: 'insufficient-data' });
    source.set('error_rate', undefined, 50);
    expect((await evaluator.evaluate())[0]).toMatchObject({ state: 'firing', outcome: 'insufficient-data' });
    expect(evaluator.statuses()[0]).toMatchObject({
      state: 'firing',
      since: start,
      value: undefined,
      count: 50,
    });
    expect(delivered).toHaveLength(1);
  });

  it.each([
    ['>', 2, false],
    ['>', 2.01, true],
    ['>=', 2, true],
    ['>=', 1.99, false],
    ['<', 2, false],
    ['<', 1.99, true],
    ['<=', 2, true],
    ['<=', 2.01, false],
  ])('compares %s 2 with %d: fires %s', async (comparison, value, fires) => {
    const { source, evaluator } = setup(
      `  - { name: r, metric: cost, window: 1m, comparison: "${comparison}", threshold: 2 }\n`,
    );
    source.set('cost', value);
    expect((await evaluator.evaluate())[0].state).toBe(fires ? 'firing' : 'ok');
  });

  it('resolves a firing rule when its window has no traffic at all', async () => {
    const { source, delivered, evaluator } = setup(errorRule);
    source.set('error_rate', 0.9, 10);
    expect((await evaluator.evaluate())[0]).toMatchObject({ state: 'firing' });
    source.set('error_rate', undefined, 0);
    expect((await evaluator.evaluate())[0]).toMatchObject({ state: 'ok', previous: 'firing' });
    expect(delivered.map((notification) => notification.event)).toMatchObject([
      { state: 'firing' },
      { state: 'resolved', value: undefined, count: 0, detail: { reason: 'no traffic in the window' } },
    ]);
    // and with no traffic an ok rule stays ok, reported as insufficient data
    expect((await evaluator.evaluate())[0]).toMatchObject({ state: 'ok', outcome: 'insufficient-data' });
  });

  it('lets zero requests fire a traffic rule (minCount 0)', async () => {
    const { source, evaluator } = setup(
      `  - { name: quiet, metric: requests, window: 1m, comparison: "<", threshold: 1 }\n`,
    );
    source.set('requests', 0, 0);
    expect((await evaluator.evaluate())[0]).toMatchObject({ state: 'firing', value: 0 });
  });

  it('resumes from the store after a restart: still firing, not notified again, resolves later', async () => {
    const store = new MemoryAlertStore();
    const before = setup(undefined, store);
    before.source.set('error_rate', 0.5, 20);
    before.source.set('latency_p95', 5);
    await before.evaluator.evaluate();
    expect(before.delivered).toHaveLength(1);

    const after = setup(undefined, store);
    after.clock.now = start + 60_000;
    after.source.set('error_rate', 0.5, 20);
    after.source.set('latency_p95', 5); // pending for 1m since `start`: fires now
    const evaluations = await after.evaluator.evaluate();
    expect(evaluations.map((evaluation) => [evaluation.previous, evaluation.state])).toEqual([
      ['firing', 'firing'],
      ['pending', 'firing'],
    ]);
    expect(after.delivered.map((notification) => notification.event.rule)).toEqual(['slow']);
    expect(after.evaluator.statuses()[0]).toMatchObject({ state: 'firing', since: start });

    after.source.set('error_rate', 0, 20);
    await after.evaluator.evaluate();
    expect(after.delivered.map((notification) => notification.event.state)).toEqual(['firing', 'resolved']);
  });

  it('reports a rule whose source throws, leaves its state alone and evaluates the others', async () => {
    const { source, delivered, evaluator, store, clock } = setup();
    source.set('error_rate', 0.5, 20);
    await evaluator.evaluate();
    source.readings.set('error_rate', new Error('request log unavailable'));
    source.set('latency_p95', 3);
    clock.now += 1_000;
    const [failed, other] = await evaluator.evaluate();
    expect(failed).toMatchObject({
      rule: 'errors',
      state: 'firing',
      previous: 'firing',
      outcome: 'error',
      error: 'request log unavailable',
    });
    expect(other).toMatchObject({ rule: 'slow', state: 'pending', outcome: 'evaluated' });
    const saved = (await store.load()).find((status) => status.rule === 'errors');
    expect(saved).toMatchObject({
      state: 'firing',
      evaluatedAt: clock.now,
      error: 'request log unavailable',
    });
    expect(delivered).toHaveLength(1);

    source.set('error_rate', 0.5, 20);
    await evaluator.evaluate();
    expect(evaluator.statuses()[0].error).toBeUndefined();
  });

  it('replicas sharing a store notify each move once: the other is superseded and takes the stored state', async () => {
    const store = new MemoryAlertStore();
    const first = setup(errorRule, store);
    const second = setup(errorRule, store);
    for (const replica of [first, second]) replica.source.set('error_rate', 0.5, 20);
    // at the same moment: both start from ok, one move lands
    const fired = await Promise.all([first.evaluator.evaluate(), second.evaluator.evaluate()]);
    expect(fired.map(([evaluation]) => evaluation.outcome).sort()).toEqual(['evaluated', 'superseded']);
    expect(fired.map(([evaluation]) => evaluation.state)).toEqual(['firing', 'firing']);
    expect(first.delivered.length + second.delivered.length).toBe(1);
    // one after the other: the second starts from what the first stored
    for (const replica of [first, second]) {
      replica.clock.now += 60_000;
      replica.source.set('error_rate', 0.01, 20);
    }
    expect((await first.evaluator.evaluate())[0]).toMatchObject({
      state: 'ok',
      event: { state: 'resolved' },
    });
    expect((await second.evaluator.evaluate())[0]).toMatchObject({
      previous: 'ok',
      state: 'ok',
      outcome: 'evaluated',
    });
    expect([...first.delivered, ...second.delivered].map(({ event }) => event.state)).toEqual([
      'firing',
      'resolved',
    ]);
    expect((await store.history({})).map((event) => event.state)).toEqual(['resolved', 'firing']);
  });

  it('forgets a rule taken out of the file once nobody evaluates it, resolving it to the webhooks of the file if it was firing', async () => {
    const store = new MemoryAlertStore();
    const before = setup(errorRule + latencyRule, store);
    before.source.set('error_rate', 0.5, 20);
    await before.evaluator.evaluate();
    expect((await store.load()).map((status) => [status.rule, status.state]).sort()).toEqual([
      ['errors', 'firing'],
      ['slow', 'ok'],
    ]);
    // restarted with a file that no longer has either rule
    const after = setup(
      `  - { name: other, metric: requests, window: 1m, comparison: ">", threshold: 5 }\n`,
      store,
    );
    // three intervals on, but under 10 minutes: the old file's service may still be running (a rolling
    // deploy, whose interval this one does not know): left to it
    after.clock.now += 90_000;
    await after.evaluator.evaluate();
    expect((await store.load()).map((status) => status.rule).sort()).toEqual(['errors', 'other', 'slow']);
    expect(after.delivered).toHaveLength(0);
    // 10 minutes without an evaluation: nobody runs it any more
    after.clock.now += 510_000;
    await after.evaluator.evaluate();
    expect((await store.load()).map((status) => status.rule)).toEqual(['other']);
    expect(after.delivered).toHaveLength(1);
    const [removed] = after.delivered;
    expect(removed.rule).toBeUndefined();
    expect(removed.event).toMatchObject({
      rule: 'errors',
      state: 'resolved',
      threshold: 0.1,
      severity: 'critical',
      detail: { reason: 'the rule is no longer in the rules file, and no service evaluates it' },
    });
    expect(removed.webhooks.map((webhook) => webhook.url)).toEqual(['http://127.0.0.1:1/global']);
    await after.evaluator.evaluate(); // once only
    expect(after.delivered).toHaveLength(1);
  });

  it('leaves a rule another service still evaluates to it, however long this one runs without it', async () => {
    const store = new MemoryAlertStore();
    const old = setup(errorRule, store);
    const updated = setup(latencyRule, store);
    old.source.set('error_rate', 0.5, 20);
    // the old service evaluates every 5 minutes (its file's interval), the new one every minute
    for (let minute = 0; minute < 30; minute++) {
      old.clock.now = updated.clock.now = start + minute * 60_000;
      if (minute % 5 === 0) await old.evaluator.evaluate();
      await updated.evaluator.evaluate();
    }
    expect((await store.load()).find((status) => status.rule === 'errors')).toMatchObject({
      state: 'firing',
    });
    expect(old.delivered.map(({ event }) => event.state)).toEqual(['firing']);
    expect(updated.delivered).toHaveLength(0);
  });

  it('neither advances nor delivers when the store cannot save the move and its event', async () => {
    const store = new MemoryAlertStore();
    const { source, delivered, evaluator } = setup(errorRule, store);
    vi.spyOn(store, 'transition').mockRejectedValueOnce(new Error('locked'));
    source.set('error_rate', 0.5, 20);
    expect((await evaluator.evaluate())[0]).toMatchObject({
      state: 'ok',
      outcome: 'error',
      error: 'cannot save the status: locked',
    });
    expect(delivered).toHaveLength(0);
    expect((await evaluator.evaluate())[0]).toMatchObject({ state: 'firing', event: { state: 'firing' } });
    expect(delivered).toHaveLength(1);
    expect(await store.history({})).toHaveLength(1);
  });

  it('reports a deliver that throws without undoing the transition', async () => {
    const source = new ScriptedSource();
    const throwing = new AlertEvaluator({
      rules: rules(errorRule),
      metrics: source,
      store: new MemoryAlertStore(),
      deliver: () => {
        throw new Error('queue gone');
      },
      now: () => start,
    });
    source.set('error_rate', 0.5, 20);
    expect((await throwing.evaluate())[0]).toMatchObject({
      state: 'firing',
      error: 'delivery failed: queue gone',
    });
    expect(throwing.statuses()[0].state).toBe('firing');
  });

  it('evaluates on a timer that never overlaps itself and does not hold the process open', async () => {
    let active = 0;
    let mostAtOnce = 0;
    let reads = 0;
    const slow: AlertMetricSource = {
      async read() {
        active++;
        mostAtOnce = Math.max(mostAtOnce, active);
        await delay(5); // longer than the interval
        active--;
        reads++;
        return { value: 1, count: 1 };
      },
    };
    const errors: unknown[] = [];
    const evaluator = new AlertEvaluator({
      rules: parseAlertRules(
        'interval: 1ms\nrules: [{ name: r, metric: cost, window: 1m, comparison: ">", threshold: 0 }]',
        'x',
      ),
      metrics: slow,
      store: new MemoryAlertStore(),
      deliver: () => {},
      onError: (error) => errors.push(error),
    });
    evaluator.start();
    evaluator.start(); // a second start is a no-op, not a second timer
    await vi.waitFor(() => expect(reads).toBeGreaterThanOrEqual(3));
    await vi.waitFor(() => expect(evaluator['timer']).toBeDefined());
    expect(evaluator['timer']?.hasRef()).toBe(false);
    await evaluator.stop();
    const stoppedAt = reads;
    await delay(20);
    expect(reads).toBe(stoppedAt);
    expect(mostAtOnce).toBe(1);
    expect(errors).toEqual([]);
  });

  it('retries loading the store, and tells onError under start', async () => {
    const store = new MemoryAlertStore();
    vi.spyOn(store, 'load').mockRejectedValueOnce(new Error('database down'));
    const { source, evaluator } = setup(errorRule, store);
    source.set('error_rate', 0.5, 20);
    await expect(evaluator.evaluate()).rejects.toThrow('database down');
    expect((await evaluator.evaluate())[0].state).toBe('firing');

    const failing = new MemoryAlertStore();
    vi.spyOn(failing, 'load').mockRejectedValue(new Error('database down'));
    const errors: unknown[] = [];
    const timed = new AlertEvaluator({
      rules: rules(errorRule),
      metrics: source,
      store: failing,
      deliver: () => {},
      onError: (error) => errors.push(error),
    });
    timed.start();
    await vi.waitFor(() => expect(errors.length).toBeGreaterThanOrEqual(1));
    await timed.stop();
    expect(String(errors[0])).toMatch(/database down/);
  });
});
